"""Scheduled gradual rollouts: beat steps the candidate up every `step_minutes` through
`steps`, 100 % promotes it, and a rollout changed by hand or rolled back is left alone."""

from datetime import timedelta

import pytest

from aiops.exceptions import InvalidInput
from models_registry import services
from models_registry.models import Deployment, DeploymentEvent
from models_registry.tasks import guardrails_check_task
from tests.models_registry.support import register

pytestmark = pytest.mark.django_db


def active(org):
    return Deployment.objects.get(organization=org, task="category", status="active")


def age(minutes: float) -> None:
    """Make the active step `minutes` old, as if that much time had passed."""
    deployment = Deployment.objects.get(status="active")
    Deployment.objects.filter(pk=deployment.pk).update(
        created_at=deployment.created_at - timedelta(minutes=minutes)
    )


@pytest.fixture
def rollout(org):
    stable, candidate = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=stable)
    services.model_version_deploy(
        model_version=candidate, strategy="gradual", percentage=10, steps=[50, 100], step_minutes=30
    )
    return stable, candidate


def test_steps_on_schedule_then_promotes(org, rollout):
    stable, candidate = rollout
    assert (active(org).rollout_steps, active(org).rollout_step_minutes) == ([50.0, 100.0], 30)
    assert services.rollout_advance() == []  # not yet 30 minutes
    age(29)
    assert services.rollout_advance() == []
    age(1)
    [done] = services.rollout_advance()
    assert "10% -> 50% after 30 min" in done
    step = active(org)
    assert (step.candidate_version, step.candidate_percentage) == (candidate, 50.0)
    assert (step.rollout_steps, step.rollout_step_minutes) == ([100.0], 30)
    assert services.rollout_advance() == []  # the new step starts its own 30 minutes
    age(30)
    services.rollout_advance()
    final = active(org)
    assert (final.strategy, final.model_version) == ("full", candidate)
    assert final.candidate_version is None
    assert (final.rollout_steps, final.rollout_step_minutes) == ([], None)
    stable.refresh_from_db()
    assert stable.status == "deprecated"
    events = DeploymentEvent.objects.filter(to_version=candidate).exclude(action="register")
    actions = list(events.order_by("pk").values_list("action", flat=True))
    assert actions == ["deploy", "deploy", "promote"]
    assert services.rollout_advance() == []


def test_a_rolled_back_rollout_is_not_stepped(org, rollout):
    services.deployment_rollback(organization=org, task="category")
    age(60)
    assert services.rollout_advance() == []
    assert active(org).candidate_version is None


def test_a_step_taken_by_hand_replaces_the_schedule(org, rollout):
    _, candidate = rollout
    services.model_version_deploy(model_version=candidate, strategy="gradual", percentage=40)
    age(60)
    assert services.rollout_advance() == []
    assert active(org).candidate_percentage == 40.0


def test_beat_runs_guardrails_then_due_steps(org, rollout):
    age(30)
    assert guardrails_check_task() == 1
    assert active(org).candidate_percentage == 50.0


@pytest.mark.parametrize(
    "kwargs",
    [
        {"strategy": "canary", "percentage": 10, "steps": [50], "step_minutes": 5},
        {"strategy": "gradual", "percentage": 10, "steps": [50]},
        {"strategy": "gradual", "percentage": 10, "step_minutes": 5},
        {"strategy": "gradual", "percentage": 10, "steps": [50, 40], "step_minutes": 5},
        {"strategy": "gradual", "percentage": 10, "steps": [10, 50], "step_minutes": 5},
        {"strategy": "gradual", "percentage": 10, "steps": [50, 120], "step_minutes": 5},
        {"strategy": "gradual", "percentage": 10, "steps": [50], "step_minutes": 0},
    ],
)
def test_a_schedule_that_cannot_be_is_refused(org, kwargs):
    stable, candidate = register(org, "1.0.0"), register(org, "1.1.0")
    services.model_version_deploy(model_version=stable)
    with pytest.raises(InvalidInput) as refused:
        services.model_version_deploy(model_version=candidate, **kwargs)
    assert "steps" in refused.value.fields
    assert active(org).candidate_version is None


def test_the_api_takes_a_schedule_and_shows_the_next_step(org, make_client):
    admin = make_client(org, "admin")
    for version in ("1.0.0", "1.1.0"):
        register(org, version)
    admin.post("/api/ai/models", {"action": "deploy", "version": "1.0.0"}, format="json")
    body = {
        "action": "deploy",
        "version": "1.1.0",
        "strategy": "gradual",
        "percentage": 5,
        "steps": [25, 100],
        "stepMinutes": 60,
    }
    response = admin.post("/api/ai/models", body, format="json")
    assert response.status_code == 201, response.json()
    data = response.json()
    assert (data["rolloutSteps"], data["rolloutStepMinutes"]) == ([25.0, 100.0], 60)
    created = active(org).created_at
    due = (created + timedelta(minutes=60)).strftime("%Y-%m-%dT%H:%M")
    assert data["nextStepAt"].startswith(due)
    refused = admin.post("/api/ai/models", {**body, "steps": [25, 20]}, format="json")
    assert refused.status_code == 400
    assert "steps" in refused.json()["fields"]
