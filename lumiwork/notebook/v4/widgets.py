"""ipywidgets panels: controls whose callbacks re-call frames and plots.

Each builder returns a Panel (a VBox) that also keeps its latest `frame` and
`figure`, so tests and users can read what is shown.
"""
from __future__ import annotations

import html

import ipywidgets as widgets
from IPython.display import HTML

from ...client import LuminosoClient
from ...wire.names import ALL_SUBSET
from ..panel import Panel
from . import frames, plots


def _title_text(text: str, width: int = 40) -> str:
    """A query as a chart title: one line, cut at `width` characters."""
    text = " ".join(text.split())
    return text if len(text) <= width else text[:width - 1] + "…"


def highlight(text: str, exact_spans, conceptual_spans) -> str:
    """Document text as HTML, exact matches bold, conceptual ones underlined;
    the text itself is escaped."""
    marks = [(s, e, "b") for s, e in exact_spans] + [(s, e, "u") for s, e in conceptual_spans]
    pieces, position = [], 0
    for start, end, tag in sorted(marks):
        if start < position:
            continue  # overlapping phrase and word spans: keep the first
        pieces.append(html.escape(text[position:start]))
        pieces.append(f"<{tag}>{html.escape(text[start:end])}</{tag}>")
        position = end
    pieces.append(html.escape(text[position:]))
    return "".join(pieces)


def term_search_panel(project: LuminosoClient, text: str = "river", limit: int = 10) -> Panel:
    """Related terms for a text or a topic."""
    topic_names = frames.topics(project)
    query = widgets.Text(value=text, description="Text", continuous_update=False)
    topic = widgets.Dropdown(options=[("(use the text)", "")] +
                             list(zip(topic_names["name"], topic_names["topic_id"])),
                             description="or topic")
    count = widgets.IntSlider(value=limit, min=5, max=50, description="Terms", continuous_update=False)

    def render():
        if topic.value:
            frame = frames.related_terms(project, topic=topic.value, limit=count.value)
            label = topic_names.set_index("topic_id").loc[topic.value, "name"]
        else:
            frame = frames.related_terms(project, text=query.value, limit=count.value)
            label = query.value
        return frame, plots.related_terms_bars(frame, f"Terms related to “{_title_text(label)}”"), None

    return Panel([query, topic, count], render)


def topic_terms_panel(project: LuminosoClient, topic: str | None = None, topics: list[str] | None = None,
                      limit: int = 10) -> Panel:
    """The terms most related to one of the project's topics, chosen from a list:
    all the topics, or only `topics` (a dashboard whose link locks the topic
    passes that one alone, so no other can be chosen)."""
    topic_names = frames.topics(project)
    names = [name for name in topic_names["name"] if topics is None or name in topics]
    if not names:
        raise ValueError("none of the topics asked for is in this project")
    chosen = widgets.Dropdown(options=names, value=topic if topic in names else names[0], description="Topic")

    def render():
        topic_id = topic_names.set_index("name").loc[chosen.value, "topic_id"]
        frame = frames.related_terms(project, topic=topic_id, limit=limit)
        return frame, plots.related_terms_bars(frame, f"Terms related to “{_title_text(chosen.value)}”"), None

    return Panel([chosen], render)


def doc_search_panel(project: LuminosoClient, text: str = "river", limit: int = 10) -> Panel:
    """Document search with exact and conceptual matches highlighted."""
    query = widgets.Text(value=text, description="Search", continuous_update=False)
    count = widgets.IntSlider(value=limit, min=5, max=50, description="Documents",
                               continuous_update=False)
    conceptual_only = widgets.Checkbox(value=False, description="only documents without the words")

    def render():
        frame = frames.search_documents(project, text=query.value, limit=count.value,
                                        exclude_containing=conceptual_only.value)
        rows = "".join(f"<li>{score:.3f} — {highlight(t, e, c)}</li>" for score, t, e, c in
                       frame[["score", "text", "exact_spans", "conceptual_spans"]].itertuples(index=False))
        return frame, plots.doc_search_bars(frame, _title_text(query.value)), HTML(f"<ol>{rows}</ol>")

    return Panel([query, count, conceptual_only], render)


def topic_explorer(project: LuminosoClient, text: str = "he heard the water quietly flowing") -> Panel:
    """Correlation of any text with the project's topics."""
    query = widgets.Text(value=text, description="Text", continuous_update=False,
                         layout=widgets.Layout(width="60%"))

    def render():
        frame = frames.text_correlation(project, query.value)
        return frame, plots.text_correlation_bars(frame, _title_text(query.value)), None

    return Panel([query], render)


def subset_explorer(project: LuminosoClient, text: str = "thoughtful") -> Panel:
    """A text's vector against every subset's mean vector."""
    stats, means = frames.subset_stats(project, with_vectors=True)
    query = widgets.Text(value=text, description="Text", continuous_update=False)

    def render():
        _, vectors = frames.document_vectors(project, [query.value])
        frame = stats.assign(dot_product=means @ vectors[0])
        frame = frame[frame["subset"] != ALL_SUBSET].reset_index(drop=True)
        figure = plots.subset_dot_products(frame["subset"], frame["dot_product"], _title_text(query.value))
        return frame, figure, None

    return Panel([query], render)


__all__ = [
    "Panel",
    "doc_search_panel",
    "highlight",
    "subset_explorer",
    "term_search_panel",
    "topic_explorer",
    "topic_terms_panel",
]
