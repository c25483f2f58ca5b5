"""Charts for the admin console: plotly figures rendered on the server as a <div> plus the
call that draws it, with the plotly.js that the plotly package ships, served by the project
as a static file (`vendor/plotly/plotly.min.js`; the machines are offline, no CDN). A page
that shows charts extends `admin/console/base.html`, which loads that script once."""

from django.utils.safestring import SafeString, mark_safe

CONFIG = {"displaylogo": False, "responsive": True, "modeBarButtonsToRemove": ["lasso2d"]}


def chart_html(figure, *, chart_id: str, height: int = 320) -> SafeString:
    """The figure as an HTML fragment whose <div> has id `chart_id` and class `console-chart`
    (the browser tests look for the SVG plotly.js draws in it)."""
    import plotly.io as pio  # deferred: plotly's import costs every process ~0.5 s

    figure.update_layout(
        height=height,
        margin={"l": 50, "r": 20, "t": 40, "b": 40},
        template="plotly_white",
    )
    html = pio.to_html(
        figure, full_html=False, include_plotlyjs=False, div_id=chart_id, config=CONFIG
    )
    return mark_safe(f'<div class="console-chart" data-chart="{chart_id}">{html}</div>')


def figure():
    """A new, empty plotly Figure (plotly.graph_objects imported on first use)."""
    import plotly.graph_objects as go

    return go.Figure()


def graph_objects():
    """plotly.graph_objects, imported on first use (go.Scatter, go.Bar, go.Heatmap...)."""
    import plotly.graph_objects as go

    return go
