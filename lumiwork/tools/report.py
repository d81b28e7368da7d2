"""`lumiwork report`: run a notebook and export a standalone report.

The report is HTML with the code hidden, a header (title, project, date),
plotly.js (once) and the table library embedded (it opens offline), widget
panels replaced by their static rendering, no object reprs, the files the
notebook links to copied beside it, and a print layout (charts scaled to the
page, tables within its width, no table controls). Optionally a PDF of the
same page, printed by Chromium in headless mode.
"""
from __future__ import annotations

import asyncio
import datetime as dt
import html
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

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
    try:  # before the notebook runs, not after
        output.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ReportError(f"cannot write the report in {output.parent}: {exc.strerror or exc}") from exc
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
    copy_linked_files(nb, notebook.parent, output)
    exporter = HTMLExporter(exclude_input=True, exclude_input_prompt=True, exclude_output_prompt=True)
    body, _ = exporter.from_notebook_node(nb)
    page = add_print_layout(embed_plotlyjs_once(strip_remote_scripts(body)))
    output.write_text(page, encoding="utf-8")
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
        _encrypt(client.km)
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


def _encrypt(kernel_manager) -> None:
    """Have the kernel's messages encrypted (CurveZMQ keys from the manager), where
    jupyter_client and pyzmq can: ipykernel warns on every start of a kernel that
    talks plain TCP, and a report's reader has nothing to do about it."""
    import zmq

    if kernel_manager.has_trait("transport_encryption") and zmq.has("curve"):
        kernel_manager.transport_encryption = "auto"


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
        host = server_host(connection.get("url") or "")
        if host:
            facts.insert(1, f"<b>Server</b> {html.escape(host)}")
    header = ("<div class='lumiwork-report-header' style='color:#555;border-bottom:1px solid #ddd;"
              "padding-bottom:6px;margin-bottom:12px'>" + " · ".join(facts) + "</div>")
    cell = nbformat.v4.new_markdown_cell(header)
    first_heading = next((i for i, c in enumerate(nb.cells) if c.cell_type == "markdown"
                          and c.source.lstrip().startswith("#")), None)
    if first_heading is None:
        nb.cells.insert(0, nbformat.v4.new_markdown_cell(f"# {title}"))
        first_heading = 0
    nb.cells.insert(first_heading + 1, cell)


def server_host(url: str) -> str | None:
    """The host a reader may recognise (analytics.example.com), or None for this
    machine's own server: its address and API path mean nothing to a reader."""
    host = urlparse(url).hostname
    if not host or host == "localhost":
        return None
    try:
        return None if ipaddress.ip_address(host).is_loopback else host
    except ValueError:
        return host


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


_LINK = re.compile(r"(<a class='lumiwork-download' href=')([^']*)(')")


def copy_linked_files(nb, notebook_dir: str | Path, output: str | Path) -> list[Path]:
    """Copy the files a notebook links to (tables.download_links, relative to the
    notebook's folder) into OUTPUT_files/ beside the report and point the links
    there, so they open wherever the report is written, and travel with it.
    Returns the copies; a link to a file that is gone is left as it is."""
    output = Path(output)
    folder = output.with_name(output.stem + "_files")
    copies: dict[Path, Path] = {}

    def relink(match: re.Match) -> str:
        source = (Path(notebook_dir) / unquote(html.unescape(match.group(2)))).resolve()
        if not source.is_file():
            return match.group(0)
        if source not in copies:
            name, number = source.name, 1
            while folder / name in copies.values():  # two files of one name from two folders
                number += 1
                name = f"{source.stem}-{number}{source.suffix}"
            folder.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, folder / name)
            copies[source] = folder / name
        href = quote(f"{folder.name}/{copies[source].name}")
        return match.group(1) + html.escape(href, quote=True) + match.group(3)

    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "text/html" in data:
                text = data["text/html"]
                text = "".join(text) if isinstance(text, list) else text
                data["text/html"] = _LINK.sub(relink, text)
    return list(copies.values())


_SCRIPT = re.compile(r"<script\b[^>]*>(.*?)</script>", re.IGNORECASE | re.DOTALL)
_PLOTLYJS_BANNER = re.compile(r"^\s*/\*\*?\s*\*?\s*plotly\.js v\d")


def embed_plotlyjs_once(page: str) -> str:
    """The page with exactly one copy of plotly.js, in its head, if it draws a
    chart. plotly's notebook renderer embeds the library with the first figure a
    kernel shows, and again each time something re-activates it; each copy is
    4.8 MB. The copy put in is the installed plotly's, the one the figures were
    made with."""
    page = _SCRIPT.sub(lambda m: "" if _PLOTLYJS_BANNER.match(m.group(1)) else m.group(0), page)
    if "Plotly.newPlot(" not in page:
        return page
    from plotly.offline import get_plotlyjs

    library = ("<script>window.PlotlyConfig = {MathJaxConfig: 'local'};</script>\n"
               f"<script>{get_plotlyjs()}</script>\n")
    return page.replace("</head>", library + "</head>", 1)


# The page on paper: A4 with these margins. Chromium's PDF printing has the
# screen layout at the page's width (PRINT_WINDOW), so charts are drawn there
# at their print size.
PAGE_MARGINS_MM = (12, 10)
PRINT_WINDOW = (718, 1000)  # CSS pixels: A4's 210 mm less 2 x 10 mm, at 96 per inch

PRINT_CSS = """
@page { size: A4; margin: TOPmm SIDEmm; }
@media print {
  body, .jp-Notebook { margin: 0 !important; padding: 0 !important; }
  .jp-Cell, .jp-Cell-outputWrapper, .jp-OutputArea-child, .jp-OutputArea-output {
    padding-left: 0 !important; padding-right: 0 !important; margin-left: 0 !important;
    max-width: 100% !important; overflow: visible !important; }
  /* JupyterLab keeps every output whole on a page, so a long table moved to the
     next page and left the rest of this one blank: only charts and rows stay whole */
  .jp-OutputArea-child { break-inside: auto !important; }
  .lumiwork-chart, .js-plotly-plot, tr, li { break-inside: avoid; }
  h1, h2, h3, h4, .lumiwork-panel-settings { break-after: avoid; }
  .modebar-container { display: none !important; }
  /* the table controls do nothing on paper */
  .dt-buttons, .dt-search, .dt-paging, .dt-info, .dt-length, .dt-column-order,
  .dataTables_filter, .dataTables_paginate, .dataTables_info, .dataTables_length { display: none !important; }
  .dt-container, .dt-layout-row, .dt-layout-cell, .dt-layout-table {
    display: block !important; width: 100% !important; }
  table.dataTable { width: 100% !important; max-width: 100% !important; table-layout: auto !important;
    font-size: 9pt; margin: 0 !important; }
  table.dataTable th, table.dataTable td { white-space: normal !important; overflow-wrap: anywhere;
    padding: 2px 4px !important; }
  /* JupyterLab breaks output text anywhere (break-all): on paper, at spaces first */
  pre { white-space: pre-wrap !important; word-break: normal !important; overflow-wrap: anywhere !important; }
}
""".replace("TOP", str(PAGE_MARGINS_MM[0])).replace("SIDE", str(PAGE_MARGINS_MM[1]))

# Before printing: every chart keeps the pixel width it was drawn at and is
# scaled to the page with a CSS zoom (plotly redraws a chart whose box changes
# size, and a redraw running while the browser prints is what cut charts off),
# and every paged table shows all its rows. After printing, all is put back.
PRINT_SCRIPT = """
(function () {
  var PAGE_WIDTH = "PAGE_WIDTH_MMmm";
  var tables = null;
  Object.keys(window).forEach(function (name) {
    if (name.indexOf("_itables_") === 0) {
      Promise.resolve(window[name]).then(function (module) { tables = module; }, function () {});
    }
  });
  function pageWidth() {
    var probe = document.createElement("div");
    probe.style.cssText = "position:absolute;visibility:hidden;width:" + PAGE_WIDTH;
    document.body.appendChild(probe);
    var width = probe.getBoundingClientRect().width;
    probe.remove();
    return width;
  }
  function charts() {
    return Array.prototype.map.call(document.querySelectorAll(".js-plotly-plot"), function (plot) {
      return plot.parentElement;
    });
  }
  function eachTable(action) {
    if (!tables || !tables.jQuery) return;
    tables.jQuery("table.dataTable").each(function () {
      try { action(this, tables.jQuery(this).DataTable()); } catch (error) { /* not a DataTable */ }
    });
  }
  window.addEventListener("beforeprint", function () {
    var width = pageWidth();
    charts().forEach(function (chart) {
      var drawn = chart.getBoundingClientRect().width;
      chart.classList.add("lumiwork-chart");
      chart.dataset.lumiworkStyle = chart.getAttribute("style") || "";
      chart.style.width = drawn + "px";
      if (drawn > width) chart.style.zoom = String(width / drawn);
    });
    eachTable(function (node, table) {
      node.dataset.lumiworkPageLength = table.page.len();
      table.page.len(-1).draw(false);
    });
  });
  window.addEventListener("afterprint", function () {
    charts().forEach(function (chart) {
      if (chart.dataset.lumiworkStyle !== undefined) chart.setAttribute("style", chart.dataset.lumiworkStyle);
    });
    eachTable(function (node, table) {
      if (node.dataset.lumiworkPageLength) table.page.len(Number(node.dataset.lumiworkPageLength)).draw(false);
    });
  });
})();
""".replace("PAGE_WIDTH_MM", str(210 - 2 * PAGE_MARGINS_MM[1] - 2))  # 2 mm to spare


def add_print_layout(page: str) -> str:
    """The page with PRINT_CSS in its head and PRINT_SCRIPT at its end: what a
    browser prints (the PDF, or a reader's Print) reads as a document."""
    page = page.replace("</head>", f"<style id='lumiwork-print'>{PRINT_CSS}</style>\n</head>", 1)
    return page.replace("</body>", f"<script id='lumiwork-print-layout'>{PRINT_SCRIPT}</script>\n</body>", 1)


CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome")


def find_chromium() -> str | None:
    """A Chromium to print with: $LUMIWORK_CHROMIUM, else one on the PATH, else
    Debian's /usr/bin/chromium."""
    candidates = [Settings.from_environment().chromium, *(shutil.which(name) for name in CHROMIUM_NAMES),
                  "/usr/bin/chromium"]
    return next((c for c in candidates if c and Path(c).exists()), None)


RENDER_BUDGET_MS = 10_000  # virtual time for the page's scripts (charts, tables) before printing


def export_pdf(html_path: str | Path, pdf_path: str | Path | None = None,
               chromium: str | None = None) -> Path:
    """Print a report to PDF with Chromium's headless mode (`--print-to-pdf`):
    a system Chromium or Chrome, no Python package needed. The page's own print
    layout (add_print_layout) does the rest."""
    html_path = Path(html_path)
    pdf_path = Path(pdf_path) if pdf_path else html_path.with_suffix(".pdf")
    executable = chromium or find_chromium()
    if not executable or not Path(executable).exists():
        raise ReportError("PDF needs Chromium: install it (Debian and Ubuntu: apt-get install chromium) "
                          f"or set LUMIWORK_CHROMIUM to a Chromium or Chrome; the HTML report is at {html_path}")
    with tempfile.TemporaryDirectory(prefix="lumiwork-pdf-") as scratch:
        printed = Path(scratch) / "report.pdf"
        command = [executable, "--headless", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                   "--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
                   "--disable-sync", "--disable-extensions", f"--user-data-dir={Path(scratch) / 'profile'}",
                   "--no-pdf-header-footer", "--print-to-pdf-no-header",
                   f"--window-size={PRINT_WINDOW[0]},{PRINT_WINDOW[1]}",
                   f"--virtual-time-budget={RENDER_BUDGET_MS}", f"--print-to-pdf={printed}",
                   html_path.resolve().as_uri()]
        if hasattr(os, "geteuid") and os.geteuid() == 0:
            command.insert(1, "--no-sandbox")  # Chromium will not start its sandbox as root
        try:
            result = subprocess.run(command, stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                    timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise ReportError(f"Chromium ({executable}) could not print {html_path}: "
                              f"{_first_line(str(exc))[:200]}") from exc
        if not printed.is_file() or not printed.read_bytes().startswith(b"%PDF"):
            raise ReportError(f"Chromium ({executable}) printed no PDF of {html_path}: "
                              f"{_chromium_complaint(result.stderr)}")
        shutil.move(str(printed), pdf_path)
    return pdf_path


def _chromium_complaint(stderr: str) -> str:
    """Chromium's last line that is not the noise of a machine without D-Bus."""
    lines = [line for line in stderr.splitlines() if line.strip() and "dbus" not in line.lower()]
    return _first_line(lines[-1])[:200] if lines else "it said nothing"
