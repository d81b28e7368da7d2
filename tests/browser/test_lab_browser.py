"""`lumiwork lab --no-browser` serves JupyterLab; headless Chromium opens a
notebook, runs it, and finds a widget and a plotly chart on the page."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests
from conftest import REPO

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
JUPYTER_TOKEN = "lumiwork-browser-test"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def lab(server, demo_project, tmp_path):
    # a copy, so that JupyterLab's autosave never writes outputs into the repository
    notebooks = shutil.copytree(REPO / "notebooks", tmp_path / "notebooks",
                                ignore=shutil.ignore_patterns("exports", ".ipynb_checkpoints"))
    port = free_port()
    env = {**os.environ, "LUMIWORK_URL": server.url, "LUMIWORK_TOKEN": server.token,
           "JUPYTER_TOKEN": JUPYTER_TOKEN}
    process = subprocess.Popen([sys.executable, "-m", "lumiwork", "lab", "--no-browser",
                                "--port", str(port), "--notebook-dir", str(notebooks)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/api/status?token={JUPYTER_TOKEN}", timeout=2).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.5)
        assert process.poll() is None, process.stdout.read().decode()[-3000:]
    yield url
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=60)


def test_lab_runs_a_notebook_with_widget_and_chart(lab):
    from playwright import sync_api as playwright

    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: apt-get install chromium"
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{lab}/lab/tree/03-terms.ipynb?token={JUPYTER_TOKEN}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        # the kernel has started once the status bar says so
        page.wait_for_selector("text=Python 3 (ipykernel) | Idle", timeout=120_000)
        page.click("li.lm-MenuBar-item:has-text('Run')")
        page.click("li.lm-Menu-item:has-text('Run All Cells')")
        page.wait_for_selector(".js-plotly-plot .main-svg", timeout=120_000)
        page.wait_for_selector(".jupyter-widgets input[type='text'], .widget-text input",
                               timeout=60_000)
        charts = page.locator(".js-plotly-plot").count()
        browser.close()
    assert charts >= 1
