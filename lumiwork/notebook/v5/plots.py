"""Pure functions from API v5 frames (frames.py) to plotly figures: no I/O, no state."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..figures import layout as _layout

SENTIMENT_COLORS = {"positive": "#2ca02c", "neutral": "#c7c7c7", "negative": "#d62728"}


def score_drivers_chart(frame: pd.DataFrame, title: str = "Score drivers") -> go.Figure:
    """Each concept (frames.score_drivers) at its match count (x, log scale) and
    impact (y), with its 95% interval as an error bar; the marker's colour is
    its confidence (a t-value: beyond +-1.96 unlikely by chance), open markers
    for concepts whose interval crosses 0. Concepts below the line lower the score."""
    usable = frame[frame["match_count"] > 0]
    error = (usable["ci_high"] - usable["impact"]).fillna(0).tolist()
    significant = usable["significant"].tolist()
    fig = go.Figure(go.Scatter(
        x=usable["match_count"].tolist(), y=usable["impact"].tolist(), mode="markers+text",
        text=usable["name"].tolist(), textposition="top center",
        error_y=dict(type="data", array=error, visible=True, thickness=1, color="#999999"),
        marker=dict(size=12, color=usable["confidence"].tolist(), colorscale="RdBu", cmid=0,
                    symbol=["circle" if s else "circle-open" for s in significant],
                    colorbar=dict(title="confidence<br>(t)"), line=dict(width=1, color="#555555")),
        customdata=np.stack([usable["confidence"], usable["average_score"], usable["importance"]], axis=1).tolist()
        if len(usable) else [],
        hovertemplate="%{text}<br>%{x} documents<br>impact %{y:+.2f}<br>confidence %{customdata[0]:.1f}"
                      "<br>average %{customdata[1]:.2f}<br>importance %{customdata[2]:.2f}<extra></extra>",
    ))
    fig.add_hline(y=0, line=dict(color="#444444", width=1))
    fig.update_xaxes(title="documents matching the concept", type="log")
    fig.update_yaxes(title="impact on the score (average of the matches − baseline)")
    baseline = frame["baseline"].dropna()
    if len(baseline):
        title = f"{title} (baseline {float(baseline.iloc[0]):.2f})"
    return _layout(fig, title, height=520)


def sentiment_share_chart(frame: pd.DataFrame, title: str = "Sentiment of the documents matching each concept") \
        -> go.Figure:
    """Stacked bars of the positive, neutral and negative share of each concept's
    matching documents (frames.sentiment), most positive on top; the hover gives
    the counts."""
    ordered = frame.sort_values(["positive_share", "name"], ascending=[True, False])
    fig = go.Figure()
    for label in ("negative", "neutral", "positive"):
        fig.add_trace(go.Bar(
            name=label, orientation="h", x=ordered[f"{label}_share"].tolist(), y=ordered["name"].tolist(),
            marker_color=SENTIMENT_COLORS[label], customdata=ordered[label].tolist(),
            hovertemplate=f"%{{y}}: %{{x:.0%}} {label} (%{{customdata}} documents)<extra></extra>"))
    fig.update_layout(barmode="stack", legend=dict(orientation="h", y=-0.15))
    fig.update_xaxes(title="share of the matching documents", tickformat=".0%", range=[0, 1])
    return _layout(fig, title, height=max(320, 26 * len(frame) + 120))


def match_counts_bars(frame: pd.DataFrame, title: str = "Documents matching each concept") -> go.Figure:
    """Horizontal bars of exact and conceptual matches per concept (frames.match_counts)."""
    ordered = frame.iloc[::-1]
    fig = go.Figure([
        go.Bar(name="exact", orientation="h", x=ordered["exact_match_count"].tolist(), y=ordered["name"].tolist(),
               marker_color="#1f77b4"),
        go.Bar(name="conceptual", orientation="h", x=ordered["conceptual_match_count"].tolist(),
               y=ordered["name"].tolist(), marker_color="#aec7e8"),
    ])
    fig.update_layout(barmode="stack", legend=dict(orientation="h", y=-0.15))
    fig.update_xaxes(title="documents")
    return _layout(fig, title, height=max(320, 26 * len(frame) + 120))


def match_counts_across(frame: pd.DataFrame, field: str, title: str | None = None) -> go.Figure:
    """A heatmap of each concept's share of the documents of each value of a
    field (frames.match_counts_by): rows concepts, columns values."""
    table = frame.pivot_table(index="name", columns="value", values="share", sort=False)
    counts = frame.pivot_table(index="name", columns="value", values="match_count", sort=False)
    fig = go.Figure(go.Heatmap(
        z=table.to_numpy().tolist(), x=[str(v) for v in table.columns], y=list(table.index),
        customdata=counts.reindex_like(table).to_numpy().tolist(), colorscale="Blues",
        colorbar=dict(title="share", tickformat=".0%"),
        hovertemplate="%{y} in %{x}: %{z:.1%} (%{customdata} documents)<extra></extra>"))
    fig.update_xaxes(title=field)
    return _layout(fig, title or f"Share of documents matching each concept, by {field}",
                   height=max(320, 28 * len(table) + 160))


def match_counts_over_time_chart(frame: pd.DataFrame, title: str = "Documents matching each concept over time") \
        -> go.Figure:
    """One line per concept: its share of each period's documents
    (frames.match_counts_over_time); the hover gives the counts."""
    fig = go.Figure()
    for name, rows in frame.groupby("name", sort=False):
        fig.add_trace(go.Scatter(
            x=rows["start"].tolist(), y=rows["share"].tolist(), mode="lines+markers", name=str(name),
            customdata=np.stack([rows["match_count"], rows["filter_count"]], axis=1).tolist(),
            hovertemplate="%{x|%Y-%m-%d}: %{y:.1%} (%{customdata[0]} of %{customdata[1]})<extra>" + str(name)
                          + "</extra>"))
    fig.update_yaxes(title="share of the period's documents", tickformat=".0%")
    fig.update_xaxes(title="period starting")
    return _layout(fig, title, height=460)


__all__ = ["match_counts_across", "match_counts_bars", "match_counts_over_time_chart", "score_drivers_chart",
           "sentiment_share_chart"]
