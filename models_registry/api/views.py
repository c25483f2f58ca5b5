from djangorestframework_camel_case.util import underscoreize
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response

from aiops.api.permissions import CanReportInferences, ReadMemberWriteAdmin
from aiops.api.viewsets import TenantAPIView, TenantReadOnlyViewSet
from models_registry import filtersets, selectors, services
from models_registry.api import serializers
from models_registry.choices import VersionStatus
from models_registry.models import ModelVersion


class ModelVersionViewSet(TenantReadOnlyViewSet):
    serializer_class = serializers.ModelVersionSerializer
    filterset_class = filtersets.ModelVersionFilterSet
    detail_model = ModelVersion

    def scoped_queryset(self, organization):
        return selectors.model_version_list(organization=organization)


class DeploymentViewSet(TenantReadOnlyViewSet):
    serializer_class = serializers.DeploymentSerializer
    filterset_class = filtersets.DeploymentFilterSet

    def scoped_queryset(self, organization):
        return selectors.deployment_list(organization=organization)


class DeploymentEventViewSet(TenantReadOnlyViewSet):
    serializer_class = serializers.DeploymentEventSerializer
    filterset_class = filtersets.DeploymentEventFilterSet

    def scoped_queryset(self, organization):
        return selectors.deployment_event_list(organization=organization)


class ABTestViewSet(TenantReadOnlyViewSet):
    serializer_class = serializers.ABTestSerializer
    filterset_class = filtersets.ABTestFilterSet

    def scoped_queryset(self, organization):
        return selectors.ab_test_list(organization=organization)


class InferenceLogViewSet(TenantReadOnlyViewSet):
    serializer_class = serializers.InferenceLogSerializer
    filterset_class = filtersets.InferenceLogFilterSet

    def scoped_queryset(self, organization):
        return (
            selectors.inference_log_list(organization=organization)
            .select_related("model_version")
            .order_by("-created_at", "-id")
        )


class InferenceLogCreateView(TenantAPIView):
    """POST /api/ai/inference-logs: log an inference of a registered external version."""

    permission_classes = [CanReportInferences]

    @extend_schema(
        request=serializers.InferenceLogInputSerializer,
        responses={201: serializers.InferenceLogSerializer},
    )
    def post(self, request):
        data = serializers.InferenceLogInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        version = selectors.model_version_get(
            organization=self.organization, task=fields.pop("task"), version=fields.pop("version")
        )
        log = services.inference_log_report(
            organization=self.organization, model_version=version, **fields
        )
        return Response(
            serializers.InferenceLogSerializer(log).data, status=status.HTTP_201_CREATED
        )


class ModelsView(TenantAPIView):
    """The seed's model management endpoint: GET views, POST actions (admins)."""

    permission_classes = [ReadMemberWriteAdmin]

    def _version(self, data, key="version"):
        return selectors.model_version_get(
            organization=self.organization, task=data["task"], version=data[key]
        )

    @extend_schema(
        parameters=[serializers.ModelQuerySerializer],
        responses={
            200: OpenApiResponse(
                description="By `view`: {versions}; {active, displaced, deployments} (every "
                "version with a part in the traffic: its role and share); a comparison; "
                "{health} of every version that serves; shadow results or A/B results."
            )
        },
    )
    def get(self, request):
        # Query parameters arrive camelCase too (versionA, abTestId).
        query = serializers.ModelQuerySerializer(data=underscoreize(request.query_params.dict()))
        query.is_valid(raise_exception=True)
        data = query.validated_data
        org, view = self.organization, data["view"]
        task = data.get("task")
        if view == "list":
            versions = selectors.model_version_list(organization=org)
            if task:
                versions = versions.filter(task=task)
            body = {"versions": serializers.ModelVersionSerializer(versions, many=True).data}
        elif view == "active":
            serving = selectors.serving_list(organization=org, task=task)
            deployments = selectors.serving_deployments(serving)
            body = {
                "active": [entry.as_dict() for entry in serving if entry.serves],
                "displaced": [entry.as_dict() for entry in serving if not entry.serves],
                "deployments": serializers.DeploymentSerializer(deployments, many=True).data,
            }
        elif view == "compare":
            data.setdefault("task", "category")
            a, b = self._version(data, "version_a"), self._version(data, "version_b")
            body = selectors.model_version_compare(version_a=a, version_b=b)
        elif view == "health":
            version = None
            if "version" in data:
                data.setdefault("task", "category")
                version = self._version(data)
            body = {
                "health": selectors.model_version_health_list(
                    organization=org, task=task, version=version
                )
            }
        elif view == "shadow-results":
            shadow = selectors.shadow_get(organization=org, task=task or "category")
            body = selectors.shadow_report(shadow=shadow)
        else:
            ab_test = selectors.ab_test_get(
                organization=org, ab_test_id=data.get("ab_test_id"), task=task or "category"
            )
            body = services.ab_test_results(ab_test=ab_test)
        return Response(body)

    @extend_schema(
        request=serializers.ModelActionSerializer,
        responses={
            (code, "application/json"): OpenApiResponse(
                description="The version, deployment, A/B test or shadow deployment the action "
                "registered or changed."
            )
            for code in (200, 201)
        },
    )
    def post(self, request):
        given = serializers.ModelActionSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        data = given.validated_data
        org, actor, reason = self.organization, request.user, data["reason"]
        action = data["action"]
        created = status.HTTP_201_CREATED
        if action == "register":
            version = services.model_version_register(
                organization=org,
                task=data["task"],
                version=data.get("version"),
                bump=data["bump"],
                provider=data["provider"],
                external_model_id=data["external_model_id"],
                input_price_per_1k=data["input_price_per_1k"],
                output_price_per_1k=data["output_price_per_1k"],
                labels=data.get("labels"),
                metrics=data.get("metrics"),
                tags=data.get("tags"),
                notes=data["notes"],
                actor=actor,
            )
            return Response(serializers.ModelVersionSerializer(version).data, status=created)
        if action in ("deploy", "promote", "rollback"):
            if action == "deploy":
                deployment = services.model_version_deploy(
                    model_version=self._version(data),
                    strategy=data["strategy"],
                    percentage=data.get("percentage"),
                    steps=data.get("steps"),
                    step_minutes=data.get("step_minutes"),
                    actor=actor,
                    reason=reason,
                )
            elif action == "promote":
                deployment = services.model_version_promote(
                    organization=org,
                    task=data["task"],
                    version=self._version(data) if "version" in data else None,
                    actor=actor,
                    reason=reason,
                    force=data["force"],
                )
            else:
                deployment = services.deployment_rollback(
                    organization=org, task=data["task"], actor=actor, reason=reason
                )
            return Response(serializers.DeploymentSerializer(deployment).data, status=created)
        if action in ("deprecate", "archive"):
            version = services.model_version_set_status(
                version=self._version(data),
                status=VersionStatus.DEPRECATED
                if action == "deprecate"
                else VersionStatus.ARCHIVED,
                actor=actor,
                reason=reason,
            )
            return Response(serializers.ModelVersionSerializer(version).data)
        if action == "ab-test":
            ab_test = services.ab_test_start(
                version_a=self._version(data, "version_a"),
                version_b=self._version(data, "version_b"),
                split_percentage=data["split_percentage"],
                minimum_detectable_effect=data["minimum_detectable_effect"],
                actor=actor,
                reason=reason,
            )
            return Response(serializers.ABTestSerializer(ab_test).data, status=created)
        if action == "shadow":
            shadow = services.shadow_start(
                model_version=self._version(data),
                percentage=data.get("percentage", 100.0),
                actor=actor,
                reason=reason,
            )
            return Response(selectors.shadow_report(shadow=shadow), status=created)
        if action == "end-shadow":
            shadow = services.shadow_end(
                organization=org, task=data["task"], actor=actor, reason=reason
            )
            return Response(selectors.shadow_report(shadow=shadow))
        ab_test = selectors.ab_test_get(
            organization=org, ab_test_id=data.get("ab_test_id"), task=data["task"]
        )
        if action == "conclude-ab-test":
            ab_test = services.ab_test_conclude(
                ab_test=ab_test,
                actor=actor,
                reason=reason,
                winner=data.get("winner"),
                force=data["force"],
            )
        else:
            ab_test = services.ab_test_stop(ab_test=ab_test, actor=actor, reason=reason)
        return Response(serializers.ABTestSerializer(ab_test).data)
