"""GET /metrics: the Prometheus text format, parsed with prometheus_client's own parser."""

import pytest
from django.test import Client
from prometheus_client.parser import text_string_to_metric_families

from models_registry.models import InferenceLog
from tests.metrics.test_api import classify_and_judge

pytestmark = pytest.mark.django_db


def scrape(token="s3cret"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token else {}
    return Client().get("/metrics", **headers)


def test_off_without_a_token_setting_and_closed_to_a_wrong_token(settings, org):
    settings.AIOPS_PROMETHEUS_TOKEN = ""
    assert scrape().status_code == 404
    settings.AIOPS_PROMETHEUS_TOKEN = "s3cret"
    assert scrape("wrong").status_code == 401
    assert scrape(None).status_code == 401


def test_exposition_parses_with_bounded_labels_and_the_database_figures(
    settings, trained_org, make_client
):
    settings.AIOPS_PROMETHEUS_TOKEN = "s3cret"
    classify_and_judge(make_client(trained_org, "agent"), n=5, wrong=2)
    response = scrape()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    families = {f.name: f for f in text_string_to_metric_families(response.content.decode())}
    assert all(name.startswith("aiops_") for name in families)
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in families.values()
        for s in f.samples
    }
    category = (("model_version", "v1.0.0"), ("organization", "acme"), ("task", "category"))
    assert samples[("aiops_predictions_total", category)] == 5
    correct = InferenceLog.objects.filter(task="category", outcome="correct").count()
    outcome = tuple(sorted((*category, ("outcome", "correct"))))
    assert samples[("aiops_feedback_outcomes_total", outcome)] == correct
    assert samples[("aiops_inference_latency_seconds_count", category)] == 5
    assert families["aiops_inference_latency_seconds"].type == "histogram"
    assert 0 <= samples[("aiops_health_score", (("organization", "acme"),))] <= 100
    assert 0 <= samples[("aiops_accuracy_ratio", category)] <= 1
    labels = {key for f in families.values() for s in f.samples for key in s.labels}
    assert labels <= {
        "organization",
        "task",
        "model_version",
        "outcome",
        "direction",
        "trigger",
        "status",
        "le",
    }
