from django.db.models import QuerySet

from training.models import TrainingExample, TrainingRun


def training_run_list(*, organization) -> QuerySet[TrainingRun]:
    return TrainingRun.objects.filter(organization=organization).select_related("model_version")


def training_example_list(*, organization) -> QuerySet[TrainingExample]:
    return TrainingExample.objects.filter(organization=organization)
