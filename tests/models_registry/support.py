"""Versions that can serve: each registered with a tiny fitted model of its own (so a test
can corrupt one version's artifact without touching another's)."""

import zlib
from functools import cache
from pathlib import Path

from django.conf import settings
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from models_registry import services
from models_registry.models import InferenceLog

TEXTS = ["refund my invoice", "charged twice", "cannot log in", "password reset fails"] * 3
LABELS = ["Billing", "Billing", "Access", "Access"] * 3


@cache
def tiny_model(variant: str = ""):
    strength = 1.0 + zlib.crc32(variant.encode()) % 1000 / 100
    return make_pipeline(TfidfVectorizer(), LogisticRegression(C=strength)).fit(TEXTS, LABELS)


def register(org, version, task="category", **extra):
    """A version with an artifact, unless it is an external one or given its own model."""
    if not extra.get("provider"):
        extra.setdefault("model", tiny_model(f"{task}-{version}"))
    return services.model_version_register(organization=org, task=task, version=version, **extra)


def corrupt_artifact(version) -> None:
    """Overwrite the version's stored artifact: it now fails its sha256 check."""
    (Path(settings.ARTIFACT_ROOT) / version.artifact_path).write_bytes(b"not a model")


def add_logs(org, version, *, correct=0, incorrect=0, unknown=0, ab_test=None, arm=""):
    """Inference logs of a version with these outcomes (for its measured accuracy)."""
    outcomes = ["correct"] * correct + ["incorrect"] * incorrect + ["unknown"] * unknown
    InferenceLog.objects.bulk_create(
        InferenceLog(
            organization=org,
            task=version.task,
            model_version=version,
            ab_test=ab_test,
            arm=arm,
            latency_ms=1.0,
            outcome=outcome,
        )
        for outcome in outcomes
    )
