import csv
from collections.abc import Mapping

from django.http import StreamingHttpResponse
from django.utils import timezone
from djangorestframework_camel_case.util import underscoreize
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from aiops.api.permissions import ReadMemberWriteAdmin
from aiops.api.viewsets import TenantAPIView
from metrics import report, services, tasks
from metrics.api import serializers
from models_registry.selectors import model_version_get

# A recalculation of up to this many hours runs in the request; a longer one in Celery (202).
INLINE_RECALCULATE_HOURS = 48


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
        body = report.metrics_report(
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
            hours = (data["end"] - data["start"]).total_seconds() / 3600
            if hours > INLINE_RECALCULATE_HOURS:
                task = tasks.rollup_recalculate_task.delay(
                    self.organization.pk, data["start"].isoformat(), data["end"].isoformat()
                )
                return Response({"queued": True, "task_id": task.id}, status.HTTP_202_ACCEPTED)
            done = services.rollup_recalculate(
                organization_id=self.organization.pk, start=data["start"], end=data["end"]
            )
            return Response({"queued": False, **done})
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
