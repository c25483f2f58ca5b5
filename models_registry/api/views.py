from aiops.api.viewsets import TenantReadOnlyViewSet
from models_registry import filtersets
from models_registry.api import serializers
from models_registry.models import Deployment, InferenceLog
from models_registry.selectors import model_version_list


class ModelVersionViewSet(TenantReadOnlyViewSet):
    serializer_class = serializers.ModelVersionSerializer
    filterset_class = filtersets.ModelVersionFilterSet

    def scoped_queryset(self, organization):
        return model_version_list(organization=organization)


class DeploymentViewSet(TenantReadOnlyViewSet):
    serializer_class = serializers.DeploymentSerializer
    filterset_class = filtersets.DeploymentFilterSet

    def scoped_queryset(self, organization):
        return Deployment.objects.filter(organization=organization).select_related(
            "model_version", "candidate_version"
        )


class InferenceLogViewSet(TenantReadOnlyViewSet):
    serializer_class = serializers.InferenceLogSerializer
    filterset_class = filtersets.InferenceLogFilterSet

    def scoped_queryset(self, organization):
        return (
            InferenceLog.objects.filter(organization=organization)
            .select_related("model_version")
            .order_by("-created_at", "-id")
        )
