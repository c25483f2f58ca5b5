"""Race safety on PostgreSQL: concurrent posts, each thread with its own connection."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from aiops.models import Classification
from aiops.services.tenancy import api_token_issue
from feedback.models import Feedback
from feedback.services import feedback_examples_apply
from models_registry.models import InferenceLog
from models_registry.selectors import accuracy
from tests.factories import MembershipFactory
from tests.feedback.operations import make_classification
from training.models import TrainingExample

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

URL = "/api/ai/feedback"
N = 50


@pytest.fixture(autouse=True)
def _postgres_only(db):
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL (row locks and real concurrency)")


def _token(organization) -> str:
    _, key = api_token_issue(membership=MembershipFactory(organization=organization))
    return key


def _post_concurrently(requests: list[tuple[str, dict]]) -> list[int]:
    """POST every (token, body) at once from its own thread; return the status codes."""
    barrier = threading.Barrier(len(requests))

    def post(request):
        key, body = request
        try:
            client = APIClient()
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
            barrier.wait(timeout=30)
            return client.post(URL, body, format="json").status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(post, requests))


def _body(operation, i: int) -> dict:
    body = {"operationType": "classification", "operationId": operation.pk}
    if i % 2:
        return {**body, "feedback": "negative", "correctedCategory": "Technical Issue"}
    return {**body, "feedback": "positive"}


def test_same_user_same_operation_fifty_times(org):
    operation = make_classification(org)
    key = _token(org)
    statuses = _post_concurrently([(key, _body(operation, i)) for i in range(N)])
    assert sorted(statuses) == [200] * (N - 1) + [201]

    # The sweeps queued on commit ran in the posting threads; the one queued after the mark
    # expired (or beat's) applies what came later.
    feedback_examples_apply()
    assert not Feedback.objects.filter(training_pending=True).exists()
    record = Feedback.objects.get()
    operation.refresh_from_db()
    log = InferenceLog.objects.get(pk=operation.inference_log_id)
    example = TrainingExample.objects.get()
    # Whichever post came last, every record tells the same story.
    if record.feedback == "positive":
        expected = (True, None, "correct", "Billing", "Billing")
    else:
        expected = (False, "Technical Issue", "incorrect", "Technical Issue", "Technical Issue")
    corrected = operation.corrected_category.name if operation.corrected_category else None
    assert (
        operation.was_accepted,
        corrected,
        log.outcome,
        log.true_label,
        example.expected_output,
    ) == expected
    assert example.label_votes == {example.expected_output: 1}
    judged = accuracy(logs=InferenceLog.objects.filter(organization=org))
    assert judged.judged == 1


def test_fifty_users_on_operations_with_the_same_text(org):
    operations = [make_classification(org) for _ in range(N)]
    requests = [(_token(org), _body(operation, i)) for i, operation in enumerate(operations)]
    statuses = _post_concurrently(requests)
    assert statuses == [201] * N
    assert Feedback.objects.count() == N
    feedback_examples_apply()
    assert not Feedback.objects.filter(training_pending=True).exists()
    example = TrainingExample.objects.get()
    assert example.label_votes == {"Billing": N // 2, "Technical Issue": N // 2}
    assert Classification.objects.filter(was_accepted=True).count() == N // 2
    assert Classification.objects.filter(was_accepted=False).count() == N // 2
    judged = accuracy(logs=InferenceLog.objects.filter(organization=org))
    assert (judged.correct, judged.incorrect) == (N // 2, N // 2)


def test_concurrent_sweeps_over_shared_texts_and_organizations(org, other_org):
    """Four sweeps at once over rows whose votes land on the same examples, in two
    organizations: no deadlock, no lost vote, no duplicate example."""
    from unittest import mock

    from feedback.services import feedback_submit
    from tests.factories import UserFactory

    texts = [f"Shared ticket text number {i}" for i in range(4)]
    with mock.patch("feedback.services.submit._examples_apply_soon"):  # sweeps run below
        for organization in (org, other_org):
            user = UserFactory()
            for i in range(24):
                operation = make_classification(organization, text=texts[i % 4])
                feedback_submit(
                    organization=organization,
                    user=user,
                    operation_type="classification",
                    operation_id=operation.pk,
                    feedback="positive",
                )
    assert Feedback.objects.filter(training_pending=True).count() == 48
    barrier = threading.Barrier(4)

    def sweep(_):
        try:
            barrier.wait(timeout=30)
            return feedback_examples_apply(batch=5)
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=4) as pool:
        applied = list(pool.map(sweep, range(4)))
    assert sum(applied) == 48
    assert not Feedback.objects.filter(training_pending=True).exists()
    assert TrainingExample.objects.count() == 8
    assert {tuple(e.label_votes.items()) for e in TrainingExample.objects.all()} == {
        (("Billing", 6),)
    }
