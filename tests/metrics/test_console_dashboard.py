"""GET /admin/dashboard/: health per organization and version, the six charts, the figures of
the metrics report, the review backlog; scoped to the staff user's organizations."""

import re
from datetime import UTC, datetime

import pytest
from django.conf import settings
from django.templatetags.static import static
from django.utils import timezone

from metrics import dashboard
from metrics.report import MetricsQuery, metrics_report
from models_registry.models import InferenceLog
from tests.metrics.test_api import classify_and_judge
from training.models import TrainingExample

URL = "/admin/dashboard/"
CHARTS = (
    "chart-accuracy",
    "chart-volume",
    "chart-latency",
    "chart-cost",
    "chart-drift",
    "chart-backlog",
)
VERSION_ROW = re.compile(
    r'<tr class="health-version" data-organization="([^"]+)" data-task="([^"]+)"\s+'
    r'data-version="([^"]+)" data-status="([^"]+)">'
)


def kpi(html: str, name: str) -> str:
    return re.search(rf'id="kpi-{name}" data-value="([^"]*)"', html).group(1)


def backlog_row(html: str, task: str) -> tuple[int, int, int]:
    row = re.search(
        rf'<tr data-task="{task}"><td>{task}</td><td class="backlog-pending">(\d+)</td>\s*'
        r'<td class="backlog-disputed">(\d+)</td><td class="backlog-noisy">(\d+)</td>',
        html,
    )
    return tuple(int(n) for n in row.groups())


@pytest.fixture
def served(trained_org, make_client):
    """8 classifications with feedback (2 corrected) and 3 without: realized and estimated."""
    client = make_client(trained_org, "agent")
    classify_and_judge(client, n=8, wrong=2)
    for i in range(3):
        answer = client.post(
            "/api/ai/classify", {"subject": f"App crashes on login {i}"}, format="json"
        )
        assert answer.status_code == 201
    return trained_org


@pytest.mark.django_db
def test_the_page_draws_every_chart_and_the_report_figures(served, make_staff):
    staff = make_staff(served, "reviewer")
    response = staff.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for chart_id in CHARTS:
        assert f'class="console-chart" data-chart="{chart_id}"' in html
        assert f'id="{chart_id}"' in html
    report = metrics_report(
        organization=served, query=MetricsQuery(period="week"), now=timezone.now()
    )
    figures = report["metrics"]
    total = sum(figures[k]["total"] for k in ("classification", "priority", "sentiment"))
    total += figures["suggestion"]["total"]
    assert (
        int(kpi(html, "predictions"))
        == total
        == InferenceLog.objects.filter(organization=served).count()
    )
    assert figures["classification"]["total"] == 11
    assert float(kpi(html, "accuracy")) == pytest.approx(6 / 8)
    assert float(kpi(html, "accuracy")) == figures["classification"]["accuracy"]
    assert float(kpi(html, "estimated-accuracy")) == figures["classification"]["estimated_accuracy"]
    assert float(kpi(html, "cost")) == figures["cost"]["totalCostUSD"]
    assert kpi(html, "health") == report["system_health"]["status"]
    # The accuracy chart has the realized and the estimated series of the category version.
    assert "category v1.0.0 realized" in html and "category v1.0.0 estimated" in html
    # The drift chart draws its thresholds.
    assert f"JS warn {settings.AIOPS_DRIFT_JS_WARN:g}" in html
    assert f"PSI major {settings.AIOPS_DRIFT_PSI_MAJOR:g}" in html


@pytest.mark.django_db
def test_the_health_table_lists_the_deployed_versions_with_their_status(served, make_staff):
    html = make_staff(served, "reviewer").get(URL).content.decode()
    assert 'id="health-table"' in html
    rows = {(task, version): status for _, task, version, status in VERSION_ROW.findall(html)}
    assert set(rows) == {
        ("category", "v1.0.0"),
        ("priority", "v1.0.0"),
        ("sentiment", "v1.0.0"),
        ("suggestion", "v1.0.0"),
    }
    # Category served 11 predictions; suggestion none: no health yet.
    assert rows[("category", "v1.0.0")] in ("healthy", "degraded", "unhealthy")
    assert rows[("suggestion", "v1.0.0")] == "no_data"
    assert f'<tr class="health-org" data-organization="{served.slug}"' in html


@pytest.mark.django_db
def test_the_backlog_counts_match_the_examples_awaiting_review(served, make_staff):
    examples = TrainingExample.objects.filter(organization=served, task="category")
    ids = list(examples.values_list("pk", flat=True)[:5])
    examples.filter(pk__in=ids[:2]).update(disputed=True)
    examples.filter(pk__in=ids[2:5]).update(noise_flag=True, validation_status="pending")
    html = make_staff(served, "reviewer").get(URL).content.decode()
    for task in ("category", "priority", "sentiment", "suggestion"):
        rows = TrainingExample.objects.filter(organization=served, task=task)
        expected = (
            rows.filter(validation_status="pending").count(),
            rows.filter(disputed=True).count(),
            rows.filter(noise_flag=True).exclude(validation_status="rejected").count(),
        )
        assert backlog_row(html, task) == expected, task
    pending = TrainingExample.objects.filter(organization=served, validation_status="pending")
    assert int(kpi(html, "backlog")) == pending.count() >= 3
    assert backlog_row(html, "category")[1:] == (2, 3)


@pytest.mark.django_db
def test_another_organizations_staff_gets_403_and_never_sees_it(served, other_org, make_staff):
    staff = make_staff(other_org, "admin")
    assert staff.get(URL, {"organization": served.pk}).status_code == 403
    html = staff.get(URL).content.decode()
    assert f'<option value="{served.pk}"' not in html
    assert served.slug not in html
    # Their own organization has no traffic: every chart is still drawn, saying so.
    assert html.count("no data in this period") >= len(CHARTS)
    assert kpi(html, "predictions") == "0"


@pytest.mark.django_db
def test_an_agent_membership_gives_no_dashboard(served, make_staff):
    staff = make_staff(served, "agent")
    assert staff.get(URL, {"organization": served.pk}).status_code == 403
    html = staff.get(URL).content.decode()
    assert 'id="dashboard-no-organization"' in html
    assert 'class="console-chart"' not in html


@pytest.mark.django_db
def test_a_superuser_sees_every_organization_health(served, other_org, make_staff):
    html = make_staff(None).get(URL, {"organization": other_org.pk}).content.decode()
    organizations = re.findall(r'<tr class="health-org" data-organization="([^"]+)"', html)
    assert organizations == [other_org.slug, served.slug]  # the chosen one first
    assert kpi(html, "predictions") == "0"
    assert {row[0] for row in VERSION_ROW.findall(html)} == {served.slug}


@pytest.mark.django_db
def test_bad_parameters_fall_back_with_a_message(served, other_org, make_staff):
    staff = make_staff(served, "reviewer")
    response = staff.get(URL, {"period": "decade"})
    assert response.status_code == 200
    assert response.context["period"] == "week"
    assert "Unknown period" in response.content.decode()
    response = staff.get(URL, {"organization": "acme; drop"})
    assert response.status_code == 200
    assert response.context["organization"] == served
    assert "Unknown organization" in response.content.decode()
    response = staff.get(URL, {"period": "day"})
    assert response.context["period"] == "day" and "Unknown" not in response.content.decode()
    # An id that is no organization: 403 for staff (not theirs), 404 for a superuser.
    assert staff.get(URL, {"organization": 999999}).status_code == 403
    assert make_staff(None).get(URL, {"organization": 999999}).status_code == 404


@pytest.mark.django_db
def test_plotly_comes_from_the_projects_static_files(served, make_staff):
    html = make_staff(served, "reviewer").get(URL).content.decode()
    assert f'<script src="{static("vendor/plotly/plotly.min.js")}"></script>' in html
    sources = re.findall(r'<script[^>]+src="([^"]+)"', html)
    assert sources and not [s for s in sources if s.startswith(("http:", "https:", "//"))]
    assert "cdn" not in html.lower()


@pytest.mark.django_db
def test_only_staff_see_it(client, served):
    response = client.get(URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.django_db
@pytest.mark.parametrize("cached", [False, True])
def test_query_count_is_pinned(settings, cached, served, make_staff, django_assert_max_num_queries):
    settings.AIOPS_METRICS_CACHE = cached
    staff = make_staff(served, "reviewer")
    staff.get(URL)  # the health snapshot (and the closed hours) are cached from here on
    # session, user, permissions (2), memberships (2), organizations; the report (5, or the
    # cache's watermark and live signature); the window's tallies (watermark, confidence
    # edges, suggestions used, live rows); the versions' names; the backlog. None grows with
    # the rows: the same bound holds for 11 predictions or a million.
    with django_assert_max_num_queries(18):
        assert staff.get(URL).status_code == 200


def report_with(monitoring: list[dict]) -> dict:
    return {
        "from": datetime(2026, 3, 1, 5, tzinfo=UTC),
        "to": datetime(2026, 3, 8, 5, 30, tzinfo=UTC),
        "metrics": {"monitoring": monitoring},
    }


def monitored(js, psi, periods):
    return {
        "task": "category",
        "version": "v1.2.0",
        "inferences": 500,
        "prediction_drift": {"js_distance": js, "level": "alert" if js else "no_data"},
        "confidence_drift": {"psi": psi, "level": "ok" if psi is not None else "no_data"},
        "accuracy_estimation": {"periods": periods},
    }


THRESHOLDS = {"js_warn": 0.1, "js_alert": 0.2, "psi_moderate": 0.1, "psi_major": 0.25}


def test_the_drift_figure_draws_the_values_and_the_thresholds():
    fig = dashboard.drift_figure(report_with([monitored(0.31, 0.05, [])]), thresholds=THRESHOLDS)
    assert [list(trace.y) for trace in fig.data] == [[0.31], [0.05]]
    assert sorted(shape.y0 for shape in fig.layout.shapes) == [0.1, 0.1, 0.2, 0.25]
    assert fig.layout.yaxis.range[1] == pytest.approx(0.31 * 1.2)  # the bar above the alert
    assert not [a for a in fig.layout.annotations if a.text == dashboard.NO_DATA]
    empty = dashboard.drift_figure(report_with([]), thresholds=THRESHOLDS)
    assert [a for a in empty.layout.annotations if a.text == dashboard.NO_DATA]


def test_the_accuracy_figure_fills_the_estimates_band():
    periods = [
        {
            "period_start": f"2026-03-0{day}T00:00:00+00:00",
            "realized": 0.8,
            "realized_on": 20,
            "estimated": 0.85,
            "estimated_on": 40,
            "band": [0.75, 0.95],
        }
        for day in (2, 3)
    ]
    report = report_with([monitored(None, None, periods)])
    axis = dashboard.TimeAxis.of(report, bucket="day")
    assert (axis.start, axis.end) == (datetime(2026, 3, 1), datetime(2026, 3, 9))
    fig = dashboard.accuracy_figure(report, axis=axis)
    band, realized, estimated = fig.data
    assert band.fill == "toself" and list(band.y) == [0.95, 0.95, 0.75, 0.75]
    assert list(band.x)[0] == datetime(2026, 3, 2)  # naive UTC: plotly.js has no time zones
    assert list(realized.y) == [0.8, 0.8] and list(estimated.y) == [0.85, 0.85]
    assert list(estimated.error_y.array) == pytest.approx([0.1, 0.1])
    assert not fig.layout.annotations
