"""What every figure of every API shares: the renderer set-up for notebooks and
reports, and the house layout."""
from __future__ import annotations

import plotly.graph_objects as go

NOTEBOOK_RENDERERS = "plotly_mimetype+notebook_connected"


def use_notebook_renderer(offline: bool = True) -> None:
    """Figures for JupyterLab and for nbconvert/HTML reports; with `offline`,
    plotly.js is embedded in the notebook so exported reports need no CDN."""
    import plotly.io as pio

    pio.renderers.default = "plotly_mimetype+notebook" if offline else NOTEBOOK_RENDERERS


DEFAULT_HEIGHT = 450


def layout(fig: go.Figure, title: str, height: int | None = None) -> go.Figure:
    """The house layout: white template, narrow margins (axes make room for their
    labels themselves) and a fixed height, so a chart takes the same space on
    screen, in a report's panel and on paper."""
    fig.update_layout(title=title, template="plotly_white", height=height or DEFAULT_HEIGHT,
                      margin=dict(l=10, r=10, t=50, b=10))
    fig.update_xaxes(automargin=True)
    fig.update_yaxes(automargin=True)
    return fig
