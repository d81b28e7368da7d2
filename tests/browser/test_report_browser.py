"""`lumiwork report` output opened in headless Chromium with the network cut off."""
import os
import re
import shutil
import subprocess
import sys
from urllib.parse import urlparse

import pytest
from conftest import REPO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(scope="module")
def report(server, demo_project, tmp_path_factory):
    output = tmp_path_factory.mktemp("report") / "document-search.html"
    env = {**os.environ, "LUMIWORK_URL": server.url, "LUMIWORK_TOKEN": server.token}
    result = subprocess.run([sys.executable, "-m", "lumiwork", "report",
                             str(REPO / "notebooks" / "04-document-search.ipynb"), "-o", str(output),
                             "--timeout", "30"],
                            env=env, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return output


def test_report_hides_code_and_embeds_plotly(report):
    html = report.read_text(encoding="utf-8")
    assert "frames.search_documents(" not in html  # inputs hidden
    assert not re.search(r"<script[^>]*\ssrc=[\"']https?:", html)
    assert "application/vnd.jupyter.widget-view+json" not in html
    assert "Plotly.newPlot" in html


def test_report_draws_charts_offline(report):
    from playwright import sync_api as playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: apt-get install chromium"
    failed, blocked = [], []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page()

        def guard(route):
            host = urlparse(route.request.url).hostname
            if route.request.url.startswith(("file:", "data:", "blob:")) or host in ("127.0.0.1", "localhost"):
                route.continue_()
            else:
                blocked.append(route.request.url)
                route.abort()

        page.route("**/*", guard)
        page.on("requestfailed", lambda request: failed.append(request.url))
        page.goto(report.as_uri())
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30000)
        charts = page.locator(".js-plotly-plot").count()
        bars = page.locator(".js-plotly-plot .bars path").count()
        browser.close()
    assert charts >= 1 and bars > 0
    assert blocked == [] and failed == []
