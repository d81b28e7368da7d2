"""`lumiwork report` against a real server: header, no reprs, widgets as static
HTML, bounded kernel start with retries, one-line failures, per-cell progress."""
import os
import re
import subprocess
import sys
import time

import nbformat
import pytest
from conftest import REPO

from lumiwork.tools.report import ReportError, build_report


def run_report(notebook, output, url, token, *extra):
    env = {**os.environ, "LUMIWORK_URL": url, "LUMIWORK_TOKEN": token or ""}
    return subprocess.run([sys.executable, "-m", "lumiwork", "report", str(notebook), "-o", str(output),
                           "--timeout", "60", *extra], env=env, capture_output=True, text=True, timeout=300)


def test_report_has_header_progress_and_static_panels(server, demo_project, tmp_path):
    output = tmp_path / "search.html"
    result = run_report(REPO / "notebooks" / "04-document-search.ipynb", output, server.url, server.token)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "04-document-search.ipynb: cell 1/5: import lumiwork" in result.stderr
    assert "04-document-search.ipynb: cell 5/5: widgets.doc_search_panel" in result.stderr
    assert "WARNING" not in result.stderr and "without encryption" not in result.stderr  # the kernel's TCP
    page = output.read_text(encoding="utf-8")
    assert "<title>Document search</title>" in page
    assert "<b>Project</b> Siddhartha" in page and "<b>Server</b>" not in page  # 127.0.0.1 means nothing
    assert "<b>Generated</b> " in page
    assert "lumiwork-panel" in page and "Search: <b>river</b>" in page  # the panel, static
    assert "&lt;LuminosoClient" not in page and "<LuminosoClient" not in page
    assert "application/vnd.jupyter.widget-view+json" not in page
    assert "&#x27;xqzvy&#x27; is not known" in page or "'xqzvy' is not known" in page


def test_a_dead_server_is_one_line(dead_url, tmp_path):
    result = run_report(REPO / "notebooks" / "03-terms.ipynb", tmp_path / "t.html", dead_url, "x")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith(f"lumiwork: 03-terms.ipynb: LuminosoConnectionError: cannot reach {dead_url}")
    assert "lumiwork serve" in last and "Traceback" not in result.stderr


def test_a_kernel_that_does_not_start_is_retried_then_reported(tmp_path):
    notebook = tmp_path / "n.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")]), notebook)
    lines = []
    start = time.monotonic()
    with pytest.raises(ReportError) as caught:
        build_report(notebook, startup_timeout=0.05, retries=1, progress=lines.append)
    assert time.monotonic() - start < 60
    assert "did not start within 0.05 s, 2 times" in str(caught.value)
    assert sum("attempt" in line for line in lines) == 2


def test_a_slow_cell_hits_the_cell_timeout_not_the_start(tmp_path):
    notebook = tmp_path / "slow.ipynb"
    nbformat.write(nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("import time\ntime.sleep(30)")]), notebook)
    start = time.monotonic()
    with pytest.raises(ReportError, match="a cell ran longer than 2 s"):
        build_report(notebook, timeout=2, startup_timeout=60, progress=None)
    assert time.monotonic() - start < 60


def test_plotlyjs_is_embedded_once_however_often_the_notebook_renderer_starts(tmp_path):
    """plotly's notebook renderer puts plotly.js (4.8 MB) in the outputs on the
    first figure after each time it is set, and on each show() naming it; the
    report keeps one copy, before the first chart."""
    notebook = tmp_path / "twice.ipynb"
    figure = "go.Figure(go.Bar(y=[1, 3, 2]))"
    nbformat.write(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in (
        "import plotly.graph_objects as go\nfrom lumiwork import plots\nplots.use_notebook_renderer()",
        figure, "plots.use_notebook_renderer()", figure, f"{figure}.show(renderer='notebook')")]), notebook)
    page = build_report(notebook, progress=None).read_text(encoding="utf-8")
    assert len(re.findall(r"\* plotly\.js v\d", page)) == 1 and "Plotly.newPlot(" in page
    assert page.index("* plotly.js v") < page.index("Plotly.newPlot(")


def test_the_header_names_a_server_only_a_reader_could_know():
    from lumiwork.tools.report import server_host

    assert server_host("https://analytics.example.com/api/v4/") == "analytics.example.com"
    for local in ("http://127.0.0.1:8765/api/v4/", "http://localhost:8765/api/v4/", "http://[::1]:8765/api/v4/"):
        assert server_host(local) is None, local


def test_linked_files_travel_with_the_report(tmp_path):
    """Files a notebook links to (names with a space and a #, two of one name from
    two folders) are copied beside a report written elsewhere, and its links, read
    as a browser reads them, lead to the copies."""
    from pathlib import Path
    from urllib.parse import unquote, urljoin, urlparse

    from lumiwork.notebook import tables
    from lumiwork.tools.report import copy_linked_files

    folder = tmp_path / "analysis"
    for sub, text in (("a", "first"), ("b", "second")):
        (folder / sub).mkdir(parents=True)
        (folder / sub / "corr #1 table.csv").write_text(text)
    links = tables.download_links(folder / "a" / "corr #1 table.csv", folder / "b" / "corr #1 table.csv",
                                  base=folder)
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[nbformat.v4.new_output(
        "display_data", data={"text/html": links._repr_html_()})])])
    report = tmp_path / "elsewhere" / "report.html"
    copies = copy_linked_files(nb, folder, report)
    hrefs = re.findall(r"href='([^']+)'", nb.cells[0].outputs[0]["data"]["text/html"])
    assert len(copies) == 2 and len(hrefs) == 2
    opened = [Path(unquote(urlparse(urljoin(report.as_uri(), href)).path)) for href in hrefs]
    assert [path.read_text() for path in opened] == ["first", "second"]


def test_pdf_beside_the_html(server, demo_project, tmp_path):
    output = tmp_path / "accounts.html"
    result = run_report(REPO / "notebooks" / "07-accounts.ipynb", output, server.url, server.token, "--pdf")
    assert result.returncode == 0, result.stderr[-3000:]
    pdf = output.with_suffix(".pdf").read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    assert re.search(rb"/MediaBox \[0 0 594\.9\d* 841\.9\d*\]", pdf)  # A4, as the report's print style asks


def test_pdf_needs_no_python_package_beyond_a_normal_install(tmp_path):
    """The PDF is Chromium's own print (no Playwright, which only the test extras
    install): a run whose Python cannot import playwright still prints."""
    page = tmp_path / "r.html"
    page.write_text("<html><body><h1>hi</h1></body></html>")
    blocker = tmp_path / "blocker"
    blocker.mkdir()
    (blocker / "playwright.py").write_text("raise ImportError('no playwright here')")
    code = "from lumiwork.tools.report import export_pdf; print(export_pdf(__import__('sys').argv[1]))"
    env = {**os.environ, "PYTHONPATH": str(blocker)}
    result = subprocess.run([sys.executable, "-c", code, str(page)], env=env, capture_output=True, text=True,
                            timeout=180)
    assert result.returncode == 0, result.stderr[-2000:]
    assert (tmp_path / "r.pdf").read_bytes().startswith(b"%PDF")


def test_pdf_without_chromium_says_what_to_do(tmp_path, monkeypatch):
    from lumiwork.tools.report import export_pdf

    page = tmp_path / "r.html"
    page.write_text("<html><body>hi</body></html>")
    with pytest.raises(ReportError, match="PDF needs Chromium: install it"):
        export_pdf(page, chromium=str(tmp_path / "no-such-chromium"))
