"""Panel: the container every widget builder returns, for every API. Its
controls re-call a render function (package functions: frames and plots), and
a failed call clears the old results and shows one line instead."""
from __future__ import annotations

import html

import ipywidgets as widgets
import plotly.io as pio

from ..client.errors import LuminosoError, UnknownQueryError


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
