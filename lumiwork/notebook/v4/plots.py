"""Pure functions from frames' DataFrames to plotly figures: no I/O, no state."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from ..figures import layout as _layout
from ..figures import use_notebook_renderer
from ..labels import ALL_TOPICS, readable_names
from ..vectors import normalize


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
    """Mean correlation per topic with stdev error bars (frames.topic_stats).
    Each topic's Zscore is written under its name: as a label on the bar, the
    error bar ran through it."""
    topics = frame[frame["topic_id"] != ALL_TOPICS]
    names = topics["name"].tolist()
    fig = go.Figure(go.Bar(
        x=names, y=topics["mean"].tolist(),
        error_y=dict(type="data", array=topics["stdev"].tolist(), visible=True),
        customdata=np.stack([topics["distance"], topics["n"], topics["zscore"]], axis=1).tolist(),
        hovertemplate="%{x}<br>mean %{y:.3f}<br>Zscore %{customdata[2]:.1f}<br>distance %{customdata[0]:.2f}"
                      "<br>n %{customdata[1]}<extra></extra>",
    ))
    fig.update_xaxes(tickvals=names, ticktext=[f"{name}<br>Z = {z:.1f}" for name, z in zip(names, topics["zscore"])])
    fig.update_yaxes(title="mean correlation (± stdev)")
    return _layout(fig, title)


def text_correlation_bars(frame: pd.DataFrame, text: str) -> go.Figure:
    """Correlation of one text with each topic (frames.text_correlation)."""
    fig = go.Figure(go.Bar(x=frame["name"].tolist(), y=frame["correlation"].tolist(), marker_color="#9467bd"))
    fig.update_yaxes(title="correlation")
    return _layout(fig, f"Topics for “{text}”")


def topic_subset_heatmap(frame: pd.DataFrame, title: str = "Topic × subset correlation") -> go.Figure:
    """Heatmap of frames.topic_subset_correlation (topics as rows, subsets as
    columns), drawn with the subsets down the side, where their long names
    ("Chapter 6: WITH THE CHILDLIKE PEOPLE") read across instead of slanting
    under a squeezed chart, first subset on top."""
    topics = readable_names(frame.index)
    fig = go.Figure(go.Heatmap(z=frame.T.to_numpy().tolist(), x=topics, y=readable_names(frame.columns),
                               colorscale="RdBu", zmid=0, colorbar=dict(title="corr"),
                               hovertemplate="%{y}<br>%{x}: %{z:.3f}<extra></extra>"))
    # topic names on up to two level lines: slanted, they ran into the title
    fig.update_xaxes(tickangle=0, tickvals=topics, ticktext=[_two_lines(str(t)) for t in topics])
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height=max(300, 26 * len(frame.columns) + 140))


def _two_lines(text: str, width: int = 12) -> str:
    """A label broken at the space nearest its middle when longer than `width`."""
    spaces = [i for i, c in enumerate(text) if c == " "]
    if len(text) <= width or not spaces:
        return text
    cut = min(spaces, key=lambda i: abs(i - len(text) / 2))
    return text[:cut] + "<br>" + text[cut + 1:]


def project_2d(matrix: np.ndarray) -> np.ndarray:
    """First two principal components of the rows (deterministic signs)."""
    centred = matrix - matrix.mean(axis=0)
    if len(centred) < 2:
        return np.zeros((len(centred), 2))
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    coords = u[:, :2] * s[:2]
    signs = np.sign(coords[np.argmax(np.abs(coords), axis=0), [0, 1]])
    return coords * np.where(signs == 0, 1, signs)


# Where a label may sit around its point (plotly's textposition), in order of preference,
# and the direction of its box from the point.
LABEL_POSITIONS = {"top center": (0, 1), "bottom center": (0, -1), "middle right": (1, 0),
                   "middle left": (-1, 0), "top right": (1, 1), "top left": (-1, 1),
                   "bottom right": (1, -1), "bottom left": (-1, -1)}
CHAR_PX, LINE_PX, POINT_PX = 7.0, 16.0, 12.0  # at plotly's 12 px font and a 10 px marker


def label_positions(points: np.ndarray, labels, width: float, height: float, sweeps: int = 10) -> list[str]:
    """A textposition for each point's label, so that labels cover each other,
    the points and the plot's edge as little as possible.

    `points` (n, 2) in pixels from the plot area's lower left corner, of size
    `width` x `height`. Greedy first: the most crowded points (most others within
    80 px) choose first, each the place of LABEL_POSITIONS that overlaps least
    with the labels already placed, every point, and the outside of the plot
    (twice as bad); ties go to the earlier place. Then up to `sweeps` rounds in
    which each label moves to its best place given all the others, until none
    moves. A label is CHAR_PX a character wide and LINE_PX high: an estimate,
    good enough to keep labels apart."""
    points = np.asarray(points, dtype=float).reshape(-1, 2)
    labels = [str(label) for label in labels]
    half = POINT_PX / 2
    point_boxes = [(x - half, y - half, x + half, y + half) for x, y in points]
    frame = (0.0, 0.0, float(width), float(height))

    def cost(i: int, box: Box, others: list[Box | None]) -> float:
        area = (box[2] - box[0]) * (box[3] - box[1])
        return (sum(_overlap(box, other) for j, other in enumerate(others) if other is not None and j != i)
                + sum(_overlap(box, other) for j, other in enumerate(point_boxes) if j != i)
                + 2 * (area - _overlap(box, frame)))

    def best(i: int, others: list[Box | None]) -> str:
        return min(LABEL_POSITIONS, key=lambda name: cost(i, label_box(points[i], labels[i], name), others))

    gaps = np.linalg.norm(points[:, None, :] - points[None, :, :], axis=2)
    chosen = [""] * len(points)
    boxes: list[Box | None] = [None] * len(points)
    for i in np.argsort(-(gaps < 80).sum(axis=1), kind="stable"):
        chosen[i] = best(i, boxes)
        boxes[i] = label_box(points[i], labels[i], chosen[i])
    for _ in range(sweeps):
        moved = False
        for i in range(len(points)):
            name = best(i, boxes)
            if cost(i, label_box(points[i], labels[i], name), boxes) < \
                    cost(i, label_box(points[i], labels[i], chosen[i]), boxes):
                chosen[i], boxes[i], moved = name, label_box(points[i], labels[i], name), True
        if not moved:
            break
    return chosen


Box = tuple[float, float, float, float]  # left, bottom, right, top in pixels


def label_box(point, label: str, position: str) -> Box:
    """Where `label_positions` reckons a label at `position` around `point` lies."""
    (x, y), (dx, dy) = point, LABEL_POSITIONS[position]
    w, h, half = CHAR_PX * len(label) + 4, LINE_PX, POINT_PX / 2
    left, bottom = x - w / 2 + dx * (w / 2 + half), y - h / 2 + dy * (h / 2 + half)
    return (left, bottom, left + w, bottom + h)


def _overlap(a: Box, b: Box) -> float:
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def vector_map(labels, matrix: np.ndarray, kinds, title: str = "Subsets and topics",
               width: float = 620, height: int = 550) -> go.Figure:
    """Scatter of vectors (e.g. subset means and topics) on the first two
    principal components of their directions, one trace per kind.

    Rows are scaled to unit length first: meaning is a vector's direction, and
    a subset's mean vector is much shorter than a topic's unit vector, which
    otherwise put every chapter in a heap at the centre. Labels are placed by
    `label_positions` for a plot area `width` pixels wide (about an A4 page's;
    wider screens only leave more room), inside axes padded by 8%."""
    coords = project_2d(normalize(np.asarray(matrix, dtype=float)))
    labels, kinds = list(labels), list(kinds)
    low, high = coords.min(axis=0), coords.max(axis=0)
    pad = np.maximum(high - low, 1e-9) * 0.08
    low, high = low - pad, high + pad
    plot_height = height - 110  # the title, the axis titles and ticks
    pixels = (coords - low) / (high - low) * [width, plot_height]
    positions = label_positions(pixels, labels, width, plot_height)
    fig = go.Figure()
    for kind in dict.fromkeys(kinds):
        rows = [i for i, k in enumerate(kinds) if k == kind]
        fig.add_trace(go.Scatter(x=coords[rows, 0].tolist(), y=coords[rows, 1].tolist(), mode="markers+text",
                                 name=kind, text=[labels[i] for i in rows],
                                 textposition=[positions[i] for i in rows], marker=dict(size=10)))
    fig.update_xaxes(title="component 1", zeroline=False, range=[low[0], high[0]])
    fig.update_yaxes(title="component 2", zeroline=False, range=[low[1], high[1]])
    fig.update_layout(legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0))
    return _layout(fig, title, height=height)


def doc_search_bars(frame: pd.DataFrame, query: str) -> go.Figure:
    """Scores of found documents, coloured by exact vs conceptual match
    (frames.search_documents). Each bar is labelled with its rank and the start
    of its text (LABEL_CHARS characters; the whole text on hover), short enough
    to leave the bars most of an A4 page's width."""
    labels = [f"{i + 1}. {t[:LABEL_CHARS]}…" if len(t) > LABEL_CHARS else f"{i + 1}. {t}"
              for i, t in enumerate(frame["text"])]
    exact = frame["exact_spans"].map(bool).to_numpy()
    fig = go.Figure()
    for flag, name, color in ((True, "exact match", "#1f77b4"), (False, "conceptual match", "#ff7f0e")):
        rows = np.flatnonzero(exact == flag)[::-1]
        fig.add_trace(go.Bar(x=frame["score"].to_numpy()[rows].tolist(), y=[labels[i] for i in rows],
                             orientation="h", name=name, marker_color=color,
                             hovertext=[frame["text"].iloc[i] for i in rows]))
    fig.update_layout(barmode="overlay", yaxis=dict(categoryorder="array", categoryarray=labels[::-1]),
                      legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="right", x=1.0))
    fig.update_xaxes(title="score")
    return _layout(fig, f"Documents for “{query}”", height=max(300, 28 * len(frame) + 100))


LABEL_CHARS = 40


def subset_dot_products(labels, values, text: str) -> go.Figure:
    """Bars of a text vector's dot product with subset mean vectors, one row per
    subset in the given order, first on top: the subsets' long names read
    across, where under a column chart they slanted and took more room than
    the bars."""
    names = readable_names(labels)
    fig = go.Figure(go.Bar(x=[float(v) for v in values], y=names, orientation="h", marker_color="#8c564b",
                           hovertemplate="%{y}: %{x:.4f}<extra></extra>"))
    fig.update_xaxes(title="dot product")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, f"“{text}” against subset means", height=max(300, 24 * len(names) + 120))


def usage_bars(frame: pd.DataFrame, title: str = "API calls this month") -> go.Figure:
    """API call counts by kind (frames.usage)."""
    fig = go.Figure(go.Bar(x=frame["kind"].tolist(), y=frame["count"].tolist(), marker_color="#17becf"))
    fig.update_yaxes(title="calls")
    return _layout(fig, title)


__all__ = [
    'LABEL_POSITIONS', 'doc_search_bars', 'label_box', 'label_positions', 'project_2d', 'related_terms_bars',
    'subset_dot_products', 'text_correlation_bars', 'top_terms_bars', 'topic_stats_figure', 'topic_subset_heatmap',
    'usage_bars', 'use_notebook_renderer', 'vector_map'
]
