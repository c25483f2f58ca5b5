"""GET /admin/dashboard/: the console's dashboard (staff only, wrapped in admin_view in
config/urls.py). Health per organization and version, accuracy (realized and estimated),
volume, latency, cost, drift with its thresholds and the review backlog of one organization
over a period, drawn by the plotly.js the project serves itself."""

from django.conf import settings
from django.contrib import admin, messages
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone

from aiops.admin_base import console_check, console_organizations
from aiops.charts import chart_html
from metrics import dashboard
from metrics.report import MetricsQuery, metrics_report_cached, serving_health
from metrics.selectors import (
    TIMELINE_BUCKET,
    review_backlog,
    tallies,
    version_facts,
    window_for,
)

PERIODS = ("day", "week", "month")
DEFAULT_PERIOD = "week"
# The health table covers at most this many organizations (each costs a report).
HEALTH_ORGANIZATIONS = 10


def chosen_period(request) -> str:
    period = request.GET.get("period") or DEFAULT_PERIOD
    if period not in PERIODS:
        messages.warning(
            request,
            f"Unknown period {period!r}: showing a {DEFAULT_PERIOD} ({', '.join(PERIODS)}).",
        )
        return DEFAULT_PERIOD
    return period


def chosen_organization(request, organizations: list):
    """The `?organization=<id>` (checked by the view: 403 when not theirs), 404 when unknown,
    or their first organization; a malformed id falls back to the first, with a message."""
    given = request.GET.get("organization") or ""
    if not given:
        return organizations[0]
    if not given.isdecimal():
        messages.warning(request, f"Unknown organization {given!r}: showing {organizations[0]}.")
        return organizations[0]
    for organization in organizations:
        if organization.pk == int(given):
            return organization
    raise Http404("No such organization.")


STATUS_CLASSES = {"healthy": "console-good", "degraded": "console-warn", "unhealthy": "console-bad"}


def health_rows(*, organization, report: dict) -> dict:
    """An organization's system health (the report's) and each serving version's health."""
    system = report["system_health"]
    return {
        "organization": organization,
        "system": system,
        "system_class": STATUS_CLASSES.get(system["status"], ""),
        "versions": [
            {
                **health,
                "status_class": STATUS_CLASSES.get(health["status"], ""),
                "issue_text": "; ".join(health["issues"]),
            }
            for health in serving_health(organization=organization)
        ],
    }


def dashboard_view(request):
    context = {
        **admin.site.each_context(request),
        "title": "Dashboard",
        "periods": PERIODS,
    }
    given = request.GET.get("organization") or ""
    if given.isdecimal():
        console_check(request, int(given))
    organizations = list(console_organizations(request))
    if not organizations:
        context["no_organization"] = True
        return TemplateResponse(request, "admin/metrics/dashboard.html", context)
    organization = chosen_organization(request, organizations)
    period = chosen_period(request)
    now = timezone.now()
    report = metrics_report_cached(
        organization=organization,
        query=MetricsQuery(period=period, include_details=True),
        now=now,
    )
    bucket = TIMELINE_BUCKET[period]
    by_bucket = tallies(
        organization_id=organization.pk,
        window=window_for(period=period, now=now),
        bucket=bucket,
    )
    backlog = review_backlog(organization_id=organization.pk)
    health = [health_rows(organization=organization, report=report)]
    others = [o for o in organizations if o.pk != organization.pk]
    for other in others[: HEALTH_ORGANIZATIONS - 1]:
        other_report = metrics_report_cached(
            organization=other, query=MetricsQuery(period=period), now=now
        )
        health.append(health_rows(organization=other, report=other_report))
    facts = version_facts({key[2] for key in by_bucket})
    names = {pk: f"{f.task} {f.version}" for pk, f in facts.items()}
    thresholds = drift_thresholds()
    total_cost = report["metrics"]["cost"]["totalCostUSD"]
    axis = dashboard.TimeAxis.of(report, bucket=bucket)
    charts = {
        "chart-accuracy": dashboard.accuracy_figure(report, axis=axis),
        "chart-volume": dashboard.volume_figure(by_bucket, axis=axis),
        "chart-latency": dashboard.latency_figure(by_bucket, axis=axis),
        "chart-cost": dashboard.cost_figure(
            by_bucket, names=names, total_usd=total_cost, axis=axis
        ),
        "chart-drift": dashboard.drift_figure(report, thresholds=thresholds),
        "chart-backlog": dashboard.backlog_figure(backlog),
    }
    context.update(
        organization=organization,
        organizations=organizations,
        period=period,
        report=report,
        classification=report["metrics"]["classification"],
        total_predictions=dashboard.total_predictions(report),
        total_cost=total_cost,
        system_class=STATUS_CLASSES.get(report["system_health"]["status"], ""),
        backlog_pending=sum(counts["pending"] for counts in backlog.values()),
        health=health,
        health_truncated=len(others) > HEALTH_ORGANIZATIONS - 1,
        health_limit=HEALTH_ORGANIZATIONS,
        several=len(organizations) > 1,
        backlog=backlog,
        monitoring=report["metrics"]["monitoring"],
        thresholds=thresholds,
        charts=[chart_html(fig, chart_id=chart_id) for chart_id, fig in charts.items()],
    )
    return TemplateResponse(request, "admin/metrics/dashboard.html", context)


def drift_thresholds() -> dict:
    return {
        "js_warn": settings.AIOPS_DRIFT_JS_WARN,
        "js_alert": settings.AIOPS_DRIFT_JS_ALERT,
        "psi_moderate": settings.AIOPS_DRIFT_PSI_MODERATE,
        "psi_major": settings.AIOPS_DRIFT_PSI_MAJOR,
        "minimum_predictions": settings.AIOPS_DRIFT_MIN_PREDICTIONS,
    }
