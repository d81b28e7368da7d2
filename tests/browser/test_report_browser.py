"""Every notebook's `lumiwork report` opened in headless Chromium with the network
cut off: charts draw, the title and header are there, no object reprs, and the
tables sort. The reports are written apart from the notebooks, as `-o` allows:
their links still open, plotly.js is in each once, and in print the charts of
notebooks 04 and 05 keep their height and their tables fit the page."""
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from browsers import launch
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
TITLES = {"01-getting-started": "Getting started", "02-topics": "Topics",
          "03-terms": "Top terms, related terms and the ignore list", "04-document-search": "Document search",
          "05-statistics": "Topic statistics and text correlation",
          "06-subset-vectors": "Subset vectors: a snapshot of the book", "07-accounts": "Accounts and usage",
          "08-compass-classifiers": "Compass classifiers on Siddhartha", "09-compass-stream": "A message stream",
          "10-v5-concepts": "Concepts in product reviews (API v5)", "11-v5-sentiment": "Sentiment of concepts (API v5)",
          "12-v5-score-drivers": "Score drivers (API v5)", "13-share": "Share a dashboard with colleagues"}
WITHOUT_CHARTS = ("01-getting-started", "13-share")
NUMERIC = ("score", "correlation", "mean", "count", "document_count", "zscore", "match_count", "impact", "views")


@pytest.fixture(scope="module")
def reports(server, demo_project, reviews_project, tmp_path_factory):
    folder = tmp_path_factory.mktemp("reports")
    notebooks = shutil.copytree(REPO / "notebooks", folder / "notebooks",
                                ignore=shutil.ignore_patterns("exports", ".ipynb_checkpoints"))
    env = {**os.environ, "LUMIWORK_URL": server.url, "LUMIWORK_TOKEN": server.token}
    built = {}
    for notebook in NOTEBOOKS:
        output = folder / "reports" / f"{notebook.stem}.html"
        result = subprocess.run([sys.executable, "-m", "lumiwork", "report", str(notebooks / notebook.name),
                                 "-o", str(output), "--timeout", "60"],
                                env=env, capture_output=True, text=True, timeout=300)
        assert result.returncode == 0, result.stderr[-3000:]
        assert "WARNING" not in result.stderr and "without encryption" not in result.stderr, result.stderr
        built[notebook.stem] = output
    return built


def test_reports_hide_code_and_embed_everything_once(reports):
    for name, output in reports.items():
        html = output.read_text(encoding="utf-8")
        assert "project = lumiwork.connect(" not in html and "import lumiwork" not in html  # inputs hidden
        assert not re.search(r"<script[^>]*\ssrc=[\"']https?:", html)
        assert "application/vnd.jupyter.widget-view+json" not in html
        copies = len(re.findall(r"\* plotly\.js v\d", html))
        assert copies == (1 if "Plotly.newPlot(" in html else 0), (name, copies)  # none without a chart
        assert "<b>Server</b>" not in html  # this machine's server means nothing to a reader


def test_export_links_open_beside_a_report_written_elsewhere(reports):
    """05 writes its exports beside the notebook; the report is in another folder,
    and its links lead to copies that travel with it."""
    report = reports["05-statistics"]
    links = [href for tag in re.findall(r"<a\s[^>]*>", report.read_text(encoding="utf-8"))
             if "lumiwork-download" in tag for href in re.findall(r"href=[\"']([^\"']+)", tag)]
    assert sorted(Path(link).name for link in links) == ["topic-subset-corrs.csv", "topic-subset-corrs.xlsx"]
    exports = report.parent.parent / "notebooks" / "exports"
    for link in links:
        target = report.parent / unquote(link)
        assert target.is_file() and target.read_bytes() == (exports / target.name).read_bytes(), link


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
    assert "Generated" in header and "Server" not in header
    for internal in ("__all__", ".all", "UNCLASSIFIED", "|en", "False", "NaN", "Topic(", "as it was left"):
        assert internal not in text, internal
    if "-v5-" in name:
        assert "Project Product reviews" in header
    elif name != "01-getting-started":
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
    for _ in range(150):  # DataTables makes each table its own in turn, after the page loads
        found = [(table, [h.strip() for h in table.locator("thead th").all_inner_texts()])
                 for table in page.locator("table.dataTable").all()]
        if any(h in NUMERIC for _, headers in found for h in headers):
            break
        page.wait_for_timeout(200)
    for table, headers in found:
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


PRINT_WIDTH = 718  # CSS pixels across an A4 page within the report's 10 mm side margins

MEASURE_CHARTS = """() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(plot => {
    const box = plot.getBoundingClientRect(), svg = plot.querySelector('svg.main-svg');
    let bottom = box.bottom, right = box.right;  // what no clipping ancestor cuts off
    for (let up = plot.parentElement; up; up = up.parentElement) {
        const style = getComputedStyle(up);
        if (style.overflowX !== 'visible' || style.overflowY !== 'visible') {
            const clip = up.getBoundingClientRect();
            bottom = Math.min(bottom, clip.bottom); right = Math.min(right, clip.right);
        }
    }
    return {svg: [Number(svg.getAttribute('width')), Number(svg.getAttribute('height'))],
            shown: [right - box.left, bottom - box.top], right: box.right};
})"""

MEASURE_TABLES = """() => Array.from(document.querySelectorAll('table.dataTable')).map(table => ({
    right: table.getBoundingClientRect().right, overflow: table.scrollWidth - table.clientWidth,
    rows: table.querySelectorAll('tbody tr').length,
    controls: Array.from(table.closest('.dt-container')
        .querySelectorAll('.dt-buttons, .dt-search, .dt-paging, .dt-info'))
        .filter(control => control.getClientRects().length > 0).length}))"""

PAGE_BY_FIVE = """async () => {  // a reader shows five rows a page in every table
    const module = await window[Object.keys(window).find(name => name.startsWith('_itables_'))];
    return Array.from(document.querySelectorAll('table.dataTable')).map(table => {
        const api = module.jQuery(table).DataTable();
        api.page.len(5).draw(false);
        return api.rows().count();
    });
}"""


@pytest.mark.parametrize("name", ["04-document-search", "05-statistics"])
def test_in_print_charts_keep_their_height_and_tables_fit_the_page(reports, name):
    """Printing as Chromium does: the page, drawn for a 1300 px screen, gets
    beforeprint, then print media at an A4 page's width. Every chart is shown
    whole (its full height, scaled to the page), without a redraw (a redraw while
    printing is what cut charts to their top 150 px); every table fits the page
    with all its rows and without its buttons, search box and pagination."""
    from playwright import sync_api as playwright

    with playwright.sync_playwright() as p:
        browser, page, blocked, failed = open_offline(p, reports[name])
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30000)
        page.wait_for_selector("table.dataTable tbody tr", timeout=30000)
        on_screen = page.evaluate(MEASURE_CHARTS)
        rows = page.evaluate(PAGE_BY_FIVE)
        page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
        page.emulate_media(media="print")
        page.set_viewport_size({"width": PRINT_WIDTH, "height": 1000})
        page.wait_for_timeout(500)  # time for a redraw, were one started
        printed = page.evaluate(MEASURE_CHARTS)
        tables = page.evaluate(MEASURE_TABLES)
        browser.close()
    assert len(printed) == len(on_screen) >= 2
    for before, after in zip(on_screen, printed):
        assert after["svg"] == before["svg"], "the chart was redrawn for print"
        scale = after["shown"][0] / after["svg"][0]
        assert after["right"] <= PRINT_WIDTH + 1 and 0.5 < scale <= 1.01, after
        assert abs(after["shown"][1] - after["svg"][1] * scale) <= 2, ("cut off", after)
    assert len(tables) == len(rows) >= 1
    for table, count in zip(tables, rows):
        assert table["right"] <= PRINT_WIDTH + 1 and table["overflow"] <= 0, table
        assert table["rows"] == count and table["controls"] == 0, (table, count)
    assert blocked == [] and failed == []


def test_the_vector_map_labels_stay_apart_and_inside_the_plot(reports):
    """Notebook 06's map of chapters and topics, drawn at an A4 page's width:
    no label covers another, and none runs past the plot's edge."""
    from playwright import sync_api as playwright

    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": PRINT_WIDTH, "height": 1000})
        page.goto(reports["06-subset-vectors"].as_uri())
        page.wait_for_selector(".js-plotly-plot .textpoint text", timeout=30000)
        chart = page.locator(".js-plotly-plot").first
        area = chart.locator(".draglayer .nsewdrag").bounding_box()
        labels = [(text.text_content(), text.bounding_box()) for text in chart.locator(".textpoint text").all()]
        browser.close()
    assert len(labels) == 16 and area
    for i, (label, box) in enumerate(labels):
        assert box["x"] >= area["x"] - 1 and box["x"] + box["width"] <= area["x"] + area["width"] + 1, label
        assert box["y"] >= area["y"] - 1 and box["y"] + box["height"] <= area["y"] + area["height"] + 1, label
        for other, seen in labels[:i]:
            apart = (box["x"] + box["width"] <= seen["x"] or seen["x"] + seen["width"] <= box["x"]
                     or box["y"] + box["height"] <= seen["y"] or seen["y"] + seen["height"] <= box["y"])
            assert apart, (label, other)
