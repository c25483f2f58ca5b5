"""The console dashboard's figures: plotly figures built from the metrics report (what
GET /api/ai/metrics answers) and the window's tallies. Pure: no database, no request; the view
(metrics/console.py) reads the data and renders each figure with aiops.charts.chart_html.

Times are drawn as naive UTC: plotly.js has no time zones and misreads an ISO offset."""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from aiops.charts import figure, graph_objects
from metrics.selectors import totals_by
from metrics.tally import Tally

NO_DATA = "no data in this period"
BUCKET_MS = {"hour": 3_600_000, "day": 86_400_000}
LEGEND = {"orientation": "h", "yanchor": "top", "y": -0.15, "x": 0}


@dataclass(frozen=True)
class TimeAxis:
    """The window drawn on a time axis, cut into buckets ("hour" or "day")."""

    start: datetime
    end: datetime
    bucket: str

    @classmethod
    def of(cls, report: dict, *, bucket: str) -> "TimeAxis":
        """The report's window widened to whole buckets, so the first and last show whole."""
        start, end = utc(report["from"]), utc(report["to"])
        step = timedelta(milliseconds=BUCKET_MS[bucket])
        floor = start.replace(minute=0, second=0, microsecond=0)
        if bucket == "day":
            floor = floor.replace(hour=0)
        ceiling = floor
        while ceiling < end:
            ceiling += step
        return cls(start=floor, end=ceiling, bucket=bucket)

    def apply(self, fig) -> None:
        fig.update_xaxes(
            type="date",
            range=[self.start, self.end],
            tickformat="%b %d %H:00" if self.bucket == "hour" else "%b %d",
        )

    @property
    def period(self) -> int:
        """The bucket in milliseconds, for a trace's xperiod (a bar spans its bucket)."""
        return BUCKET_MS[self.bucket]


def utc(moment: datetime | str) -> datetime:
    """Naive UTC from an aware datetime or an ISO string (the report's period starts)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo else moment


def no_data_note(fig, text: str = NO_DATA) -> None:
    fig.add_annotation(
        text=text,
        xref="paper",
        yref="paper",
        x=0.5,
        y=0.5,
        showarrow=False,
        font={"size": 16, "color": "#777"},
        bgcolor="white",
    )


def with_no_data_note(fig, empty: bool):
    """An empty chart still renders (the page keeps its structure), saying why it is empty."""
    if empty:
        no_data_note(fig)
        fig.update_yaxes(showticklabels=False)
    return fig


def accuracy_figure(report: dict, *, axis: TimeAxis):
    """Realized accuracy (from feedback) and the label-free estimate per classifier version
    over time, the estimate's band as a filled area."""
    go, fig = graph_objects(), figure()
    points = 0
    for entry in report["metrics"]["monitoring"]:
        name = f"{entry['task']} {entry['version']}"
        periods = [p for p in entry["accuracy_estimation"]["periods"] if p["period_start"]]
        xs = [utc(p["period_start"]) for p in periods]
        banded = [(x, p["band"]) for x, p in zip(xs, periods, strict=True) if p["band"]]
        if banded:
            fig.add_trace(
                go.Scatter(
                    x=[x for x, _ in banded] + [x for x, _ in reversed(banded)],
                    y=[band[1] for _, band in banded] + [band[0] for _, band in reversed(banded)],
                    fill="toself",
                    mode="lines",
                    line={"width": 0},
                    opacity=0.25,
                    xperiod=axis.period,
                    xperiodalignment="middle",
                    name=f"{name} estimate band",
                    legendgroup=name,
                    hoverinfo="skip",
                )
            )
        for key, dash in (("realized", "solid"), ("estimated", "dash")):
            ys = [p[key] for p in periods]
            points += sum(y is not None for y in ys)
            # The band also as error bars on the estimate: an area of one period is invisible.
            bars = None
            if key == "estimated" and banded:
                bars = {
                    "type": "data",
                    "symmetric": False,
                    "array": [p["band"][1] - p[key] if p["band"] else None for p in periods],
                    "arrayminus": [p[key] - p["band"][0] if p["band"] else None for p in periods],
                    "thickness": 1,
                }
            fig.add_trace(
                go.Scatter(
                    x=xs,
                    y=ys,
                    error_y=bars,
                    xperiod=axis.period,
                    xperiodalignment="middle",
                    mode="lines+markers",
                    line={"dash": dash},
                    marker={"size": 8},
                    name=f"{name} {key}",
                    legendgroup=name,
                    customdata=[p[f"{key}_on"] for p in periods],
                    hovertemplate=f"{name} {key} %{{y:.1%}} on %{{customdata}}<extra></extra>",
                )
            )
    fig.update_layout(title="Accuracy: realized (feedback), estimated (confidence)", legend=LEGEND)
    fig.update_yaxes(range=[0, 1.02], tickformat=".0%")
    axis.apply(fig)
    return with_no_data_note(fig, points == 0)


def volume_figure(by_bucket: dict[tuple, Tally], *, axis: TimeAxis):
    """Predictions per bucket, stacked by task."""
    go, fig = graph_objects(), figure()
    per_bucket_task = totals_by(by_bucket, 0, 1)
    for task in sorted({task for _, task in per_bucket_task}):
        rows = sorted((b, t.inferences) for (b, t_), t in per_bucket_task.items() if t_ == task)
        fig.add_trace(
            go.Bar(
                x=[utc(b) for b, _ in rows],
                y=[n for _, n in rows],
                name=task,
                xperiod=axis.period,
                xperiodalignment="middle",
                width=axis.period * 0.8,
            )
        )
    fig.update_layout(barmode="stack", title=f"Predictions per {axis.bucket}", legend=LEGEND)
    axis.apply(fig)
    return with_no_data_note(fig, not per_bucket_task)


def latency_figure(by_bucket: dict[tuple, Tally], *, axis: TimeAxis):
    """p50 and p95 latency per bucket over every task (from the latency histograms)."""
    go, fig = graph_objects(), figure()
    rows = sorted(totals_by(by_bucket, 0).items(), key=lambda kv: kv[0])
    xs = [utc(start) for (start,), _ in rows]
    for q, name in ((0.5, "p50"), (0.95, "p95")):
        ys = [tally.latency_percentile(q) for _, tally in rows]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines+markers",
                name=name,
                marker={"size": 8},
                xperiod=axis.period,
                xperiodalignment="middle",
            )
        )
    fig.update_layout(title=f"Latency per {axis.bucket} (ms)", legend=LEGEND)
    fig.update_yaxes(rangemode="tozero")
    axis.apply(fig)
    return with_no_data_note(fig, not rows)


def cost_figure(
    by_bucket: dict[tuple, Tally], *, names: dict[int, str], total_usd: float, axis: TimeAxis
):
    """Cost per bucket, stacked by model version; the window's total in the title."""
    go, fig = graph_objects(), figure()
    per_bucket_version = totals_by(by_bucket, 0, 2)
    for version_id in sorted({v for _, v in per_bucket_version}, key=lambda v: names.get(v, "")):
        rows = sorted(
            (b, float(t.cost_usd)) for (b, v), t in per_bucket_version.items() if v == version_id
        )
        fig.add_trace(
            go.Bar(
                x=[utc(b) for b, _ in rows],
                y=[c for _, c in rows],
                name=names.get(version_id, "unknown version"),
                xperiod=axis.period,
                xperiodalignment="middle",
                width=axis.period * 0.8,
            )
        )
    fig.update_layout(
        barmode="stack", title=f"Cost (USD): {total_usd:,.4f} in the period", legend=LEGEND
    )
    fig.update_yaxes(rangemode="tozero")
    axis.apply(fig)
    if per_bucket_version and not total_usd:
        no_data_note(fig, "no cost recorded: the local models cost nothing")
    return with_no_data_note(fig, not per_bucket_version)


def drift_figure(report: dict, *, thresholds: dict):
    """Jensen-Shannon distance of the predicted classes and PSI of the confidences per
    classifier version, as bars, with the warn / alert (moderate / major) thresholds."""
    from plotly.subplots import make_subplots

    go = graph_objects()
    fig = make_subplots(
        rows=1,
        cols=2,
        horizontal_spacing=0.18,
        subplot_titles=("Classes: JS distance", "Confidences: PSI"),
    )
    monitoring = report["metrics"]["monitoring"]
    names = [f"{e['task']} {e['version']}" for e in monitoring]
    signals = (
        (1, "prediction_drift", "js_distance", thresholds["js_alert"]),
        (2, "confidence_drift", "psi", thresholds["psi_major"]),
    )
    for col, signal, value, top in signals:
        values = [e[signal][value] for e in monitoring]
        fig.add_trace(
            go.Bar(
                x=names,
                y=values,
                text=[e[signal]["level"].replace("_", " ") for e in monitoring],
                name=value.replace("_", " "),
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        highest = max([top, *(v for v in values if v is not None)])
        fig.update_yaxes(range=[0, highest * 1.2], row=1, col=col)
    lines = (
        (1, "JS warn", thresholds["js_warn"], "#b26a00"),
        (1, "JS alert", thresholds["js_alert"], "#ba2121"),
        (2, "PSI moderate", thresholds["psi_moderate"], "#b26a00"),
        (2, "PSI major", thresholds["psi_major"], "#ba2121"),
    )
    for col, label, value, color in lines:
        fig.add_hline(
            y=value,
            line={"dash": "dot", "color": color},
            annotation_text=f"{label} {value:g}",
            annotation_position="top left",
            row=1,
            col=col,
        )
    measured = any(
        e["prediction_drift"]["js_distance"] is not None or e["confidence_drift"]["psi"] is not None
        for e in monitoring
    )
    if not measured:
        no_data_note(fig)
    return fig


def backlog_figure(backlog: dict[str, dict[str, int]]):
    """Training examples awaiting a reviewer per task: pending, disputed, suspected noise."""
    go, fig = graph_objects(), figure()
    tasks = list(backlog)
    for kind in ("pending", "disputed", "noisy"):
        fig.add_trace(go.Bar(x=tasks, y=[backlog[t][kind] for t in tasks], name=kind))
    fig.update_layout(barmode="group", title="Review backlog (training examples)", legend=LEGEND)
    empty = not any(n for counts in backlog.values() for n in counts.values())
    return with_no_data_note(fig, empty)


def total_predictions(report: dict) -> int:
    """Predictions of every task in the report's window."""
    figures = report["metrics"]
    tasks = ("classification", "priority", "sentiment", "suggestion")
    return sum(figures[name]["total"] for name in tasks)
