from aiops.api.filters import FilterSet, FloatFilter
from training.models import TrainingExample, TrainingRun


class TrainingExampleFilterSet(FilterSet):
    min_quality = FloatFilter(field_name="quality_score", lookup_expr="gte")

    class Meta:
        model = TrainingExample
        fields = ["task", "validation_status", "source", "disputed"]


class TrainingRunFilterSet(FilterSet):
    class Meta:
        model = TrainingRun
        fields = ["task", "status", "trigger"]
