"""Promotion is its own explicit action: a canary never becomes `full` by its percentage, a
candidate measured less accurate than the stable version is promoted only with force, and
every promotion's audit record carries both accuracies and their n."""

import logging
from datetime import timedelta

import pytest

from aiops.exceptions import Conflict, InvalidInput
from models_registry import services
from models_registry.models import Deployment, DeploymentEvent, InferenceLog
from tests.models_registry.support import add_logs, register

pytestmark = pytest.mark.django_db

URL = "/api/ai/models"


def active(org):
    return Deployment.objects.get(organization=org, task="category", status="active")


@pytest.fixture
def canary(org):
    v1, v2 = register(org, "1.2.0"), register(org, "1.3.0")
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(model_version=v2, strategy="canary", percentage=10)
    return v1, v2


@pytest.mark.parametrize("strategy", ["canary", "gradual"])
def test_a_candidate_on_100_percent_is_refused_not_turned_into_full(org, canary, strategy):
    """The issue: a canary set to 100 % silently became `full`."""
    _, v2 = canary
    with pytest.raises(InvalidInput, match="use the 'promote' action") as refused:
        services.model_version_deploy(model_version=v2, strategy=strategy, percentage=100)
    assert "percentage" in refused.value.fields
    assert active(org).candidate_version == v2 and active(org).strategy == "canary"


def test_the_api_says_400_use_promote(org, make_client, canary):
    admin = make_client(org, "admin")
    body = {"action": "deploy", "version": "v1.3.0", "strategy": "canary", "percentage": 100}
    response = admin.post(URL, body, format="json")
    assert response.status_code == 400
    assert "'promote'" in response.json()["message"] and "percentage" in response.json()["fields"]
    full = admin.post(URL, {"action": "deploy", "version": "v1.3.0"}, format="json")
    assert full.status_code == 400 and "'promote'" in full.json()["message"]
    assert not DeploymentEvent.objects.filter(action="promote").exists()


def test_promoting_a_worse_candidate_needs_force_and_records_the_figures(org, canary):
    """The issue: the schedule promoted a worse v1.3.0 without a word."""
    v1, v2 = canary
    add_logs(org, v1, correct=90, incorrect=10)
    add_logs(org, v2, correct=14, incorrect=6)
    with pytest.raises(Conflict) as refused:
        services.model_version_promote(organization=org, task="category")
    assert "v1.3.0 is less accurate than v1.2.0" in refused.value.message
    assert "70.0% of 20 judged against 90.0% of 100" in refused.value.message
    assert active(org).candidate_version == v2
    services.model_version_promote(organization=org, task="category", force=True, reason="ok")
    assert active(org).model_version == v2
    event = DeploymentEvent.objects.get(action="promote")
    promotion = event.details["promotion"]
    assert promotion["candidate"] == {"version": "v1.3.0", "accuracy": 0.7, "judged": 20}
    assert promotion["control"] == {"version": "v1.2.0", "accuracy": 0.9, "judged": 100}
    assert (promotion["worse"], promotion["forced"]) == (True, True)


def test_a_better_candidate_is_promoted_with_its_figures(org, canary):
    v1, v2 = canary
    add_logs(org, v1, correct=80, incorrect=20)
    add_logs(org, v2, correct=19, incorrect=1)
    services.model_version_promote(organization=org, task="category")
    promotion = DeploymentEvent.objects.get(action="promote").details["promotion"]
    assert (promotion["candidate"]["accuracy"], promotion["control"]["accuracy"]) == (0.95, 0.8)
    assert (promotion["worse"], promotion["forced"]) == (False, False)


def test_only_the_current_candidacy_counts(org, canary):
    """Logs from before the candidate's current run (here: a candidacy rolled back earlier)
    are not its measured accuracy."""
    v1, v2 = canary
    add_logs(org, v2, correct=0, incorrect=50)  # its first candidacy went badly
    services.deployment_rollback(organization=org, task="category")
    Deployment.objects.update(created_at=active(org).created_at - timedelta(hours=1))
    InferenceLog.objects.update(created_at=active(org).created_at)
    v2.refresh_from_db()
    services.model_version_deploy(model_version=v2, strategy="canary", percentage=10)
    add_logs(org, v1, correct=8, incorrect=2)
    add_logs(org, v2, correct=9, incorrect=1)
    services.model_version_promote(organization=org, task="category")
    promotion = DeploymentEvent.objects.get(action="promote").details["promotion"]
    assert promotion["candidate"] == {"version": "v1.3.0", "accuracy": 0.9, "judged": 10}


def test_a_scheduled_promotion_of_a_worse_candidate_is_held_back(org, caplog):
    v1, v2 = register(org, "1.2.0"), register(org, "1.3.0")
    services.model_version_deploy(model_version=v1)
    services.model_version_deploy(
        model_version=v2, strategy="gradual", percentage=50, steps=[100], step_minutes=30
    )
    Deployment.objects.filter(pk=active(org).pk).update(
        created_at=active(org).created_at - timedelta(minutes=31)
    )
    InferenceLog.objects.all().delete()
    add_logs(org, v1, correct=45, incorrect=5)
    add_logs(org, v2, correct=30, incorrect=20)
    with caplog.at_level(logging.WARNING, logger="models_registry.services.deployments"):
        assert services.rollout_advance() == []
    assert "held back" in caplog.text and "less accurate" in caplog.text
    assert active(org).candidate_version == v2 and active(org).candidate_percentage == 50
    add_logs(org, v2, correct=200, incorrect=0)  # 92% now: the next beat promotes it
    [done] = services.rollout_advance()
    assert "50% -> 100%" in done
    assert active(org).model_version == v2 and active(org).candidate_version is None
    promotion = DeploymentEvent.objects.get(action="promote").details["promotion"]
    assert promotion["forced"] is False and promotion["candidate"]["judged"] == 250


def test_concluding_an_ab_test_for_its_less_accurate_arm_needs_force(org):
    v1, v2 = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=v1)
    ab_test = services.ab_test_start(version_a=v1, version_b=v2)
    add_logs(org, v1, correct=35, incorrect=5, ab_test=ab_test, arm="A")
    add_logs(org, v2, correct=30, incorrect=10, ab_test=ab_test, arm="B")
    with pytest.raises(Conflict, match="less accurate than v1.0.0 on A/B test"):
        services.ab_test_conclude(ab_test=ab_test, winner="B")
    ab_test.refresh_from_db()
    assert ab_test.status == "running"  # nothing half-done
    services.ab_test_conclude(ab_test=ab_test, winner="B", force=True)
    assert active(org).model_version == v2
    promotion = DeploymentEvent.objects.get(action="promote").details["promotion"]
    assert promotion["candidate"] == {"version": "v1.1.0", "accuracy": 0.75, "judged": 40}
    assert promotion["control"] == {"version": "v1.0.0", "accuracy": 0.875, "judged": 40}
    assert promotion["forced"] is True


def test_the_api_takes_force(org, make_client, canary):
    v1, v2 = canary
    add_logs(org, v1, correct=9, incorrect=1)
    add_logs(org, v2, correct=5, incorrect=5)
    admin = make_client(org, "admin")
    refused = admin.post(URL, {"action": "promote"}, format="json")
    assert refused.status_code == 409 and "with force" in refused.json()["message"]
    forced = admin.post(URL, {"action": "promote", "force": True}, format="json")
    assert forced.status_code == 201 and forced.json()["modelVersion"] == "v1.3.0"
