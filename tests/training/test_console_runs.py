"""The console's TrainingRun page (report, confusion matrix, live progress) and RetrainPolicy
page (would it retrain now and why; retrain now)."""

import itertools
import re
from datetime import timedelta
from html import unescape as html_unescape

import pytest
from django.contrib.admin.models import LogEntry
from django.utils import timezone

from training import services
from training.models import RetrainPolicy, TrainingExample, TrainingRun

pytestmark = pytest.mark.django_db
_hashes = itertools.count()


@pytest.fixture
def finished_run(trained_org):
    """A real category run on the demo helpdesk (v1.0.0 of the fixture is active)."""
    run = services.training_run_create(
        organization=trained_org, task="category", enqueue=False, force=True
    )
    run = services.training_run_execute(run_id=run.pk)
    assert run.status == "succeeded", run.error
    return run


def _table(html: str, table_id: str) -> str:
    match = re.search(rf'<table id="{table_id}">(.*?)</table>', html, re.S)
    assert match, f"no #{table_id}"
    return match.group(1)


def test_finished_run_page_shows_metrics_per_class_and_confusion_matrix(
    finished_run, make_staff, trained_org
):
    page = make_staff(trained_org, "reviewer").get(
        f"/admin/training/trainingrun/{finished_run.pk}/change/"
    )
    assert page.status_code == 200
    html = page.content.decode()
    metrics = _table(html, "run-metrics")
    accuracy = finished_run.metrics["accuracy"]
    assert re.search(
        rf'data-metric="accuracy"><th>accuracy</th><td class="num">{accuracy}<', metrics
    )
    assert 'data-metric="f1_macro"' in metrics and "per_class" not in metrics
    per_class = _table(html, "run-per-class")
    rows = re.findall(r'<tr data-label="([^"]+)">', per_class)
    assert [html_unescape(row) for row in rows] == sorted(finished_run.metrics["per_class"])
    label, figures = sorted(finished_run.metrics["per_class"].items())[0]
    assert f'<td class="num">{figures["support"]}</td></tr>' in per_class
    assert 'data-chart="confusion-matrix"' in html and 'id="confusion-matrix"' in html
    assert '"type":"heatmap"' in html.replace(" ", "")
    assert "confusion-matrix-missing" not in html
    assert "plotly.min.js" in html
    # the fixture's v1.0.0 has no training run on record: not comparable, and said why
    comparison = _table(html, "run-comparison")
    assert "v1.0.0" in comparison
    assert 'data-field="comparable"' in comparison and "console-bad" in comparison
    assert "no training run on record" in comparison
    assert 'id="run-progress"' not in html and "run-refresh" not in html


def test_comparison_with_an_active_run_version_shows_both_accuracies(
    finished_run, make_staff, trained_org
):
    from models_registry.services import model_version_deploy

    model_version_deploy(model_version=finished_run.model_version, reason="test")
    second = services.training_run_create(
        organization=trained_org, task="category", enqueue=False, force=True
    )
    second = services.training_run_execute(run_id=second.pk)
    assert second.comparison["comparable"] is True
    html = (
        make_staff(trained_org)
        .get(f"/admin/training/trainingrun/{second.pk}/change/")
        .content.decode()
    )
    comparison = _table(html, "run-comparison")
    for field in ("active_accuracy", "candidate_accuracy", "accuracy_delta"):
        assert f'data-field="{field}"><th>{field}</th><td>{second.comparison[field]}<' in comparison
    assert 'data-field="candidate_action"' in comparison
    assert second.comparison["candidate_action"]["status"] in comparison


def test_running_run_shows_progress_and_polls_until_finished(org, make_staff):
    run = TrainingRun.objects.create(organization=org, task="category", status="running")
    TrainingRun.objects.filter(pk=run.pk).update(progress=0.3)
    client = make_staff(org)
    html = client.get(f"/admin/training/trainingrun/{run.pk}/change/").content.decode()
    assert re.search(r'<progress id="run-progress" max="1" value="0\.30*">', html)
    assert 'id="run-refresh"' in html
    progress_url = f"/admin/training/trainingrun/{run.pk}/progress/"
    assert f'data-progress-url="{progress_url}"' in html
    assert "confusion-matrix-missing" in html  # nothing evaluated yet
    assert client.get(progress_url).json() == {
        "status": "running",
        "progress": 0.3,
        "finished": False,
    }
    TrainingRun.objects.filter(pk=run.pk).update(status="succeeded", progress=1.0)
    assert client.get(progress_url).json()["finished"] is True
    html = client.get(f"/admin/training/trainingrun/{run.pk}/change/").content.decode()
    assert 'id="run-progress"' not in html and "run-refresh" not in html


def test_other_organizations_runs_are_hidden(org, other_org, make_staff):
    run = TrainingRun.objects.create(organization=other_org, task="category", status="running")
    client = make_staff(org, "admin")
    assert client.get(f"/admin/training/trainingrun/{run.pk}/change/").status_code == 302
    assert client.get(f"/admin/training/trainingrun/{run.pk}/progress/").status_code == 404
    assert b"globex" not in client.get("/admin/training/trainingrun/").content
    assert (
        make_staff(None).get(f"/admin/training/trainingrun/{run.pk}/progress/").status_code == 200
    )


# --- RetrainPolicy: would it retrain now, and why ------------------------------------------


def _approved(org, n, *, task="category"):
    now = timezone.now()
    TrainingExample.objects.bulk_create(
        TrainingExample(
            organization=org,
            task=task,
            input_text=f"text {i}",
            expected_output="a" if i % 2 else "b",
            source="import",
            content_hash=f"console-{next(_hashes)}",
            validation_status="approved",
            approved_at=now,
        )
        for i in range(n)
    )


def _last_run(org, *, hours_ago: float, task="category"):
    run = TrainingRun.objects.create(organization=org, task=task, status="succeeded")
    created = timezone.now() - timedelta(hours=hours_ago)
    TrainingRun.objects.filter(pk=run.pk).update(created_at=created)


def _verdict(html: str):
    match = re.search(r'<section id="policy-verdict"[^>]*data-retrain="(true|false)"', html)
    assert match, "no #policy-verdict"
    reasons = re.findall(r'<li data-trigger="([a-z_]+)">([^<]*)</li>', html)
    return match.group(1), reasons


def test_policy_that_would_retrain_says_why_with_figures(org, make_staff):
    _last_run(org, hours_ago=2)
    _approved(org, 12)
    policy = services.retrain_policy_update(organization=org, task="category", min_new_examples=10)
    client = make_staff(org, "admin")
    html = client.get(f"/admin/training/retrainpolicy/{policy.pk}/change/").content.decode()
    retrain, reasons = _verdict(html)
    assert retrain == "true"
    assert reasons == [
        ("data_volume", "12 new validated examples since the last run (threshold 10).")
    ]
    assert re.search(r'data-fact="new_examples"><th>[^<]*</th><td>12 \(threshold 10\)', html)
    assert 'id="retrain-now-form"' in html
    listing = client.get("/admin/training/retrainpolicy/").content.decode()
    assert 'data-retrain="true">yes: data_volume<' in listing


def test_policy_that_would_not_retrain_shows_the_figures(org, make_staff):
    _last_run(org, hours_ago=2)
    _approved(org, 3)
    policy = services.retrain_policy_update(organization=org, task="category", interval_hours=24)
    html = (
        make_staff(org, "admin")
        .get(f"/admin/training/retrainpolicy/{policy.pk}/change/")
        .content.decode()
    )
    retrain, reasons = _verdict(html)
    assert (retrain, reasons) == ("false", [])
    assert 'id="policy-no-reason"' in html
    assert re.search(r"<td>3 \(threshold 1000\)</td>", html)
    assert re.search(r"\(2\.0\d? h ago; interval 24 h\)", html)


def test_disabled_policy_has_reasons_but_is_blocked(org, make_staff):
    _approved(org, 12)  # never trained: the schedule reason holds
    policy = services.retrain_policy_update(organization=org, task="category", enabled=False)
    html = (
        make_staff(org, "admin")
        .get(f"/admin/training/retrainpolicy/{policy.pk}/change/")
        .content.decode()
    )
    retrain, reasons = _verdict(html)
    assert retrain == "false" and [t for t, _ in reasons] == ["schedule"]
    assert 'id="policy-blocked"' in html and "disabled" in html


def test_retrain_now_queues_a_manual_run_and_is_logged(org, make_staff):
    _approved(org, 12)
    policy = services.retrain_policy_update(organization=org, task="category", estimator="fast")
    client = make_staff(org, "admin")
    url = f"/admin/training/retrainpolicy/{policy.pk}/retrain/"
    assert client.get(url).status_code == 405
    response = client.post(url)
    run = TrainingRun.objects.get(organization=org, task="category")
    assert (run.trigger, run.status, run.params["estimator"]) == ("manual", "queued", "fast")
    assert run.requested_by == client.user
    assert response["Location"] == f"/admin/training/trainingrun/{run.pk}/change/"
    log = LogEntry.objects.get(object_id=str(policy.pk))
    assert log.change_message == f"Queued training run {run.pk} (manual)"
    # a second one while the first is queued: refused with the service's message, no 500
    page = client.post(url, follow=True)
    assert page.status_code == 200
    assert "already queued" in page.content.decode()
    assert TrainingRun.objects.filter(organization=org).count() == 1


def test_retrain_policy_is_admin_only_and_scoped(org, other_org, make_staff):
    policy = services.retrain_policy_update(organization=org, task="category")
    theirs = services.retrain_policy_update(organization=other_org, task="category")
    reviewer = make_staff(org, "reviewer")
    html = reviewer.get(f"/admin/training/retrainpolicy/{policy.pk}/change/").content.decode()
    assert 'id="policy-verdict"' in html and 'id="retrain-now-form"' not in html
    assert reviewer.post(f"/admin/training/retrainpolicy/{policy.pk}/retrain/").status_code == 403
    admin = make_staff(org, "admin")
    assert admin.post(f"/admin/training/retrainpolicy/{theirs.pk}/retrain/").status_code == 404
    assert admin.get(f"/admin/training/retrainpolicy/{theirs.pk}/change/").status_code == 302
    assert not TrainingRun.objects.exists()
    assert RetrainPolicy.objects.get(pk=policy.pk).updated_by is None
