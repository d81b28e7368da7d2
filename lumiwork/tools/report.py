"""`lumiwork report`: run a notebook and export a standalone report.

The report is HTML with the code hidden, a header (title, project, server,
date), plotly.js and the table library embedded (it opens offline), widget
panels replaced by their static rendering, and no object reprs. Optionally a
PDF of the same page, printed by Chromium.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import html
import json
import re
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbclient.util import run_sync
from nbconvert import HTMLExporter

from ..settings import Settings

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"
HEADER_MARKER = "lumiwork-report-connection:"
_HEADER_PROBE = ("import json as _json, lumiwork as _lumiwork\n"
                 f"print({HEADER_MARKER!r} + _json.dumps(_lumiwork.last_connection()))")


class ReportError(Exception):
    """A report could not be made; str() is one line saying why and what to do."""


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def notebook_title(nb, fallback: str) -> str:
    """The first markdown heading of a notebook, else `fallback`."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            match = re.search(r"^#{1,6}\s+(.+?)\s*#*\s*$", cell.source, re.MULTILINE)
            if match:
                return match.group(1).strip()
    return fallback


def build_report(notebook: str | Path, output: str | Path | None = None, timeout: int = 600,
                 startup_timeout: float = 60, retries: int = 2, pdf: bool = False,
                 progress: Callable[[str], None] | None = _stderr,
                 executed: Callable[[nbformat.NotebookNode], None] | None = None) -> Path:
    """Execute `notebook` in its own folder and write the HTML report; returns its path.

    `timeout` bounds each cell; `startup_timeout` bounds the kernel's start (and
    its first reply), which is retried `retries` times with a fresh kernel.
    `progress` receives one line per cell (default: the terminal's stderr).
    With `pdf`, a PDF of the report is written beside it (needs Chromium).
    `executed` receives the executed notebook, outputs and widget state as
    run, before it is made a report (dashboard exports read figures and tables there).
    """
    say = progress or (lambda line: None)
    notebook = Path(notebook)
    if not notebook.is_file():
        raise ReportError(f"no notebook at {notebook}")
    output = Path(output) if output else notebook.with_suffix(".html")
    nb = nbformat.read(notebook, as_version=4)
    title = notebook_title(nb, notebook.stem)
    nb.cells.append(nbformat.v4.new_code_cell(_HEADER_PROBE))
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3",
                            resources={"metadata": {"path": str(notebook.parent.resolve())}})
    say(f"{notebook.name}: starting the kernel")
    try:
        run_sync(_execute)(client, nb, startup_timeout, retries, say, notebook.name)
    except CellTimeoutError as exc:
        raise ReportError(f"{notebook.name}: a cell ran longer than {timeout} s; raise --timeout, "
                          "or check that the server answers") from exc
    except CellExecutionError as exc:
        raise ReportError(f"{notebook.name}: {exc.ename}: {_first_line(exc.evalue)}") from exc
    except DeadKernelError as exc:
        raise ReportError(f"{notebook.name}: the kernel died while running the notebook") from exc
    connection = _pop_probe(nb)
    if executed is not None:
        executed(nb)
    finish(nb, title, connection, source=notebook.name)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    output.write_text(strip_remote_scripts(body), encoding="utf-8")
    say(f"{notebook.name}: report written to {output}")
    if pdf:
        pdf_path = export_pdf(output)
        say(f"{notebook.name}: PDF written to {pdf_path}")
    return output


def _first_line(text: str) -> str:
    return " ".join(str(text).split())[:500]


async def _execute(client: NotebookClient, nb, startup_timeout: float, retries: int,
                   say: Callable[[str], None], name: str) -> None:
    """Start a kernel (retrying a start that stalls), then run the cells one by
    one, saying which cell runs."""
    info = None
    for attempt in range(1, retries + 2):
        client.km = client.create_kernel_manager()
        try:
            await asyncio.wait_for(client.async_start_new_kernel(), startup_timeout)
            client.startup_timeout = int(max(1, startup_timeout))
            await asyncio.wait_for(client.async_start_new_kernel_client(), startup_timeout)
            assert client.kc is not None
            msg_id = client.kc.kernel_info()
            info = await asyncio.wait_for(client.async_wait_for_reply(msg_id), startup_timeout)
            break
        except (TimeoutError, RuntimeError) as exc:
            reason = "did not start" if not isinstance(exc, RuntimeError) else f"failed ({_first_line(str(exc))})"
            say(f"{name}: the kernel {reason} within {startup_timeout:g} s "
                f"(attempt {attempt} of {retries + 1})")
            if client.km is not None:
                try:
                    await client._async_cleanup_kernel()
                except Exception:  # a kernel that never came up may not stop cleanly either
                    pass
            client.km = client.kc = None
    else:
        raise ReportError(f"{name}: the Python kernel did not start within {startup_timeout:g} s, "
                          f"{retries + 1} times; check `jupyter kernelspec list`, or raise "
                          "--startup-timeout")
    if info is not None and "language_info" in info["content"]:
        nb.metadata["language_info"] = info["content"]["language_info"]
    client.reset_execution_trackers()
    code_cells = [i for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    async with client.async_setup_kernel():
        for number, index in enumerate(code_cells, start=1):
            cell = nb.cells[index]
            if number < len(code_cells):  # the last one is the header probe
                say(f"{name}: cell {number}/{len(code_cells) - 1}: {_first_line(cell.source)[:60]}")
            await client.async_execute_cell(cell, index, execution_count=client.code_cells_executed + 1)
        client.set_widgets_metadata()


def _pop_probe(nb) -> dict | None:
    cell = nb.cells.pop()
    for out in cell.get("outputs", []):
        for line in out.get("text", "").splitlines():
            if line.startswith(HEADER_MARKER):
                return json.loads(line[len(HEADER_MARKER):])
    return None


def finish(nb, title: str, connection: dict | None, source: str,
           now: dt.datetime | None = None) -> None:
    """Make an executed notebook a report: title and header, widgets replaced
    by their static HTML, object reprs dropped."""
    now = now or dt.datetime.now().astimezone()
    nb.metadata["title"] = title
    drop_widgets(nb)
    drop_reprs(nb)
    facts = [f"<b>Generated</b> {now:%Y-%m-%d %H:%M %Z}".rstrip(), f"<b>Notebook</b> {html.escape(source)}"]
    if connection:
        if connection.get("project"):
            facts.insert(0, f"<b>Project</b> {html.escape(connection['project'])}")
        facts.insert(1, f"<b>Server</b> {html.escape(connection['url'])}")
    header = ("<div class='lumiwork-report-header' style='color:#555;border-bottom:1px solid #ddd;"
              "padding-bottom:6px;margin-bottom:12px'>" + " · ".join(facts) + "</div>")
    cell = nbformat.v4.new_markdown_cell(header)
    first_heading = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
                          and c.source.lstrip().startswith("#")), None)
    if first_heading is None:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"# {title}"))
        first_heading = 0
    nb.cells.insert(first_heading + 1, cell)


def drop_widgets(nb) -> None:
    """Replace live widgets by their static HTML (lumiwork panels give one);
    drop the rest: a static page cannot run them, and keeping their state makes
    the template load a widget renderer from a CDN."""
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        if not cell.get("outputs"):
            continue
        kept = []
        for out in cell.outputs:
            data = out.get("data", {})
            if WIDGET_VIEW in data:
                if "text/html" not in data:
                    continue
                out.data = {"text/html": data["text/html"]}
            kept.append(out)
        cell.outputs = kept


_REPR = re.compile(r"^\s*<[\w.]+(\s[^>]*)?>\s*$|^\s*<[\w.]+ object at 0x[0-9a-f]+>\s*$", re.DOTALL)


def drop_reprs(nb) -> None:
    """Drop results shown only as an object's repr (`<LuminosoClient for ...>`)."""
    for cell in nb.cells:
        if not cell.get("outputs"):
            continue
        cell.outputs = [out for out in cell.outputs if not (
            out.get("output_type") in ("execute_result", "display_data")
            and set(out.get("data", {})) <= {"text/plain"}
            and _REPR.match(str(out.get("data", {}).get("text/plain", ""))))]


_REMOTE_SCRIPT = re.compile(r"<script[^>]*\bsrc=[\"']https?://[^>]*>\s*</script>", re.IGNORECASE)


def strip_remote_scripts(html_text: str) -> str:
    """Drop the template's CDN scripts (require.js, the widget renderer): a report
    must open offline, and its figures do not need them."""
    return _REMOTE_SCRIPT.sub("", html_text)


def find_chromium() -> str | None:
    """A Chromium to print with: $LUMIWORK_CHROMIUM, else one on the PATH."""
    candidates = [Settings.from_environment().chromium, shutil.which("chromium"),
                  shutil.which("chromium-browser"), shutil.which("google-chrome")]
    return next((c for c in candidates if c and Path(c).exists()), None)


def export_pdf(html_path: str | Path, pdf_path: str | Path | None = None,
               chromium: str | None = None) -> Path:
    """Print a report to PDF with Chromium through Playwright, as nbconvert's
    webpdf exporter does (which cannot be pointed at a system Chromium)."""
    html_path = Path(html_path)
    pdf_path = Path(pdf_path) if pdf_path else html_path.with_suffix(".pdf")
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        raise ReportError("PDF needs Playwright: pip install 'nbconvert[webpdf]' (the HTML report "
                          f"is at {html_path})") from exc
    executable = chromium or find_chromium()
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=executable, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page()
            page.goto(html_path.resolve().as_uri(), wait_until="load")
            page.wait_for_timeout(500)  # let plotly and the tables draw
            page.emulate_media(media="print")
            page.pdf(path=str(pdf_path), format="A4", print_background=True,
                     margin={"top": "12mm", "bottom": "12mm", "left": "10mm", "right": "10mm"})
            browser.close()
    except PlaywrightError as exc:
        raise ReportError("PDF needs Chromium: install it (Debian: apt-get install chromium) or set "
                          f"LUMIWORK_CHROMIUM; the HTML report is at {html_path} "
                          f"({_first_line(str(exc))[:120]})") from exc
    return pdf_path
