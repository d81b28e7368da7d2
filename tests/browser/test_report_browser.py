"""Every notebook's `lumiwork report` opened in headless Chromium with the network
cut off: charts draw, the title and header are there, no object reprs, and the
tables sort."""
import os
import re
import shutil
import subprocess
import sys
from urllib.parse import urlparse

import pytest
from browsers import launch
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
TITLES = {"01-getting-started": "Getting started", "02-topics": "Topics",
          "03-terms": "Top terms, related terms and the ignore list", "04-document-search": "Document search",
          "05-statistics": "Topic statistics and text correlation",
          "06-subset-vectors": "Subset vectors: a snapshot of the book", "07-accounts": "Accounts and usage",
          "08-compass-classifiers": "Compass classifiers on Siddhartha", "09-compass-stream": "A message stream",
          "13-share": "Share a dashboard with colleagues"}
WITHOUT_CHARTS = ("01-getting-started", "13-share")
NUMERIC = ("score", "correlation", "mean", "count", "document_count", "zscore", "views")


@pytest.fixture(scope="module")
def reports(server, demo_project, tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports")
    notebooks = shutil.copytree(REPO / "notebooks", folder / "notebooks",
                                ignore=shutil.ignore_patterns("exports", ".ipynb_checkpoints"))
    env = {**os.environ, "LUMIWORK_URL": server.url, "LUMIWORK_TOKEN": server.token}
    built = {}
    for notebook in NOTEBOOKS:
        output = notebooks / f"{notebook.stem}.html"
        result = subprocess.run([sys.executable, "-m", "lumiwork", "report", str(notebooks / notebook.name),
                                 "-o", str(output), "--timeout", "60"],
                                env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        built[notebook.stem] = output
    return built


def test_reports_hide_code_and_embed_everything(reports):
    for output in reports.values():
        html = output.read_text(encoding="utf-8")
        assert "project = lumiwork.connect(" not in html and "import lumiwork" not in html  # inputs hidden
        assert not re.search(r"<script[^>]*\ssrc=[\"']https?:", html)
        assert "application/vnd.jupyter.widget-view+json" not in html


def open_offline(p, path):
    browser = launch(p)
    page = browser.new_page(viewport={"width": 1300, "height": 900})
    blocked, failed = [], []

    def guard(route):
        host = urlparse(route.request.url).hostname
        if route.request.url.startswith(("file:", "data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    page.route("**/*", guard)
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.goto(path.as_uri())
    return browser, page, blocked, failed


@pytest.mark.parametrize("name", [n.stem for n in NOTEBOOKS])
def test_report_opens_offline_with_title_charts_and_sortable_tables(reports, name):
    from playwright import sync_api as playwright

    with playwright.sync_playwright() as p:
        browser, page, blocked, failed = open_offline(p, reports[name])
        if name not in WITHOUT_CHARTS:
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30000)
        page.wait_for_selector("table.dataTable tbody tr", timeout=30000)
        title = page.title()
        header = page.locator(".lumiwork-report-header").inner_text()
        text = page.locator("body").inner_text()
        bars = page.locator(".js-plotly-plot .bars path, .js-plotly-plot .scatterlayer .point, "
                            ".js-plotly-plot .heatmaplayer image").count()
        sorted_columns = sort_a_numeric_column(page)
        browser.close()
    assert title == TITLES[name]
    assert "Generated" in header and "Server" in header
    if name != "01-getting-started":
        assert "Project Siddhartha" in header
    assert "<LuminosoClient" not in text and "LuminosoClient for" not in text
    assert not re.search(r"\{'\w+': ", text), "a raw dict is shown"
    assert not re.search(r"\b\d+\.\d{5,}\b", text), "an unrounded number is shown"
    assert bars > 0 or name in WITHOUT_CHARTS
    assert sorted_columns, "no table with a numeric column sorted"
    assert blocked == [] and failed == []


def sort_a_numeric_column(page) -> list:
    """Click a numeric column's header in the first table that has one; check
    the rows come back ascending, then descending. Returns what was checked."""
    checked = []
    for table in page.locator("table.dataTable").all():
        headers = [h.strip() for h in table.locator("thead th").all_inner_texts()]
        column = next((i for i, h in enumerate(headers) if h in NUMERIC), None)
        if column is None:
            continue

        def values(table=table, column=column):
            cells = table.locator(f"tbody tr td:nth-child({column + 1})").all_inner_texts()
            return [float(c.replace(",", "")) for c in cells]

        header = table.locator("thead th").nth(column)
        seen = set()
        for _ in range(2):
            before = order_of(header)
            icon = header.locator(".dt-column-order")  # itables orders on the icon only
            (icon if icon.count() else header).click()
            for _ in range(50):  # DataTables redraws on its own schedule
                if order_of(header) not in (before, None):
                    break
                page.wait_for_timeout(100)
            page.wait_for_timeout(200)
            direction = order_of(header)
            shown = values()
            assert shown == sorted(shown, reverse=direction == "descending"), (direction, shown)
            seen.add(direction)
        assert seen == {"ascending", "descending"}
        checked.append(headers[column])
        break
    return checked


def order_of(header) -> str | None:
    """How DataTables says a column is ordered: aria-sort, or its 2.x classes."""
    aria = header.get_attribute("aria-sort")
    if aria in ("ascending", "descending"):
        return aria
    classes = header.get_attribute("class") or ""
    if "dt-ordering-asc" in classes or "sorting_asc" in classes:
        return "ascending"
    if "dt-ordering-desc" in classes or "sorting_desc" in classes:
        return "descending"
    return None
