from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from models_registry.choices import Outcome
from models_registry.models import Deployment, InferenceLog, ModelVersion
from models_registry.routing import in_share


@dataclass(frozen=True)
class Route:
    version: ModelVersion
    deployment: Deployment
    arm: str = ""


def deployment_get_active(*, organization, task: str) -> Deployment | None:
    return (
        Deployment.objects.select_related("model_version", "candidate_version")
        .filter(organization=organization, task=task, status="active")
        .first()
    )


def route_for_unit(*, organization, task: str, unit_id: str) -> Route | None:
    """The version that serves this unit: the stable one, or the candidate for its share."""
    deployment = deployment_get_active(organization=organization, task=task)
    if deployment is None:
        return None
    candidate = deployment.candidate_version
    if candidate is not None and in_share(
        salt=f"deployment-{deployment.pk}",
        unit_id=unit_id,
        percentage=deployment.candidate_percentage,
    ):
        return Route(version=candidate, deployment=deployment)
    return Route(version=deployment.model_version, deployment=deployment)


def model_version_list(*, organization) -> QuerySet[ModelVersion]:
    return ModelVersion.objects.filter(organization=organization)


def model_version_latest(*, organization, task: str) -> ModelVersion | None:
    return model_version_list(organization=organization).filter(task=task).first()


def inference_log_list(*, organization) -> QuerySet[InferenceLog]:
    return InferenceLog.objects.filter(organization=organization)


@dataclass(frozen=True)
class Accuracy:
    correct: int
    incorrect: int

    @property
    def judged(self) -> int:
        return self.correct + self.incorrect

    @property
    def accuracy(self) -> float | None:
        return self.correct / self.judged if self.judged else None


def accuracy(*, logs: QuerySet[InferenceLog]) -> Accuracy:
    """The one definition of accuracy: correct / (correct + incorrect) over judged outcomes."""
    counts = logs.aggregate(
        correct=Count("pk", filter=Q(outcome=Outcome.CORRECT)),
        incorrect=Count("pk", filter=Q(outcome=Outcome.INCORRECT)),
    )
    return Accuracy(correct=counts["correct"], incorrect=counts["incorrect"])
