from aiops.api.filters import DateTimeFilter, FilterSet
from models_registry.models import ABTest, Deployment, DeploymentEvent, InferenceLog, ModelVersion


class ModelVersionFilterSet(FilterSet):
    class Meta:
        model = ModelVersion
        fields = ["task", "status", "kind", "estimator"]


class DeploymentFilterSet(FilterSet):
    class Meta:
        model = Deployment
        fields = ["task", "status", "strategy"]


class InferenceLogFilterSet(FilterSet):
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = InferenceLog
        fields = ["task", "model_version", "ab_test", "arm", "outcome", "success"]


class ABTestFilterSet(FilterSet):
    class Meta:
        model = ABTest
        fields = ["task", "status"]


class DeploymentEventFilterSet(FilterSet):
    created_after = DateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = DateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = DeploymentEvent
        fields = ["task", "action", "ab_test", "deployment"]
