"""Per-version stats (aggregate queries, p95 as percentile_cont), health, and classify
routing through a running A/B test with the log keeping its test and arm."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from aiops.models import Classification
from aiops.services.operations import classify, operation_input
from models_registry import services
from models_registry.models import InferenceLog
from models_registry.routing import choose_arm
from models_registry.selectors import (
    latency_percentile,
    model_version_health,
    model_version_health_list,
    model_version_stats,
)
from tests.models_registry.support import register

pytestmark = pytest.mark.django_db


def test_stats_are_aggregates_and_p95_matches_percentile_cont(org, django_assert_max_num_queries):
    version = services.model_version_register(
        organization=org,
        task="category",
        version="1.0.0",
        provider="p",
        external_model_id="m",
        input_price_per_1k="1",
        output_price_per_1k="2",
    )
    rng = np.random.default_rng(1)
    latencies = rng.gamma(2.0, 30.0, size=237)
    InferenceLog.objects.bulk_create(
        InferenceLog(
            organization=org,
            task="category",
            model_version=version,
            latency_ms=float(latency),
            confidence=0.5 + (i % 2) * 0.3,
            success=i % 10 != 0,
            tokens_in=100,
            tokens_out=50,
            cost_usd=0.2,
            outcome=("correct", "incorrect", "unknown")[i % 3],
        )
        for i, latency in enumerate(latencies)
    )
    with django_assert_max_num_queries(4):
        stats = model_version_stats(version=version)
    assert stats["total_inferences"] == 237
    assert stats["avg_latency_ms"] == pytest.approx(latencies.mean())
    assert stats["p95_latency_ms"] == pytest.approx(np.percentile(latencies, 95))
    assert stats["error_rate"] == pytest.approx(24 / 237)
    assert stats["success_rate"] == pytest.approx(1 - 24 / 237)
    assert stats["avg_confidence"] == pytest.approx((118 * 0.8 + 119 * 0.5) / 237)
    assert stats["cost_per_inference_usd"] == pytest.approx(0.2)
    assert stats["accuracy"] == pytest.approx(79 / 158) and stats["judged"] == 158
    logs = InferenceLog.objects.filter(model_version=version)
    assert latency_percentile(logs=logs, percentile=0.5) == pytest.approx(np.median(latencies))
    assert latency_percentile(logs=logs.none()) is None


def _with_logs(org, version_name, n, *, correct, errors=0, latency=5.0):
    version = services.model_version_register(
        organization=org, task="category", version=version_name
    )
    InferenceLog.objects.bulk_create(
        InferenceLog(
            organization=org,
            task="category",
            model_version=version,
            latency_ms=latency,
            confidence=0.9,
            success=i >= errors,
            outcome="correct" if i < correct else "incorrect",
        )
        for i in range(n)
    )
    return version


def test_health_levels_and_recommendations(org):
    healthy = model_version_health(version=_with_logs(org, "1.0.0", 100, correct=97))
    assert healthy["status"] == "healthy" and healthy["score"] == 100
    assert healthy["recommendations"] == []
    degraded = model_version_health(version=_with_logs(org, "1.1.0", 100, correct=85))
    assert degraded["status"] == "degraded"
    assert "accuracy 85.0% is below 90%" in degraded["issues"]
    bad = model_version_health(
        version=_with_logs(org, "1.2.0", 100, correct=60, errors=20, latency=2000)
    )
    assert bad["status"] == "unhealthy" and bad["score"] < 50
    assert any("roll back" in r for r in bad["recommendations"])
    assert any("p95 latency" in issue for issue in bad["issues"])
    empty = services.model_version_register(organization=org, task="category", version="2.0.0")
    no_data = model_version_health(version=empty)
    assert (no_data["status"], no_data["score"]) == ("no_data", None)
    assert no_data["issues"] == ["v2.0.0 has no inferences yet: it has served no traffic."]
    assert no_data["stats"]["total_inferences"] == 0


def test_classify_routes_by_ab_arm_and_logs_the_test(org):
    texts = ["refund my invoice", "charged twice", "cannot log in", "password reset fails"] * 3
    labels = ["Billing", "Billing", "Access", "Access"] * 3
    model = make_pipeline(TfidfVectorizer(), LogisticRegression()).fit(texts, labels)
    v1, v2 = (
        services.model_version_register(
            organization=org, task="category", version=v, model=model, labels=["Access", "Billing"]
        )
        for v in ("1.0.0", "1.1.0")
    )
    services.model_version_deploy(model_version=v1)
    ab_test = services.ab_test_start(version_a=v1, version_b=v2, split_percentage=50)
    seen = set()
    for i in range(12):
        source = operation_input(organization=org, subject=f"refund {i}", body="invoice")
        record = classify(organization=org, source=source)
        log = InferenceLog.objects.get(pk=record.inference_log_id)
        arm = choose_arm(salt=ab_test.salt, unit_id=source.unit_id, split_b_percentage=50)
        assert log.ab_test_id == ab_test.pk and log.arm == arm
        assert record.model_version == (v2 if arm == "B" else v1)
        seen.add(arm)
    assert seen == {"A", "B"}
    assert Classification.objects.filter(organization=org).count() == 12


def test_health_list_covers_the_versions_serving_traffic(org, other_org):
    def version(organization, task, name):
        return register(organization, name, task=task)

    stable, canary, idle = (version(org, "category", f"1.{i}.0") for i in range(3))
    services.model_version_deploy(model_version=stable)
    services.model_version_deploy(model_version=canary, strategy="canary", percentage=10)
    priority = version(org, "priority", "1.0.0")
    services.model_version_deploy(model_version=priority)
    services.model_version_deploy(model_version=version(other_org, "category", "9.0.0"))

    def listed(**kwargs):
        health = model_version_health_list(organization=org, **kwargs)
        return sorted((h["task"], h["version"]) for h in health)

    assert listed() == [("category", "v1.0.0"), ("category", "v1.1.0"), ("priority", "v1.0.0")]
    assert listed(task="priority") == [("priority", "v1.0.0")]
    assert listed(version=idle) == [("category", "v1.2.0")]
