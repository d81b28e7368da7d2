"""Panel: the container every widget builder returns, for every API. Its
controls re-call a render function (package functions: frames and plots), and
a failed call clears the old results and shows one line instead."""
from __future__ import annotations

import html

import ipywidgets as widgets
import plotly.graph_objects as go
import plotly.io as pio

from ..client.errors import LuminosoClientError, LuminosoError, UnknownQueryError


class Panel(widgets.VBox):
    """Controls on top, a message line, then results; `refresh()` re-renders.

    A failed update (an unknown word, a server that is down, a project that is
    gone) clears the old results (`frame` and `figure` become None) and shows
    the failure's one line instead, so no stale chart sits under a new query.
    Enter in a text box runs the query again even when the text is unchanged
    (after the server comes back, say). Outside a live kernel (an exported
    report) the panel shows `static_html()`.
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
        self._shown_values: tuple | None = None
        for control in controls:
            if hasattr(control, "value"):
                control.observe(lambda change: self.refresh(), names="value")
            if isinstance(control, widgets.Text):
                control.on_msg(self._on_front_end_message)
        self.refresh()

    def _values(self) -> tuple:
        return tuple(getattr(control, "value", None) for control in self._controls)

    def _on_front_end_message(self, _widget, content, _buffers) -> None:
        """Enter in a text box. A changed text also changes `value`, which
        refreshes already; only an unchanged one needs this (with
        continuous_update=False ipywidgets sends no value then)."""
        if isinstance(content, dict) and content.get("event") == "submit" and self._values() == self._shown_values:
            self.refresh()

    def refresh(self) -> None:
        self._shown_values = self._values()
        try:
            frame, figure, extra = self._render()
        except UnknownQueryError as exc:
            self._fail(f"<b>No results:</b> {html.escape(str(exc))}")
            return
        except (LuminosoError, ValueError) as exc:
            self._fail(f"<b>Could not update:</b> {html.escape(failure_line(exc))}")
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
                elif isinstance(value, bool):
                    value = "yes" if value else "no"
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


def failure_line(exc: Exception) -> str:
    """One line for a failed update: a refused field's own message(s) (not the
    error code, the request or the HTTP status: the panel's controls are the
    request), else the error's line."""
    error = getattr(exc, "error", None)
    fields = error.get("fields") if isinstance(error, dict) else None
    if isinstance(exc, LuminosoClientError) and isinstance(fields, dict) and fields:
        messages = [" ".join(map(str, m)) if isinstance(m, list) else str(m) for m in fields.values()]
        return " ".join("; ".join(messages).split())
    return str(exc)


def figure_bundle(figure: go.Figure) -> dict:
    """A figure's mime bundle from the default renderers, without activating
    them again: `figure._repr_mimebundle_()` re-runs plotly's notebook set-up
    on every call, which publishes plotly.js (4.8 MB) into the running cell
    each time (a second copy in every report with a panel)."""
    fig_dict = figure.to_dict()
    data: dict = {}
    for name in filter(None, (pio.renderers.default or "").split("+")):
        renderer = pio.renderers[name]
        if hasattr(renderer, "to_mimebundle"):  # not the ones that open a browser
            data.update(renderer.to_mimebundle(fig_dict))
    return data or {"text/html": pio.to_html(figure, full_html=False, include_plotlyjs=False)}


def display_output(obj) -> dict:
    """An Output widget's output for `obj`, from its mime bundle.

    Not through IPython's display formatter: for an object with
    `_ipython_display_` (plotly figures) it publishes to the running cell
    instead, which left a copy of every chart outside the panel that no later
    update could clear (seen in JupyterLab as a stale chart under an error)."""
    if isinstance(obj, go.Figure):
        return {"output_type": "display_data", "data": figure_bundle(obj), "metadata": {}}
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
