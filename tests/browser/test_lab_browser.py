"""`lumiwork lab --no-browser` serves JupyterLab; headless Chromium opens a
notebook, runs it, and finds a widget and a plotly chart on the page."""
import pytest
from browsers import launch, run_all, running_lab


@pytest.fixture
def lab(server, demo_project, tmp_path):
    with running_lab(server, tmp_path) as url:
        yield url


def test_lab_runs_a_notebook_with_widget_and_chart(lab):
    from playwright import sync_api as playwright

    with playwright.sync_playwright() as p:
        browser = launch(p)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        run_all(page, lab, "03-terms.ipynb")
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
        page.wait_for_selector(".jupyter-widgets input[type='text'], .widget-text input",
                               timeout=60_000)
        charts = page.locator(".js-plotly-plot").count()
        browser.close()
    assert charts >= 1
