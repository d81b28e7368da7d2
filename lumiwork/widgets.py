"""ipywidgets panels: controls whose callbacks re-call frames and plots.

Each builder returns a Panel (a VBox) that also keeps its latest `frame` and
`figure`, so tests and users can read what is shown.
"""
from __future__ import annotations

import html

import ipywidgets as widgets
import plotly.io as pio
from IPython.display import HTML

from . import frames, plots
from .client import LuminosoClient, LuminosoError, UnknownQueryError
from .engine import ALL_SUBSET


class Panel(widgets.VBox):
    """Controls on top, a message line, then results; `refresh()` re-renders.

    A failed update (an unknown word, a server that is down, a project that is
    gone) clears the old results (`frame` and `figure` become None) and shows
    the failure's one line instead, so no stale chart sits under a new query.
    Outside a live kernel (an exported report) the panel shows `static_html()`.
    """

    def __init__(self, controls, render, describe=None):
        self.output = widgets.Output()
        self.message = widgets.HTML()
        self.frame = None
        self.figure = None
        self.extra = None
        self._render = render
        self._describe = describe
        self._controls = controls
        super().__init__([widgets.HBox(controls), self.message, self.output])
        for control in controls:
            if hasattr(control, "value"):
                control.observe(lambda change: self.refresh(), names="value")
        self.refresh()

    def refresh(self) -> None:
        try:
            frame, figure, extra = self._render()
        except UnknownQueryError as exc:
            self._fail(f"<b>No results:</b> {html.escape(str(exc))}")
            return
        except (LuminosoError, ValueError) as exc:
            self._fail(f"<b>Could not update:</b> {html.escape(str(exc))}")
            return
        self.frame, self.figure, self.extra = frame, figure, extra
        note = frame.attrs.get("note") if frame is not None else None
        self.message.value = f"<i>{html.escape(note)}</i>" if note else ""
        # Set outputs directly: this works from any callback and outside a live kernel
        self.output.outputs = tuple(display_output(item) for item in (self.figure, extra) if item is not None)

    def _fail(self, message: str) -> None:
        self.frame = self.figure = self.extra = None
        self.output.outputs = ()
        self.message.value = message

    def static_html(self) -> str:
        """The panel's current state as plain HTML: what its controls are set
        to, its message, its chart (plotly.js must already be on the page, as
        plots.use_notebook_renderer() arranges) and its extra output."""
        settings = []
        for control in self._controls:
            if getattr(control, "description", "") and hasattr(control, "value"):
                value = control.value
                if isinstance(control, widgets.Dropdown):
                    value = control.label
                settings.append(f"{html.escape(control.description)}: <b>{html.escape(str(value))}</b>")
        parts = [f"<p class='lumiwork-panel-settings'>{' · '.join(settings)}</p>"]
        if self.message.value:
            parts.append(f"<p>{self.message.value}</p>")
        if self.figure is not None:
            parts.append(pio.to_html(self.figure, full_html=False, include_plotlyjs=False))
        if self.extra is not None and hasattr(self.extra, "_repr_html_"):
            parts.append(self.extra._repr_html_() or "")
        return "<div class='lumiwork-panel'>" + "".join(parts) + "</div>"

    def _repr_mimebundle_(self, **kwargs):
        bundle = super()._repr_mimebundle_(**kwargs)
        if isinstance(bundle, tuple):  # (data, metadata)
            bundle[0]["text/html"] = self.static_html()
        elif isinstance(bundle, dict):
            bundle["text/html"] = self.static_html()
        return bundle


def display_output(obj) -> dict:
    """An Output widget's output for `obj`, from its mime bundle.

    Not through IPython's display formatter: for an object with
    `_ipython_display_` (plotly figures) it publishes to the running cell
    instead, which left a copy of every chart outside the panel that no later
    update could clear (seen in JupyterLab as a stale chart under an error)."""
    bundle = obj._repr_mimebundle_() if hasattr(obj, "_repr_mimebundle_") else None
    if bundle is None:
        from IPython.core.interactiveshell import InteractiveShell

        formatter = InteractiveShell.instance().display_formatter
        data, metadata = formatter.format(obj) if formatter is not None else ({"text/plain": repr(obj)}, {})
    elif isinstance(bundle, tuple):
        data, metadata = bundle
    else:
        data, metadata = bundle, {}
    return {"output_type": "display_data", "data": data, "metadata": metadata}


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
]
