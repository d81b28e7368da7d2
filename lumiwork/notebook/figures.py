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


def layout(fig: go.Figure, title: str, height: int | None = None) -> go.Figure:
    fig.update_layout(title=title, template="plotly_white", height=height,
                      margin=dict(l=10, r=10, t=50, b=10))
    return fig
