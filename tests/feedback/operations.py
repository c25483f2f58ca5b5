"""Operations to give feedback on, made directly (no training): a model version per task,
an inference log per operation (through the registry's service), and the operation row."""

from django.core.cache import cache
from django.test import TestCase

from aiops.models import Category, Classification, SentimentAnalysis, Suggestion
from feedback.tasks import QUEUED_KEY
from models_registry.models import ModelVersion
from models_registry.services import inference_log_record

CATEGORIES = ("Account", "Billing", "Technical Issue")
TEXT = "The app crashes whenever I open the settings page on my phone"


def model_version(organization, task, version=(1, 0, 0)) -> ModelVersion:
    major, minor, patch = version
    found, _ = ModelVersion.objects.get_or_create(
        organization=organization, task=task, major=major, minor=minor, patch=patch
    )
    return found


def _log(organization, version, label, arm):
    return inference_log_record(
        organization=organization,
        model_version=version,
        latency_ms=3.0,
        predicted_label=label,
        confidence=0.8,
        unit_id="1",
        arm=arm,
        tokens_in=10,
    )


def make_classification(
    organization, *, category="Billing", text=TEXT, arm="", version=(1, 0, 0)
) -> Classification:
    for name in CATEGORIES:
        Category.objects.get_or_create(organization=organization, name=name)
    predicted = Category.objects.get(organization=organization, name=category)
    mv = model_version(organization, "category", version)
    return Classification.objects.create(
        organization=organization,
        input_text=text,
        category=predicted,
        confidence=0.8,
        processing_time_ms=3.0,
        model_version=mv,
        inference_log=_log(organization, mv, category, arm),
    )


def make_sentiment(organization, *, sentiment="neutral", text=TEXT, arm="") -> SentimentAnalysis:
    mv = model_version(organization, "sentiment")
    return SentimentAnalysis.objects.create(
        organization=organization,
        input_text=text,
        sentiment=sentiment,
        confidence=0.7,
        processing_time_ms=2.0,
        model_version=mv,
        inference_log=_log(organization, mv, sentiment, arm),
    )


def make_suggestion(organization, *, text=TEXT, arm="") -> Suggestion:
    mv = model_version(organization, "suggestion")
    return Suggestion.objects.create(
        organization=organization,
        input_text=text,
        content="Clear the app cache, then reinstall it.",
        confidence=0.6,
        processing_time_ms=2.0,
        model_version=mv,
        inference_log=_log(organization, mv, "ticket:42", arm),
    )


def post_feedback(client, body):
    """POST the body, then run what its commit queued: the examples sweep (a Celery task,
    eager in tests), which writes the training example the feedback votes for. The mark that
    holds back a second sweep within a second is cleared first, as if that second had passed."""
    cache.delete(QUEUED_KEY)
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post("/api/ai/feedback", body, format="json")
