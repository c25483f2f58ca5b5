import django_filters

from training.models import TrainingExample, TrainingRun


class TrainingExampleFilterSet(django_filters.FilterSet):
    min_quality = django_filters.NumberFilter(field_name="quality_score", lookup_expr="gte")

    class Meta:
        model = TrainingExample
        fields = ["task", "validation_status", "source", "disputed"]


class TrainingRunFilterSet(django_filters.FilterSet):
    class Meta:
        model = TrainingRun
        fields = ["task", "status", "trigger"]
