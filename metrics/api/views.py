import csv
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from djangorestframework_camel_case.util import underscoreize
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from prometheus_client import CONTENT_TYPE_LATEST
from rest_framework import status
from rest_framework.response import Response

from aiops.api.permissions import ReadMemberWriteAdmin
from aiops.api.viewsets import TenantAPIView
from metrics import prometheus, report, services
from metrics.api import serializers
from models_registry.selectors import model_version_get

PROMETHEUS_CACHE_KEY = "metrics:prometheus"


class Echo:
    def write(self, value):
        return value


def _renamed(data):
    if not isinstance(data, Mapping):
        return data  # the serializer answers 400 for it
    data = underscoreize(dict(data.items()))
    for outside, inside in (("from", "start"), ("to", "end")):
        if outside in data:
            data[inside] = data.pop(outside)
    return data


class MetricsView(TenantAPIView):
    """GET: the figures of a period, system health and drift. POST (admins): recalculate the
    rollups of a range, or export the figures as JSON or CSV."""

    permission_classes = [ReadMemberWriteAdmin]

    def _query(self, data: dict) -> report.MetricsQuery:
        version = None
        if data.get("model_version"):
            version = model_version_get(
                organization=self.organization, task=data["task"], version=data["model_version"]
            )
        return report.MetricsQuery(
            period=data["period"],
            start=data.get("start"),
            end=data.get("end"),
            task=data.get("task"),
            model_version=version,
            include_details=data["include_details"],
        )

    @extend_schema(
        parameters=[
            serializers.MetricsQuerySerializer,
            OpenApiParameter("from", OpenApiTypes.DATETIME, description="Window start (hour)."),
            OpenApiParameter("to", OpenApiTypes.DATETIME, description="Window end (hour)."),
        ],
        responses={200: OpenApiResponse(description="{metrics, systemHealth, details?}.")},
    )
    def get(self, request):
        params = serializers.MetricsQuerySerializer(data=_renamed(request.query_params.dict()))
        params.is_valid(raise_exception=True)
        body = report.metrics_report_cached(
            organization=self.organization,
            query=self._query(params.validated_data),
            now=timezone.now(),
        )
        return Response(body)

    @extend_schema(
        request=serializers.MetricsActionSerializer,
        responses={
            200: OpenApiResponse(description="Recalculated, or the export."),
            202: OpenApiResponse(description="Recalculation queued."),
        },
    )
    def post(self, request):
        given = serializers.MetricsActionSerializer(data=_renamed(request.data))
        given.is_valid(raise_exception=True)
        data = given.validated_data
        if data["action"] == "recalculate":
            done = services.rollup_recalculate_request(
                organization_id=self.organization.pk, start=data["start"], end=data["end"]
            )
            return Response(
                done, status.HTTP_202_ACCEPTED if done["queued"] else status.HTTP_200_OK
            )
        query, now = self._query(data), timezone.now()
        if data["format"] == "json":
            query = report.MetricsQuery(**{**query.__dict__, "include_details": True})
            return Response(
                report.metrics_report(organization=self.organization, query=query, now=now)
            )
        writer = csv.writer(Echo())
        rows = report.metrics_export_rows(organization=self.organization, query=query, now=now)
        lines = (writer.writerow(row) for row in [report.EXPORT_COLUMNS, *rows])
        response = StreamingHttpResponse(lines, content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="metrics.csv"'
        return response


def prometheus_metrics(request):
    """GET /metrics: the Prometheus text format, behind `AIOPS_PROMETHEUS_TOKEN` (a bearer
    token); 404 while the setting is unset. Cached for `AIOPS_PROMETHEUS_CACHE_SECONDS`."""
    token = settings.AIOPS_PROMETHEUS_TOKEN
    if not token:
        raise Http404("Prometheus metrics are off: set AIOPS_PROMETHEUS_TOKEN.")
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not constant_time_compare(given.strip(), token):
        return HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
    body = cache.get(PROMETHEUS_CACHE_KEY)
    if body is None:
        body = prometheus.exposition()
        cache.set(PROMETHEUS_CACHE_KEY, body, settings.AIOPS_PROMETHEUS_CACHE_SECONDS)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
