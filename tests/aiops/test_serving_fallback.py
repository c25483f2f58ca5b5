"""POST /api/ai/classify never answers 500 for a bad candidate: the failure is a failed
inference on its log and the stable version answers; 503 JSON when nothing can."""

import pytest

from aiops.models import Ticket
from models_registry import services, serving
from models_registry.models import Deployment, InferenceLog, ModelVersion
from models_registry.routing import in_share
from models_registry.selectors import candidate_salt
from tests.models_registry.support import corrupt_artifact, register

pytestmark = pytest.mark.django_db

URL = "/api/ai/classify"


def stable(org):
    return ModelVersion.objects.get(organization=org, task="category", status="active")


def classify_tickets(client, org, n=60, ids=None):
    if ids is None:
        ids = Ticket.objects.filter(organization=org).values_list("pk", flat=True)[:n]
    return [client.post(URL, {"ticketId": pk}, format="json") for pk in ids]


def with_candidate_units(org, candidate, percentage, n=60):
    """n of the org's tickets, three of them in the candidate's share: which tickets fall in a
    5% share depends on the ids this run's database gave, and 60 tickets miss it 5% of runs."""
    ids = list(Ticket.objects.filter(organization=org).values_list("pk", flat=True))
    salt = candidate_salt(candidate.pk)
    inside = [pk for pk in ids if in_share(salt=salt, unit_id=str(pk), percentage=percentage)]
    assert len(inside) >= 3, "the org has too few tickets for the test"
    return inside[:3] + [pk for pk in ids if pk not in inside[:3]][: n - 3]


def test_a_corrupt_canary_never_reaches_the_caller(trained_org, agent_client):
    candidate = register(trained_org, "1.1.0")
    services.model_version_deploy(model_version=candidate, strategy="canary", percentage=30)
    corrupt_artifact(candidate)
    serving.cache_clear()  # another process, or a restart
    answers = classify_tickets(agent_client, trained_org)
    assert {a.status_code for a in answers} == {201}
    assert {a.json()["modelVersion"] for a in answers} == {"v1.0.0"}
    failed = InferenceLog.objects.filter(model_version=candidate)
    assert failed.count() > 5 and not failed.filter(success=True).exists()
    health = agent_client.get("/api/ai/models", {"view": "health", "version": "v1.1.0"})
    [candidate_health] = health.json()["health"]
    assert candidate_health["status"] == "unhealthy" and candidate_health["stats"]["errorRate"] == 1


def test_a_corrupt_ab_arm_never_reaches_the_caller(trained_org, agent_client):
    candidate = register(trained_org, "1.1.0")
    ab_test = services.ab_test_start(version_a=stable(trained_org), version_b=candidate)
    corrupt_artifact(candidate)
    serving.cache_clear()
    answers = classify_tickets(agent_client, trained_org, n=30)
    assert {a.status_code for a in answers} == {201}
    assert {a.json()["modelVersion"] for a in answers} == {"v1.0.0"}
    failed = InferenceLog.objects.filter(success=False)
    assert set(failed.values_list("ab_test", "arm")) == {(ab_test.pk, "B")}


def test_an_external_canary_left_from_before_is_served_by_the_stable_version(
    trained_org, agent_client
):
    """The issue's state (deployed before the deploy check existed): 3 of 60 classify calls
    answered 500 with IsADirectoryError, and health said healthy, 100."""
    external = register(trained_org, "1.1.0", provider="openai", external_model_id="gpt-4o-mini")
    Deployment.objects.filter(organization=trained_org, task="category", status="active").update(
        strategy="canary", candidate_version=external, candidate_percentage=5
    )
    ids = with_candidate_units(trained_org, external, percentage=5)
    answers = classify_tickets(agent_client, trained_org, ids=ids)
    assert {a.status_code for a in answers} == {201}
    failed = InferenceLog.objects.filter(model_version=external)
    assert failed.exists() and all("external model" in log.error for log in failed)
    health = agent_client.get("/api/ai/models", {"view": "health"}).json()["health"]
    [external_health] = [h for h in health if h["version"] == "v1.1.0"]
    assert external_health["role"] == "canary" and external_health["status"] == "unhealthy"


def test_when_the_stable_version_cannot_serve_either_it_is_503_json(trained_org, agent_client):
    version = stable(trained_org)
    corrupt_artifact(version)
    serving.cache_clear()
    response = agent_client.post(URL, {"subject": "Charged twice"}, format="json")
    assert response.status_code == 503
    body = response.json()
    assert body["error"] == "model_unavailable" and "v1.0.0" in body["message"]
    assert InferenceLog.objects.get(success=False).model_version == version
