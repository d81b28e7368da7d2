"""Pure functions from frames' DataFrames to plotly figures: no I/O, no state."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..figures import layout as _layout
from ..figures import use_notebook_renderer


def related_terms_bars(frame: pd.DataFrame, title: str = "Related terms") -> go.Figure:
    """Horizontal bars of term correlation, strongest on top (frames.related_terms)."""
    ordered = frame.iloc[::-1]
    fig = go.Figure(go.Bar(x=ordered["correlation"].tolist(), y=ordered["text"].tolist(), orientation="h",
                           hovertext=ordered["term"].tolist(), marker_color="#1f77b4"))
    fig.update_xaxes(title="correlation")
    return _layout(fig, title, height=max(300, 24 * len(frame) + 80))


def top_terms_bars(frame: pd.DataFrame, title: str = "Top terms by relevance") -> go.Figure:
    """Horizontal bars of relevance score (frames.top_terms)."""
    ordered = frame.iloc[::-1]
    fig = go.Figure(go.Bar(x=ordered["score"].tolist(), y=ordered["text"].tolist(), orientation="h",
                           hovertext=ordered["distinct_doc_count"].map("{} documents".format).tolist(),
                           marker_color="#2ca02c"))
    fig.update_xaxes(title="relevance")
    return _layout(fig, title, height=max(300, 24 * len(frame) + 80))


def topic_stats_figure(frame: pd.DataFrame, title: str = "Topic correlation with documents") -> go.Figure:
    """Mean correlation per topic with stdev error bars, Zscore as label (frames.topic_stats)."""
    topics = frame[frame["topic_id"] != ".all"]
    fig = go.Figure(go.Bar(
        x=topics["name"].tolist(), y=topics["mean"].tolist(),
        error_y=dict(type="data", array=topics["stdev"].tolist(), visible=True),
        text=[f"Z = {z:.1f}" for z in topics["zscore"]], textposition="outside",
        customdata=np.stack([topics["distance"], topics["n"]], axis=1).tolist(),
        hovertemplate="%{x}<br>mean %{y:.3f}<br>distance %{customdata[0]:.2f}"
                      "<br>n %{customdata[1]}<extra></extra>",
    ))
    fig.update_yaxes(title="mean correlation (± stdev)")
    return _layout(fig, title)


def text_correlation_bars(frame: pd.DataFrame, text: str) -> go.Figure:
    """Correlation of one text with each topic (frames.text_correlation)."""
    fig = go.Figure(go.Bar(x=frame["name"].tolist(), y=frame["correlation"].tolist(), marker_color="#9467bd"))
    fig.update_yaxes(title="correlation")
    return _layout(fig, f"Topics for “{text}”")


def topic_subset_heatmap(frame: pd.DataFrame, title: str = "Topic × subset correlation") -> go.Figure:
    """Heatmap of frames.topic_subset_correlation (topics as rows)."""
    fig = go.Figure(go.Heatmap(z=frame.to_numpy().tolist(), x=list(frame.columns), y=list(frame.index),
                               colorscale="RdBu", zmid=0, colorbar=dict(title="corr")))
    return _layout(fig, title, height=max(300, 40 * len(frame) + 200))


def project_2d(matrix: np.ndarray) -> np.ndarray:
    """First two principal components of the rows (deterministic signs)."""
    centred = matrix - matrix.mean(axis=0)
    if len(centred) < 2:
        return np.zeros((len(centred), 2))
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    coords = u[:, :2] * s[:2]
    signs = np.sign(coords[np.argmax(np.abs(coords), axis=0), [0, 1]])
    return coords * np.where(signs == 0, 1, signs)


# Neighbouring labels alternate sides, so that close points' labels overlap less.
LABEL_POSITIONS = ("top center", "bottom center", "middle right", "middle left")


def vector_map(labels, matrix: np.ndarray, kinds, title: str = "Subsets and topics") -> go.Figure:
    """Scatter of vectors (e.g. subset means and topics) on their first two
    principal components, one trace per kind."""
    coords = project_2d(np.asarray(matrix, dtype=float))
    labels, kinds = list(labels), list(kinds)
    fig = go.Figure()
    for kind in dict.fromkeys(kinds):
        rows = [i for i, k in enumerate(kinds) if k == kind]
        fig.add_trace(go.Scatter(x=coords[rows, 0].tolist(), y=coords[rows, 1].tolist(), mode="markers+text",
                                 name=kind, text=[labels[i] for i in rows],
                                 textposition=[LABEL_POSITIONS[j % len(LABEL_POSITIONS)]
                                               for j in range(len(rows))],
                                 marker=dict(size=10)))
    fig.update_xaxes(title="component 1", zeroline=False)
    fig.update_yaxes(title="component 2", zeroline=False)
    return _layout(fig, title, height=550)


def doc_search_bars(frame: pd.DataFrame, query: str) -> go.Figure:
    """Scores of found documents, coloured by exact vs conceptual match
    (frames.search_documents)."""
    labels = [f"{i + 1}. {t[:60]}…" if len(t) > 60 else f"{i + 1}. {t}"
              for i, t in enumerate(frame["text"])]
    exact = frame["exact_spans"].map(bool).to_numpy()
    fig = go.Figure()
    for flag, name, color in ((True, "exact match", "#1f77b4"), (False, "conceptual match", "#ff7f0e")):
        rows = np.flatnonzero(exact == flag)[::-1]
        fig.add_trace(go.Bar(x=frame["score"].to_numpy()[rows].tolist(), y=[labels[i] for i in rows],
                             orientation="h", name=name, marker_color=color,
                             hovertext=[frame["text"].iloc[i] for i in rows]))
    fig.update_layout(barmode="overlay", yaxis=dict(categoryorder="array",
                                                     categoryarray=labels[::-1]))
    fig.update_xaxes(title="score")
    return _layout(fig, f"Documents for “{query}”", height=max(300, 28 * len(frame) + 100))


def subset_dot_products(labels, values, text: str) -> go.Figure:
    """Bars of a text vector's dot product with subset mean vectors."""
    fig = go.Figure(go.Bar(x=list(labels), y=[float(v) for v in values], marker_color="#8c564b"))
    fig.update_yaxes(title="dot product")
    return _layout(fig, f"“{text}” against subset means")


def usage_bars(frame: pd.DataFrame, title: str = "API calls this month") -> go.Figure:
    """API call counts by kind (frames.usage)."""
    fig = go.Figure(go.Bar(x=frame["kind"].tolist(), y=frame["count"].tolist(), marker_color="#17becf"))
    fig.update_yaxes(title="calls")
    return _layout(fig, title)


__all__ = [
    'LABEL_POSITIONS', 'doc_search_bars', 'project_2d', 'related_terms_bars', 'subset_dot_products',
    'text_correlation_bars', 'top_terms_bars', 'topic_stats_figure', 'topic_subset_heatmap',
    'usage_bars', 'use_notebook_renderer', 'vector_map'
]
