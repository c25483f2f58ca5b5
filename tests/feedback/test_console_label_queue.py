"""The "label these" queue in the admin console: the expected-gain ranking, the selector
over real predictions (made through the classify API), and the POST that turns a reviewer's
label into a training example and an outcome."""

import re

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.messages import get_messages
from django.db import connection
from django.test.utils import CaptureQueriesContext

from aiops.models import Category, Classification, SentimentAnalysis, Ticket
from feedback import ranking
from feedback.selectors import label_queue
from models_registry.models import InferenceLog
from tests.factories import TicketFactory
from tests.feedback.operations import make_classification, post_feedback
from training.models import TrainingExample

QUEUE = "/admin/feedback/feedback/label-queue/"

TEXTS = [
    ("Charged twice", "My card was charged twice for the same invoice this month."),
    ("Cannot log in", "The password reset email never arrives and I am locked out."),
    ("App crashes", "The mobile app crashes whenever I open the settings screen."),
    ("Refund please", "I cancelled last week but still have not received my refund."),
    ("Export broken", "Exporting a report to CSV gives an empty file since yesterday."),
    ("Change plan", "How do I move my account from the monthly to the yearly plan?"),
]


def label_url(log_id: int) -> str:
    return f"{QUEUE}{log_id}/label/"


# ---- the ranking, pure ------------------------------------------------------------------


def test_error_rate_is_smoothed_by_a_beta_prior():
    assert ranking.error_rate(incorrect=0, judged=0) == 0.5  # unjudged: a coin flip, not 0
    assert ranking.error_rate(incorrect=0, judged=8) == pytest.approx(0.1)
    assert ranking.error_rate(incorrect=8, judged=8) == pytest.approx(0.9)
    assert ranking.error_rate(incorrect=30, judged=100) == pytest.approx(31 / 102)


def test_uncertainty_and_share():
    assert ranking.uncertainty(0.9) == pytest.approx(0.1)
    assert ranking.uncertainty(None) == 1.0
    assert ranking.uncertainty(1.2) == 0.0
    assert ranking.traffic_share(count=3, total=12) == 0.25
    assert ranking.traffic_share(count=0, total=0) == 0.0
    assert ranking.expected_gain(confidence=0.6, share=0.5, error=0.2) == pytest.approx(0.04)


def _order(candidates, stats):
    return [s.key for s in ranking.rank(candidates, stats)]


def test_rank_orders_by_each_factor():
    same = {("g", "a"): ranking.ClassStats(count=10, judged=10, incorrect=2)}
    # Uncertainty alone (same class): the less confident first.
    assert _order([("sure", "g", "a", 0.95), ("unsure", "g", "a", 0.55)], same) == [
        "unsure",
        "sure",
    ]
    # Traffic alone (same confidence and error rate): the frequent class first.
    traffic = {
        ("g", "rare"): ranking.ClassStats(count=1, judged=10, incorrect=2),
        ("g", "common"): ranking.ClassStats(count=9, judged=10, incorrect=2),
    }
    assert _order([("r", "g", "rare", 0.7), ("c", "g", "common", 0.7)], traffic) == ["c", "r"]
    # Error rate alone (same confidence and traffic): the class the model gets wrong first.
    errors = {
        ("g", "good"): ranking.ClassStats(count=5, judged=20, incorrect=1),
        ("g", "bad"): ranking.ClassStats(count=5, judged=20, incorrect=10),
    }
    assert _order([("ok", "g", "good", 0.7), ("ko", "g", "bad", 0.7)], errors) == ["ko", "ok"]


def test_rank_unjudged_class_is_not_zero_and_groups_have_their_own_shares():
    stats = {
        ("g1", "a"): ranking.ClassStats(count=1),
        ("g1", "b"): ranking.ClassStats(count=3),
        ("g2", "a"): ranking.ClassStats(count=2),
    }
    scored = {s.key: s for s in ranking.rank([(1, "g1", "a", 0.5), (2, "g2", "a", 0.5)], stats)}
    assert scored[1].share == 0.25 and scored[2].share == 1.0
    assert scored[1].error == scored[2].error == 0.5
    assert scored[1].gain == pytest.approx(0.5 * 0.25 * 0.5)
    assert [s.key for s in ranking.rank([(1, "g1", "a", 0.5), (2, "g2", "a", 0.5)], stats)] == [
        2,
        1,
    ]
    # Ties keep the given order (newest first), and the limit cuts.
    tied = ranking.rank([(1, "g1", "a", 0.5), (3, "g1", "a", 0.5)], stats, limit=1)
    assert [s.key for s in tied] == [1]


# ---- real predictions -------------------------------------------------------------------


@pytest.fixture
def predictions(trained_org, make_client):
    """Classifications (with sentiment) of free texts: texts no training example has yet."""
    agent = make_client(trained_org, "agent")
    made = []
    for subject, body in TEXTS:
        response = agent.post(
            "/api/ai/classify",
            {"subject": subject, "body": body, "include": ["sentiment"]},
            format="json",
        )
        assert response.status_code == 201, response.json()
        made.append(response.json())
    return made


def _log_of_operation(trained_org, operation_id):
    return Classification.objects.get(organization=trained_org, pk=operation_id).inference_log


def test_selector_ranks_unjudged_predictions_with_text_and_labels(
    trained_org, other_org, predictions, make_client
):
    make_classification(other_org)  # another organization's prediction
    judged = _log_of_operation(trained_org, predictions[0]["operationId"])
    agent = make_client(trained_org, "agent")
    response = post_feedback(
        agent,
        {
            "operationType": "classification",
            "operationId": predictions[0]["operationId"],
            "feedback": "positive",
        },
    )
    assert response.status_code == 201, response.json()

    rows = label_queue(organization_ids={trained_org.pk})
    ids = {row.inference_log_id for row in rows}
    unjudged = InferenceLog.objects.filter(
        organization=trained_org, task__in=["category", "sentiment"], outcome="unknown"
    )
    assert ids == set(unjudged.values_list("pk", flat=True))
    assert len(rows) == 2 * len(TEXTS) - 1 and judged.pk not in ids
    assert [row.gain for row in rows] == sorted((row.gain for row in rows), reverse=True)
    texts = {f"{s}\n{b}" for s, b in TEXTS}
    assert {row.text for row in rows} <= texts
    for row in rows:
        log = InferenceLog.objects.get(pk=row.inference_log_id)
        assert row.organization_id == trained_org.pk and row.predicted_label == log.predicted_label
        assert row.gain == pytest.approx((1 - log.confidence) * row.share * row.error_rate), row
        assert row.predicted_label in row.labels
    # Shares: the class's predictions over the task's; error rates: (incorrect + 1) /
    # (judged + 2), so the judged (correct) prediction's class has 1/3, the others 1/2.
    for row in rows:
        logs = InferenceLog.objects.filter(organization=trained_org, task=row.task)
        share = logs.filter(predicted_label=row.predicted_label).count() / logs.count()
        assert row.share == pytest.approx(share)
        judged_class = (row.task, row.predicted_label) == ("category", judged.predicted_label)
        assert row.error_rate == pytest.approx(1 / 3 if judged_class else 1 / 2)
    # Another organization's prediction is only in its own queue; the task filter narrows.
    theirs = label_queue(organization_ids={other_org.pk})
    assert len(theirs) == 1 and theirs[0].organization_id == other_org.pk
    assert theirs[0].inference_log_id not in ids
    assert {r.task for r in label_queue(organization_ids=None, task="sentiment")} == {"sentiment"}


def test_queue_page_lists_rows_with_hooks_in_bounded_queries(
    trained_org, predictions, make_staff, django_assert_max_num_queries
):
    client = make_staff(trained_org, "reviewer")
    # 16 today: session, user, 2 permission reads, memberships, 3 candidate queries, 2
    # aggregates, 2 text reads, organizations, categories, the console's organizations (2).
    with django_assert_max_num_queries(18) as first:
        page = client.get(QUEUE)
    for _ in range(5):  # more predictions cost no more queries
        make_classification(trained_org, category="Billing")
    with CaptureQueriesContext(connection) as more:
        again = client.get(QUEUE)
    assert len(more) == len(first)
    assert again.content.decode().count('class="label-row"') == 2 * len(TEXTS) + 5
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="label-queue"' in html
    rows = re.findall(r'<tr class="label-row" data-log-id="(\d+)" data-gain="([0-9.]+)"', html)
    assert len(rows) == 2 * len(TEXTS)
    gains = [float(g) for _, g in rows]
    assert gains == sorted(gains, reverse=True)
    assert html.count('<form class="label-form" method="post"') == len(rows)
    assert html.count('<button type="submit" class="label-submit">Label</button>') == len(rows)
    first = InferenceLog.objects.get(pk=int(rows[0][0]))
    assert f'<option value="{first.predicted_label}" selected>' in html
    # The changelist links to it.
    changelist = client.get("/admin/feedback/feedback/").content.decode()
    assert 'id="label-queue-link"' in changelist and QUEUE in changelist


def test_empty_queue(trained_org, make_staff):
    page = make_staff(trained_org, "reviewer").get(QUEUE)
    assert page.status_code == 200
    assert b'id="label-queue-empty"' in page.content and b'id="label-queue"' not in page.content


def _messages(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_label_with_another_class_makes_a_reviewer_example_and_an_incorrect_outcome(
    trained_org, predictions, make_staff
):
    client = make_staff(trained_org, "reviewer")
    log = _log_of_operation(trained_org, predictions[1]["operationId"])
    other = (
        Category.objects.filter(organization=trained_org)
        .exclude(name=log.predicted_label)
        .values_list("name", flat=True)
        .first()
    )
    response = client.post(label_url(log.pk) + "?task=category", {"label": other})
    assert response.status_code == 302 and response.url == QUEUE + "?task=category"
    log.refresh_from_db()
    assert (log.outcome, log.true_label) == ("incorrect", other)
    example = TrainingExample.objects.get(
        organization=trained_org,
        task="category",
        expected_output=other,
        input_text=f"{TEXTS[1][0]}\n{TEXTS[1][1]}",
    )
    assert example.source == "reviewer" and example.validation_status == "approved"
    assert example.reviewer == client.user
    assert example.operation_type == "classification"
    assert example.operation_id == predictions[1]["operationId"]
    entry = LogEntry.objects.get(object_id=str(log.pk))
    assert entry.action_flag == CHANGE and entry.user == client.user
    assert other in entry.get_change_message()
    assert any("wrong" in m for m in _messages(response))
    # It has left the queue.
    assert str(log.pk) not in re.findall(r'data-log-id="(\d+)"', client.get(QUEUE).content.decode())


def test_label_confirming_the_prediction_is_correct(trained_org, predictions, make_staff):
    client = make_staff(trained_org, "admin")
    analysis_id = predictions[2]["sentiment"]["operationId"]
    log = SentimentAnalysis.objects.get(pk=analysis_id).inference_log
    response = client.post(label_url(log.pk), {"label": log.predicted_label})
    assert response.status_code == 302 and response.url == QUEUE
    log.refresh_from_db()
    assert (log.outcome, log.true_label) == ("correct", log.predicted_label)
    example = TrainingExample.objects.get(
        organization=trained_org, task="sentiment", operation_id=analysis_id
    )
    assert (example.expected_output, example.source) == (log.predicted_label, "reviewer")


def test_invalid_label_writes_nothing(trained_org, predictions, make_staff):
    client = make_staff(trained_org, "reviewer")
    log = _log_of_operation(trained_org, predictions[0]["operationId"])
    before = TrainingExample.objects.count()
    response = client.post(label_url(log.pk), {"label": "Not A Category"}, follow=True)
    assert response.status_code == 200
    assert any("Unknown category label 'Not A Category'" in m for m in _messages(response))
    log.refresh_from_db()
    assert log.outcome == "unknown" and log.true_label == ""
    assert TrainingExample.objects.count() == before
    assert not LogEntry.objects.filter(object_id=str(log.pk)).exists()


def test_already_judged_prediction_is_refused(trained_org, predictions, make_staff):
    client = make_staff(trained_org, "reviewer")
    log = _log_of_operation(trained_org, predictions[0]["operationId"])
    first = client.post(label_url(log.pk), {"label": log.predicted_label})
    assert first.status_code == 302
    examples = TrainingExample.objects.count()
    again = client.post(label_url(log.pk), {"label": log.predicted_label}, follow=True)
    assert any("already judged correct" in m for m in _messages(again))
    assert TrainingExample.objects.count() == examples
    assert LogEntry.objects.filter(object_id=str(log.pk)).count() == 1


def test_priority_predictions_are_labelled_on_their_ticket_text(
    trained_org, make_client, make_staff
):
    ticket = TicketFactory(
        organization=trained_org, subject="Site down", body="Checkout fails for every customer."
    )
    agent = make_client(trained_org, "agent")
    response = agent.post(
        "/api/ai/classify", {"ticketId": ticket.pk, "include": ["priority"]}, format="json"
    )
    assert response.status_code == 201
    log = InferenceLog.objects.get(organization=trained_org, task="priority")
    rows = {
        r.inference_log_id: r
        for r in label_queue(organization_ids={trained_org.pk}, task="priority")
    }
    assert rows[log.pk].text == ticket.text and rows[log.pk].labels == ("low", "medium", "high")
    label = "high" if log.predicted_label != "high" else "low"
    client = make_staff(trained_org, "reviewer")
    assert client.post(label_url(log.pk), {"label": label}).status_code == 302
    log.refresh_from_db()
    assert (log.outcome, log.true_label) == ("incorrect", label)
    example = TrainingExample.objects.get(
        organization=trained_org, task="priority", input_text=ticket.text
    )
    assert (example.expected_output, example.source) == (label, "reviewer")


def test_agent_is_refused(trained_org, predictions, make_staff):
    client = make_staff(trained_org, "agent")
    log = _log_of_operation(trained_org, predictions[0]["operationId"])
    assert client.get(QUEUE).status_code == 403
    assert client.post(label_url(log.pk), {"label": log.predicted_label}).status_code == 403
    log.refresh_from_db()
    assert log.outcome == "unknown"


def test_other_organization_cannot_see_or_label(trained_org, other_org, predictions, make_staff):
    client = make_staff(other_org, "reviewer")
    log = _log_of_operation(trained_org, predictions[0]["operationId"])
    page = client.get(QUEUE)
    assert page.status_code == 200 and b'id="label-queue-empty"' in page.content
    assert client.get(QUEUE + f"?organization={trained_org.pk}").status_code == 403
    assert client.post(label_url(log.pk), {"label": log.predicted_label}).status_code == 404
    log.refresh_from_db()
    assert log.outcome == "unknown"
    # A superuser sees every organization's queue.
    assert str(log.pk).encode() in make_staff(None).get(QUEUE).content


def test_get_is_refused_for_post_only_route(trained_org, predictions, make_staff):
    client = make_staff(trained_org, "reviewer")
    log = _log_of_operation(trained_org, predictions[0]["operationId"])
    assert client.get(label_url(log.pk)).status_code == 405


def test_label_against_a_trusted_example_disputes_it(trained_org, make_client, make_staff):
    ticket = Ticket.objects.filter(organization=trained_org).order_by("pk").first()
    existing = TrainingExample.objects.get(
        organization=trained_org, task="category", input_text=ticket.text
    )
    response = make_client(trained_org, "agent").post(
        "/api/ai/classify", {"ticketId": ticket.pk}, format="json"
    )
    log = _log_of_operation(trained_org, response.json()["operationId"])
    other = (
        Category.objects.filter(organization=trained_org)
        .exclude(name=existing.expected_output)
        .values_list("name", flat=True)
        .first()
    )
    response = make_staff(trained_org, "reviewer").post(label_url(log.pk), {"label": other})
    log.refresh_from_db()
    assert (log.true_label, log.outcome) == (
        other,
        "correct" if other == log.predicted_label else "incorrect",
    )
    existing.refresh_from_db()
    assert existing.disputed and existing.expected_output != other
    assert any("disputed" in m for m in _messages(response))
