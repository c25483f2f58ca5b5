"""GET /api/ai/feedback: totals and rates, accuracy through the registry's one selector,
breakdowns by operation type, model version and period, filters, and pinned query counts."""

from datetime import UTC, datetime

import pytest

from feedback.models import Feedback
from feedback.services import feedback_submit
from models_registry.models import InferenceLog
from models_registry.selectors import accuracy
from tests.factories import MembershipFactory
from tests.feedback.operations import make_classification, make_sentiment, make_suggestion

pytestmark = pytest.mark.django_db

URL = "/api/ai/feedback"


def submit(organization, operation, operation_type, feedback, user=None, **extra):
    user = user or MembershipFactory(organization=organization).user
    return feedback_submit(
        organization=organization,
        user=user,
        operation_type=operation_type,
        operation_id=operation.pk,
        feedback=feedback,
        **extra,
    ).feedback


@pytest.fixture
def mixed(org):
    """4 classifications (v1.0.0: 2 right, 1 corrected; v1.1.0: 1 corrected), 1 sentiment
    (neutral), 1 suggestion (used): 3 positive, 2 negative, 1 neutral."""
    c = [make_classification(org, text=f"text number {i} about a problem") for i in range(3)]
    c.append(make_classification(org, text="yet another problem here", version=(1, 1, 0)))
    submit(org, c[0], "classification", "positive")
    submit(org, c[1], "classification", "positive")
    submit(org, c[2], "classification", "negative", corrected_category="Account")
    submit(org, c[3], "classification", "negative", corrected_category="Technical Issue")
    submit(org, make_sentiment(org), "sentiment", "neutral")
    submit(org, make_suggestion(org), "suggestion", "positive", was_used=True)
    return org


def test_totals_rates_and_acceptance(mixed, agent_client):
    response = agent_client.get(URL)
    assert response.status_code == 200
    body = response.json()
    totals = body["totals"]
    assert (totals["total"], totals["positive"], totals["negative"], totals["neutral"]) == (
        6,
        3,
        2,
        1,
    )
    assert totals["positiveRate"] == pytest.approx(0.5)
    assert totals["negativeRate"] == pytest.approx(2 / 6)
    assert totals["neutralRate"] == pytest.approx(1 / 6)
    expected = accuracy(logs=InferenceLog.objects.filter(organization=mixed, task="category"))
    assert expected.accuracy == pytest.approx(0.5)
    assert totals["acceptanceRate"] == pytest.approx(expected.accuracy)
    assert body["organization"] == "acme"
    assert body["accuracy"]["classification"] == {
        "correct": 2,
        "incorrect": 2,
        "judged": 4,
        "accuracy": 0.5,
    }
    assert body["accuracy"]["suggestion"]["accuracy"] == 1.0
    assert body["accuracy"]["sentiment"] == {
        "correct": 0,
        "incorrect": 0,
        "judged": 0,
        "accuracy": None,
    }


def test_by_operation_type(mixed, agent_client):
    rows = {r["operationType"]: r for r in agent_client.get(URL).json()["byOperationType"]}
    assert set(rows) == {"classification", "sentiment", "suggestion"}
    assert (rows["classification"]["total"], rows["classification"]["negative"]) == (4, 2)
    assert rows["classification"]["positiveRate"] == pytest.approx(0.5)
    assert rows["classification"]["accuracy"]["accuracy"] == pytest.approx(0.5)
    assert (rows["sentiment"]["total"], rows["sentiment"]["neutral"]) == (1, 1)


def test_by_model_version(mixed, agent_client):
    rows = agent_client.get(URL).json()["byModelVersion"]
    got = {(r["task"], r["modelVersion"]): r for r in rows}
    assert set(got) == {
        ("category", "v1.0.0"),
        ("category", "v1.1.0"),
        ("sentiment", "v1.0.0"),
        ("suggestion", "v1.0.0"),
    }
    v10, v11 = got[("category", "v1.0.0")], got[("category", "v1.1.0")]
    assert (v10["total"], v10["positive"], v10["negative"]) == (3, 2, 1)
    assert v10["accuracy"]["accuracy"] == pytest.approx(2 / 3)
    assert (v11["total"], v11["accuracy"]["accuracy"]) == (1, 0.0)


def _move(feedback: Feedback, when: datetime) -> None:
    Feedback.objects.filter(pk=feedback.pk).update(created_at=when)


@pytest.fixture
def spread(org):
    """Feedback on 2026-03-02 10:15, 10:45, 11:05, 2026-03-03 09:00, 2026-04-20 12:00 (UTC)."""
    times = [
        datetime(2026, 3, 2, 10, 15, tzinfo=UTC),
        datetime(2026, 3, 2, 10, 45, tzinfo=UTC),
        datetime(2026, 3, 2, 11, 5, tzinfo=UTC),
        datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        datetime(2026, 4, 20, 12, 0, tzinfo=UTC),
    ]
    for i, when in enumerate(times):
        operation = make_classification(org, text=f"spread ticket text {i}")
        value = "negative" if i == 0 else "positive"
        _move(submit(org, operation, "classification", value), when)
    return org


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        (
            "hour",
            [
                ("2026-03-02T10:00:00Z", 2),
                ("2026-03-02T11:00:00Z", 1),
                ("2026-03-03T09:00:00Z", 1),
                ("2026-04-20T12:00:00Z", 1),
            ],
        ),
        (
            "day",
            [("2026-03-02T00:00:00Z", 3), ("2026-03-03T00:00:00Z", 1), ("2026-04-20T00:00:00Z", 1)],
        ),
        ("week", [("2026-03-02T00:00:00Z", 4), ("2026-04-20T00:00:00Z", 1)]),
        ("month", [("2026-03-01T00:00:00Z", 4), ("2026-04-01T00:00:00Z", 1)]),
        ("all", [(None, 5)]),
    ],
)
def test_timeline_by_period(spread, agent_client, period, expected):
    body = agent_client.get(URL, {"period": period}).json()
    assert body["period"] == period
    timeline = body["timeline"]
    got = [(row["periodStart"], row["total"]) for row in timeline]
    assert [(_iso(start), total) for start, total in got] == expected
    assert sum(row["negative"] for row in timeline) == 1


def _iso(value):
    if value is None:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00")).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_date_range_filter(spread, agent_client):
    body = agent_client.get(
        URL, {"createdAfter": "2026-03-02T11:00:00Z", "createdBefore": "2026-04-01"}
    ).json()
    assert body["totals"]["total"] == 2
    assert body["totals"]["negative"] == 0


def test_operation_type_filter(mixed, agent_client):
    body = agent_client.get(URL, {"operationType": "sentiment"}).json()
    assert body["totals"]["total"] == 1
    assert set(body["accuracy"]) == {"sentiment"}
    assert body["totals"]["acceptanceRate"] is None
    assert [r["operationType"] for r in body["byOperationType"]] == ["sentiment"]


def test_model_version_filter_by_version_and_by_id(mixed, agent_client):
    body = agent_client.get(URL, {"modelVersion": "v1.1.0"}).json()
    assert body["totals"]["total"] == 1
    assert body["accuracy"]["classification"]["judged"] == 1
    version_id = body["byModelVersion"][0]["modelVersionId"]
    by_id = agent_client.get(URL, {"modelVersion": str(version_id)}).json()
    assert by_id["totals"] == body["totals"]
    every_task = agent_client.get(URL, {"modelVersion": "v1.0.0"}).json()
    assert every_task["totals"]["total"] == 5


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"period": "decade"}, "period"),
        ({"operationType": "forecast"}, "operationType"),
        ({"modelVersion": "latest"}, "modelVersion"),
        ({"createdAfter": "yesterday"}, "createdAfter"),
    ],
)
def test_invalid_query_is_400(agent_client, params, field):
    response = agent_client.get(URL, params)
    assert response.status_code == 400
    assert field in response.json()["fields"]


def test_empty_organization_has_zero_totals_and_no_rates(agent_client):
    body = agent_client.get(URL).json()
    assert body["totals"]["total"] == 0
    assert body["totals"]["positiveRate"] is None
    assert body["totals"]["acceptanceRate"] is None
    assert body["byOperationType"] == [] and body["timeline"] == []


def test_another_organizations_feedback_is_invisible(mixed, other_org, make_client):
    body = make_client(other_org, "agent").get(URL).json()
    assert body["totals"]["total"] == 0
    assert body["accuracy"]["classification"]["judged"] == 0
    assert body["byModelVersion"] == []


def test_query_count_is_the_same_for_one_model_version_and_for_many(
    org, agent_client, django_assert_num_queries
):
    operation = make_classification(org, text="the only version so far")
    submit(org, operation, "classification", "positive")
    # The first request reads the token and writes its last_used_at; later ones find it cached.
    agent_client.get(URL)
    assert len(agent_client.get(URL).json()["byModelVersion"]) == 1
    # totals, by type, by version, timeline (4) + accuracy grouped by task (1) + accuracy
    # grouped by the listed model versions (1): never per model version or row.
    with django_assert_num_queries(6):
        agent_client.get(URL)
    for i, version in enumerate([(1, 0, 0), (1, 1, 0), (2, 0, 0), (2, 1, 0), (3, 0, 0)]):
        operation = make_classification(org, text=f"more feedback rows {i} here", version=version)
        submit(org, operation, "classification", "negative", corrected_category="Account")
    submit(org, make_sentiment(org), "sentiment", "neutral")
    submit(org, make_suggestion(org), "suggestion", "positive", was_used=True)
    rows = agent_client.get(URL).json()["byModelVersion"]
    assert len(rows) == 7
    for row in rows:  # grouped, each version still gets the registry's own accuracy
        logs = InferenceLog.objects.filter(model_version_id=row["modelVersionId"])
        assert row["accuracy"]["judged"] == accuracy(logs=logs).judged
        assert row["accuracy"]["accuracy"] == accuracy(logs=logs).accuracy
    with django_assert_num_queries(6):
        agent_client.get(URL)
    with django_assert_num_queries(6):
        agent_client.get(URL, {"operationType": "classification", "period": "week"})
    with django_assert_num_queries(3 + 1 + 1):
        agent_client.get(URL, {"period": "all"})
