"""The autonomous loop through the API, end to end: a first version, new feedback and newly
approved examples, the retrain check, a comparison on examples neither version fit, and
the policy's canary or A/B test for the better candidate, on the audit trail."""

import pytest

from aiops.models import Ticket
from models_registry.models import ABTest, Deployment, DeploymentEvent
from tests.feedback.operations import post_feedback
from training.models import TrainingExample, TrainingRun

pytestmark = pytest.mark.django_db


def _young_helpdesk(org):
    """The generated helpdesk with only its oldest third of category examples approved: a
    first version on little data, and more to come."""
    from aiops.services.demo import demo_helpdesk_load

    demo_helpdesk_load(organization=org, seed=3, n_tickets=400)
    examples = TrainingExample.objects.filter(organization=org, task="category").order_by("pk")
    later = list(examples.values_list("pk", flat=True))[130:]
    TrainingExample.objects.filter(pk__in=later).update(
        validation_status="pending", approved_at=None
    )
    return later


@pytest.mark.parametrize(
    ("policy", "started"), [("canary", "deploy"), ("ab_test", "ab_test_start")]
)
def test_a_better_candidate_starts_the_policys_canary_or_ab_test(
    org, make_client, django_capture_on_commit_callbacks, policy, started
):
    pending = _young_helpdesk(org)
    admin, reviewer = make_client(org, "admin"), make_client(org, "reviewer")
    agent = make_client(org, "agent")
    with django_capture_on_commit_callbacks(execute=True):
        first = admin.post("/api/ai/train", {"task": "category"}, format="json").json()
    first = TrainingRun.objects.get(pk=first["runId"])
    assert first.model_version.version == "v1.0.0" and first.model_version.status == "active"
    response = admin.patch(
        "/api/retrain-policies/category",
        {"onBetterCandidate": policy, "candidatePercentage": 20, "minNewExamples": 50},
        format="json",
    )
    assert response.status_code == 200, response.json()

    # agents correct the live predictions; the sweep turns that into training votes
    for ticket in Ticket.objects.filter(organization=org).select_related("category")[:20]:
        operation = agent.post("/api/ai/classify", {"ticketId": ticket.pk}, format="json")
        assert operation.status_code == 201, operation.json()
        body = {
            "operationType": "classification",
            "operationId": operation.json()["operationId"],
            "feedback": "negative",
            "correctedCategory": ticket.category.name,
        }
        if operation.json()["category"] == ticket.category.name:
            body = {**body, "feedback": "positive", "correctedCategory": None}
        assert post_feedback(agent, body).status_code == 201
    # a reviewer approves the new data
    reviewed = reviewer.post(
        "/api/training-examples/review", {"ids": pending, "decision": "approve"}, format="json"
    )
    assert reviewed.status_code == 200, reviewed.json()

    with django_capture_on_commit_callbacks(execute=True):
        check = admin.post(
            "/api/ai/train", {"action": "check", "task": "category"}, format="json"
        ).json()
    (run_id,) = check["runsQueued"]
    run = admin.get(f"/api/training-runs/{run_id}").json()
    assert run["status"] == "succeeded" and run["trigger"] == "data_volume"
    comparison = run["comparison"]
    assert comparison["comparable"] is True and comparison["activeVersion"] == "v1.0.0"
    assert comparison["holdoutSeenByActive"] == 0 and comparison["holdoutSize"] > 50
    assert comparison["candidateAccuracy"] > comparison["activeAccuracy"]
    action = comparison["candidateAction"]
    assert action["status"] == policy and action["accuracyDelta"] > 0
    candidate = TrainingRun.objects.get(pk=run_id).model_version
    assert candidate.version == "v1.1.0"
    if policy == "canary":
        deployment = Deployment.objects.get(organization=org, task="category", status="active")
        assert deployment.candidate_version == candidate
        assert deployment.candidate_percentage == 20
    else:
        ab_test = ABTest.objects.get(organization=org, task="category", status="running")
        assert (ab_test.version_a, ab_test.version_b) == (first.model_version, candidate)
        assert ab_test.split_percentage == 20 and action["abTestId"] == ab_test.pk
    event = DeploymentEvent.objects.filter(organization=org, action=started).latest("pk")
    assert event.to_version == candidate and f"training run {run_id}" in event.reason
