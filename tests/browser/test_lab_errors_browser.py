"""Errors as an analyst meets them in JupyterLab (headless Chromium): an unknown
word in a panel gives its message in place of the chart, and when the server
stops, the panel shows the one-line error and its old chart is gone."""

import pytest
from browsers import launch, run_all, running_lab
from conftest import SIDDHARTHA

from lumiwork.client import LuminosoClient
from lumiwork.server import EmbeddedServer
from lumiwork.tools.demo import build_demo_project


@pytest.fixture
def own_server(tmp_path):
    """A server of this test's own, since the test stops it."""
    server = EmbeddedServer(tmp_path / "data", token_file=tmp_path / "tokens.json",
                            password="lab errors password")
    account = LuminosoClient.connect(f"{server.url}projects/{server.setup.account_id}/", token=server.token)
    build_demo_project(account, text_path=SIDDHARTHA)
    yield server
    server.stop()


@pytest.fixture
def lab(own_server, tmp_path):
    with running_lab(own_server, tmp_path) as url:
        yield url


def test_unknown_word_and_stopped_server_in_a_panel(lab, own_server):
    from playwright import sync_api as playwright

    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        run_all(page, lab, "03-terms.ipynb")
        panel = page.locator(".jp-Cell").last.locator(".jp-Cell-outputArea")
        query = panel.locator("input[type='text']").first
        query.wait_for(timeout=120_000)
        panel.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=60_000)

        def ask(text: str) -> None:
            query.fill(text)
            query.press("Enter")  # the box updates on Enter or leaving it, not per keystroke

        def charts_once_settled() -> int:
            """Charts left in the panel, after the browser has applied the kernel's updates."""
            for _ in range(50):
                if panel.locator(".js-plotly-plot").count() == 0:
                    return 0
                page.wait_for_timeout(200)
            return panel.locator(".js-plotly-plot").count()

        ask("xqzvykw")
        panel.locator("text=xqzvykw").first.wait_for(timeout=30_000)
        unknown = panel.inner_text()
        charts_after_unknown = charts_once_settled()

        ask("ferryman")
        panel.locator(".js-plotly-plot .main-svg").first.wait_for(timeout=30_000)

        own_server.stop()
        ask("water")
        panel.locator("text=cannot reach").first.wait_for(timeout=60_000)
        down = panel.inner_text()
        charts_after_down = charts_once_settled()
        browser.close()
    assert "not known" in unknown and "Traceback" not in unknown
    assert charts_after_unknown == 0
    line = next(line for line in down.splitlines() if "cannot reach" in line)
    assert own_server.url in line and "lumiwork serve" in line and "Traceback" not in down
    assert charts_after_down == 0
