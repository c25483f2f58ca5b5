"""/api/ai/train (train, check, metrics, history, quality, export), policies and reviews."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.factories import categories
from training import services
from training.importers import ParsedRow, parse_file
from training.models import TrainingExample, TrainingRun

pytestmark = pytest.mark.django_db

TRICKY = [
    ("Card, lost; what now?", "card"),
    ('He said "refund" twice', "refund"),
    ("line one\nline two\r\nline three", "multi"),
    ("Ünïcödé ✓ 漢字 🙂 — ok", "unicode"),
    ("  leading and trailing  ", "space"),
]


CATEGORIES = ("label0", "label1", "label2", "a", "b", "user_label", "fixed", "x")


@pytest.fixture(autouse=True)
def _categories(request):
    """The category labels these tests use are categories of the organizations they use."""
    for name in ("org", "other_org"):
        if name in request.fixturenames:
            categories(request.getfixturevalue(name), *CATEGORIES, *(lab for _, lab in TRICKY))


def _priority(i):
    return ("low", "medium", "high")[i % 3]


def _rows(n, prefix="example text", label_of=lambda i: f"label{i % 3}"):
    return [ParsedRow(line=i + 1, text=f"{prefix} {i}", label=label_of(i)) for i in range(n)]


def _import(org, rows, approve=True, task="category"):
    services.examples_import(organization=org, task=task, rows=rows, approve=approve)


@pytest.fixture
def admin(make_client, org):
    return make_client(org, "admin")


def _stream(response) -> str:
    assert response.streaming
    return b"".join(response.streaming_content).decode("utf-8")


# --- export -------------------------------------------------------------------------------


def test_csv_export_round_trips_awkward_text(org, admin):
    _import(org, [ParsedRow(line=i, text=t, label=lab) for i, (t, lab) in enumerate(TRICKY)])
    response = admin.get("/api/ai/train", {"view": "export", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = _stream(response)
    parsed = list(csv.DictReader(io.StringIO(body, newline="")))
    # (in insertion order: by content hash, the order every upsert inserts in)
    assert sorted((r["input_text"], r["expected_output"]) for r in parsed) == sorted(TRICKY)
    # and the importer reads the export back to the same examples
    result = parse_file(
        body.encode(), fmt="csv", text_column="input_text", label_column="expected_output"
    )
    assert not result.errors
    assert [(r.text, r.label) for r in result.rows] == [
        (r["input_text"].strip(), r["expected_output"]) for r in parsed
    ]


def test_json_export_round_trips(org, admin):
    _import(org, [ParsedRow(line=i, text=t, label=lab) for i, (t, lab) in enumerate(TRICKY)])
    response = admin.get("/api/ai/train", {"view": "export", "format": "json"})
    items = json.loads(_stream(response))
    assert sorted((i["inputText"], i["expectedOutput"]) for i in items) == sorted(TRICKY)
    assert set(items[0]) == {
        "id",
        "task",
        "inputText",
        "expectedOutput",
        "source",
        "qualityScore",
        "validationStatus",
        "createdAt",
    }


def test_openai_export_lines_are_valid_and_round_trip(org, admin):
    rows = [ParsedRow(line=i, text=t, label=lab) for i, (t, lab) in enumerate(TRICKY)]
    _import(org, rows + _rows(6))
    _import(org, _rows(3, prefix="pending"), approve=False)
    response = admin.get(
        "/api/ai/train", {"view": "export", "format": "openai", "task": "category"}
    )
    assert response.status_code == 200
    lines = _stream(response).splitlines()
    assert len(lines) == 11  # approved only, by default
    records = [json.loads(line) for line in lines]
    for record in records:
        roles = [m["role"] for m in record["messages"]]
        assert roles == ["system", "user", "assistant"]
        assert all(
            isinstance(m["content"], str) and m["content"].strip() for m in record["messages"]
        )
    pairs = [(r["messages"][1]["content"], r["messages"][2]["content"]) for r in records]
    assert set(TRICKY) <= set(pairs)


def test_openai_export_needs_ten_examples(org, admin):
    _import(org, _rows(9))
    response = admin.get("/api/ai/train", {"view": "export", "format": "openai"})
    assert response.status_code == 400
    assert "at least 10" in response.json()["message"]


def test_openai_export_of_several_tasks_needs_a_task(org, admin):
    _import(org, _rows(10))
    _import(org, _rows(10, label_of=_priority), task="priority")
    response = admin.get("/api/ai/train", {"view": "export", "format": "openai"})
    assert response.status_code == 400 and "task" in response.json()["fields"]


def test_export_filters(org, admin):
    _import(org, _rows(4, prefix="approved"))
    _import(org, _rows(3, prefix="pending"), approve=False)
    _import(org, _rows(2, prefix="prio", label_of=_priority), task="priority")
    old = TrainingExample.objects.filter(input_text="approved 0")
    old.update(created_at=timezone.now() - timedelta(days=10))
    TrainingExample.objects.filter(input_text="approved 1").update(quality_score=0.95)

    def texts(**params):
        response = admin.get("/api/ai/train", {"view": "export", "format": "json", **params})
        assert response.status_code == 200, response.content
        return sorted(i["inputText"] for i in json.loads(_stream(response)))

    assert len(texts()) == 6  # approved, by default
    assert len(texts(status="all")) == 9
    assert texts(status="pending") == ["pending 0", "pending 1", "pending 2"]
    assert texts(task="priority") == ["prio 0", "prio 1"]
    assert texts(minQuality=0.9) == ["approved 1"]
    cutoff = (timezone.now() - timedelta(days=1)).isoformat()
    assert texts(createdBefore=cutoff) == ["approved 0"]
    assert "approved 0" not in texts(createdAfter=cutoff)
    assert admin.get("/api/ai/train", {"view": "export", "minQuality": 2}).status_code == 400
    assert admin.get("/api/ai/train", {"view": "export", "format": "xml"}).status_code == 400


def _export(admin, **params):
    response = admin.get("/api/ai/train", {"view": "export", **params})
    assert response.status_code == 200, response.content
    body = _stream(response)
    fmt = params.get("format", "json")
    if fmt == "csv":
        return [r["input_text"] for r in csv.DictReader(io.StringIO(body, newline=""))]
    if fmt == "openai":
        return [json.loads(line)["messages"][1]["content"] for line in body.splitlines()]
    return [i["inputText"] for i in json.loads(body)]


@pytest.mark.parametrize("fmt", ["json", "csv", "openai"])
def test_export_defaults_to_approved_in_every_format(org, admin, fmt):
    _import(org, _rows(12, prefix="approved"))
    _import(org, _rows(3, prefix="pending"), approve=False)
    texts = _export(admin, format=fmt, task="category")
    assert sorted(texts) == sorted(f"approved {i}" for i in range(12))
    everything = _export(admin, format=fmt, task="category", status="all")
    assert len(everything) == 15


@pytest.mark.parametrize("fmt", ["json", "csv", "openai"])
def test_export_limit_is_honoured_in_every_format(org, admin, fmt):
    _import(org, _rows(30))
    all_texts = _export(admin, format=fmt, task="category")
    assert len(all_texts) == 30
    assert _export(admin, format=fmt, task="category", limit=12) == all_texts[:12]
    assert _export(admin, format=fmt, task="category", limit=1000) == all_texts


@pytest.mark.parametrize("limit", [0, -1, 100_001, "many", 1.5])
def test_export_limit_is_a_bounded_positive_integer(org, admin, limit):
    response = admin.get("/api/ai/train", {"view": "export", "limit": limit})
    assert response.status_code == 400
    assert "limit" in response.json()["fields"]


def test_openai_export_limit_below_the_minimum_is_refused(org, admin):
    _import(org, _rows(20))
    response = admin.get(
        "/api/ai/train", {"view": "export", "format": "openai", "task": "category", "limit": 5}
    )
    assert response.status_code == 400
    assert "at least 10" in response.json()["message"]


def test_export_is_admin_only_and_scoped(org, other_org, make_client, admin):
    _import(other_org, _rows(3, prefix="theirs"))
    _import(org, _rows(2, prefix="mine"))
    reviewer = make_client(org, "reviewer")
    assert reviewer.get("/api/ai/train", {"view": "export"}).status_code == 403
    items = json.loads(_stream(admin.get("/api/ai/train", {"view": "export"})))
    assert sorted(i["inputText"] for i in items) == ["mine 0", "mine 1"]


# --- POST train / check -------------------------------------------------------------------------


def test_post_check_returns_reasons_and_queued_runs(org, admin):
    _import(org, _rows(1000))
    response = admin.post("/api/ai/train", {"action": "check"}, format="json")
    assert response.status_code == 200
    body = response.json()
    by_task = {d["task"]: d for d in body["decisions"]}
    assert set(by_task) == {"category", "priority", "sentiment"}
    category = by_task["category"]
    assert [r["trigger"] for r in category["reasons"]] == ["data_volume", "schedule"]
    assert body["runsQueued"] == [category["runId"]]
    assert TrainingRun.objects.get(pk=category["runId"]).trigger == "data_volume"
    assert by_task["priority"] == {"task": "priority", "reasons": [], "runId": None, "skipped": ""}


def test_post_check_with_force_queues_a_manual_run(org, admin):
    response = admin.post(
        "/api/ai/train", {"action": "check", "task": "sentiment", "force": True}, format="json"
    )
    (decision,) = response.json()["decisions"]
    assert TrainingRun.objects.get(pk=decision["runId"]).trigger == "manual"


def test_post_train_twice_is_a_conflict(org, admin):
    first = admin.post("/api/ai/train", {"action": "train", "task": "priority"}, format="json")
    assert first.status_code == 202 and first.json()["status"] == "queued"
    second = admin.post("/api/ai/train", {"action": "train", "task": "priority"}, format="json")
    assert second.status_code == 409


def test_post_detect_noise_queues_the_task(org, admin, monkeypatch):
    calls = []
    monkeypatch.setattr(
        "training.api.views.label_noise_detect_task.delay", lambda *a: calls.append(a)
    )
    response = admin.post(
        "/api/ai/train", {"action": "detect_noise", "task": "category"}, format="json"
    )
    assert response.status_code == 202 and calls == [(org.pk, "category")]


# --- GET views ------------------------------------------------------------------------------------


def test_quality_view(org, make_client):
    _import(org, _rows(7, label_of=lambda i: "a" if i < 5 else "b"))
    _import(org, _rows(2, prefix="pending"), approve=False)
    services.training_example_upsert(
        organization=org,
        task="category",
        text="user said",
        label="user_label",
        source="user_correction",
    )
    reviewer = make_client(org, "reviewer")
    response = reviewer.get("/api/ai/train", {"view": "quality", "task": "category"})
    assert response.status_code == 200
    quality = response.json()["quality"]
    assert quality["total"] == 10
    assert {s["status"]: s["count"] for s in quality["byStatus"]} == {
        "pending": 3,
        "approved": 7,
        "rejected": 0,
    }
    assert {s["source"]: s["count"] for s in quality["bySource"]} == {
        "import": 9,
        "user_correction": 1,
    }
    assert quality["labelCounts"] == [{"label": "a", "count": 5}, {"label": "b", "count": 2}]
    assert quality["imbalanceRatio"] == 2.5
    histogram = quality["qualityHistogram"]
    assert len(histogram) == 10 and sum(b["count"] for b in histogram) == 10


def test_history_and_metrics_views(org, admin, make_client):
    run = TrainingRun.objects.create(
        organization=org,
        task="category",
        status="succeeded",
        metrics={"accuracy": 0.9, "f1_macro": 0.8, "ece": 0.05},
        finished_at=timezone.now(),
    )
    TrainingRun.objects.create(organization=org, task="category", status="failed")
    history = admin.get("/api/ai/train", {"view": "history"}).json()["history"]
    assert len(history) == 2
    metrics = make_client(org, "reviewer").get("/api/ai/train", {"view": "metrics"}).json()
    category = metrics["metrics"]["category"]
    assert category["runs"] == {"succeeded": 1, "failed": 1}
    assert category["latest"]["runId"] == run.pk
    assert category["latest"]["metrics"]["accuracy"] == 0.9


def test_agents_cannot_read_training(org, make_client):
    agent = make_client(org, "agent")
    assert agent.get("/api/ai/train", {"view": "quality"}).status_code == 403
    assert agent.get("/api/ai/train").status_code == 403


# --- policies and reviews through the API -----------------------------------------------------


def test_retrain_policy_api(org, admin, make_client):
    listed = make_client(org, "reviewer").get("/api/retrain-policies").json()
    assert [p["task"] for p in listed] == ["category", "priority", "sentiment"]
    assert listed[0]["accuracyThreshold"] == 0.95 and listed[0]["saved"] is False
    response = admin.patch(
        "/api/retrain-policies/category",
        {"onBetterCandidate": "ab_test", "minNewExamples": 500},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["onBetterCandidate"] == "ab_test" and response.json()["saved"]
    bad = admin.patch("/api/retrain-policies/category", {"accuracyThreshold": 3}, format="json")
    assert bad.status_code == 400 and "accuracyThreshold" in bad.json()["fields"]
    assert admin.patch("/api/retrain-policies/suggestion", {}, format="json").status_code == 404
    reviewer = make_client(org, "reviewer")
    assert reviewer.patch("/api/retrain-policies/category", {}, format="json").status_code == 403


def test_review_and_add_through_the_api(org, make_client):
    _import(org, _rows(3), approve=False)
    ids = list(TrainingExample.objects.values_list("pk", flat=True))
    reviewer = make_client(org, "reviewer")
    response = reviewer.post(
        "/api/training-examples/review",
        {"ids": ids[:2], "decision": "relabel", "label": "fixed", "notes": "n"},
        format="json",
    )
    assert response.status_code == 200
    assert {e["expectedOutput"] for e in response.json()} == {"fixed"}
    missing = reviewer.post(
        "/api/training-examples/review", {"ids": [999999], "decision": "approve"}, format="json"
    )
    assert missing.status_code == 404
    added = reviewer.post(
        "/api/training-examples", {"text": "new one here", "label": "x"}, format="json"
    )
    assert added.status_code == 201 and added.json()["source"] == "reviewer"
    agent = make_client(org, "agent")
    assert (
        agent.post(
            "/api/training-examples/review", {"ids": ids, "decision": "approve"}, format="json"
        ).status_code
        == 403
    )
