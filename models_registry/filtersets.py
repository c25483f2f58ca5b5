import django_filters

from models_registry.models import ABTest, Deployment, DeploymentEvent, InferenceLog, ModelVersion


class ModelVersionFilterSet(django_filters.FilterSet):
    class Meta:
        model = ModelVersion
        fields = ["task", "status", "kind", "estimator"]


class DeploymentFilterSet(django_filters.FilterSet):
    class Meta:
        model = Deployment
        fields = ["task", "status", "strategy"]


class InferenceLogFilterSet(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = InferenceLog
        fields = ["task", "model_version", "ab_test", "arm", "outcome", "success"]


class ABTestFilterSet(django_filters.FilterSet):
    class Meta:
        model = ABTest
        fields = ["task", "status"]


class DeploymentEventFilterSet(django_filters.FilterSet):
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = DeploymentEvent
        fields = ["task", "action", "ab_test", "deployment"]
