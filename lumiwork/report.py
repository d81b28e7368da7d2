"""`lumiwork report`: run a notebook and export standalone HTML (inputs hidden,
plotly.js embedded, so the report opens offline)."""
from __future__ import annotations

import re
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbconvert import HTMLExporter


def build_report(notebook: str | Path, output: str | Path | None = None,
                 timeout: int = 600) -> Path:
    """Execute `notebook` in its own folder and write the HTML report; returns its path.

    Figures must be top-level outputs (widgets' live output does not survive
    export). Text outputs are escaped by nbconvert; plots.use_notebook_renderer()
    embeds plotly.js in the first figure, so no request leaves the page.
    """
    notebook = Path(notebook)
    if not notebook.is_file():
        raise FileNotFoundError(f"no notebook at {notebook}")
    output = Path(output) if output else notebook.with_suffix(".html")
    nb = nbformat.read(notebook, as_version=4)
    # nbclient also waits up to `timeout` for its first kernel_info reply, which
    # is now and then lost (seen here: about one start in five); the run then
    # goes on normally, so a shorter timeout shortens that stall too.
    NotebookClient(nb, timeout=timeout, kernel_name="python3",
                   resources={"metadata": {"path": str(notebook.parent.resolve())}}).execute()
    drop_widgets(nb)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True,
                            exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    output.write_text(strip_remote_scripts(body), encoding="utf-8")
    return output


WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def drop_widgets(nb) -> None:
    """Remove live widgets: a static page cannot run them, and keeping their
    state makes the template load a widget renderer from a CDN."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if cell.get("outputs"):
            cell.outputs = [o for o in cell.outputs if WIDGET_VIEW not in o.get("data", {})]


_REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", re.IGNORECASE)


def strip_remote_scripts(html: str) -> str:
    """Drop the template's CDN scripts (require.js, the widget renderer): a report
    must open offline, and its figures do not need them."""
    return _REMOTE_SCRIPT.sub("", html)
