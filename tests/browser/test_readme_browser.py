"""The README's first command, followed as a newcomer would: the relative
LUMIWORK_SIDDHARTHA it suggests, then `.venv/bin/lumiwork lab` from the
checkout, in a home of its own (no server, no token, no notebooks yet). Headless
Chromium then runs notebooks 01, 08 and 09 in that JupyterLab: no traceback
anywhere. Without the text and with no network, the notebook shows one line
saying what to do. Stopping `lumiwork lab` stops JupyterLab, its kernels and the
server it started."""
from __future__ import annotations

import os
import signal
import subprocess

import psutil
import pytest
import requests
from browsers import JUPYTER_TOKEN, launch, run_all, wait_for_jupyter
from conftest import REPO, free_port

# The README's own words: "Beside this checkout, export LUMIWORK_SIDDHARTHA=../shared/data/siddhartha.txt"
README_SIDDHARTHA = "../shared/data/siddhartha.txt"
LUMIWORK = REPO / ".venv" / "bin" / "lumiwork"


def readme_environment(home, **changes) -> dict[str, str]:
    """This run's environment as a newcomer's shell has it: a home of its own and
    the README's one setting (the background cache of the test run is kept, to
    save building it again)."""
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith("LUMIWORK_") or name == "LUMIWORK_BACKGROUND_DIR"}
    environment.update(HOME=str(home), JUPYTER_TOKEN=JUPYTER_TOKEN, LUMIWORK_SIDDHARTHA=README_SIDDHARTHA)
    for name, value in changes.items():
        if value is None:
            environment.pop(name, None)
        else:
            environment[name] = value
    return environment


class Lab:
    """`lumiwork lab` started as the README says, with the ports a test needs."""

    def __init__(self, environment: dict[str, str]):
        self.port, self.api_port = free_port(), free_port()
        self.process = subprocess.Popen(
            [str(LUMIWORK), "lab", "--no-browser", "--port", str(self.port), "--api-port", str(self.api_port)],
            cwd=REPO, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.url = f"http://127.0.0.1:{self.port}"
        self.output: list[str] = []

    def processes(self) -> list[psutil.Process]:
        """Everything `lumiwork lab` started: JupyterLab and its kernels (in sessions of their own)."""
        return psutil.Process(self.process.pid).children(recursive=True)

    def interrupt(self) -> str:
        """Ctrl-C, as a user stops it; its output."""
        self.process.send_signal(signal.SIGINT)
        out, _ = self.process.communicate(timeout=90)
        return out


def run_notebook(page, url: str, name: str) -> str:
    """Open a notebook, run every cell, wait until all have run; the page's text."""
    run_all(page, url, name, workspace=name.split(".")[0])
    # every cell has run (its prompt shows a number), or one failed (the rest never will)
    from playwright.sync_api import TimeoutError as PageTimeout

    try:
        page.wait_for_function(
        """() => {
            const prompts = [...document.querySelectorAll(
                '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')].map(p => p.textContent);
            const failed = document.querySelector(
                ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']");
            return failed || (prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p)));
        }""", timeout=240_000)
    except PageTimeout:
        prompts = [p.text_content() for p in page.query_selector_all(".jp-CodeCell .jp-InputPrompt")]
        pytest.fail(f"{name} did not finish: prompts {prompts}\n{page.inner_text('.jp-Notebook')[-2000:]}")
    return page.inner_text(".jp-Notebook")


def test_the_readme_command_runs_the_notebooks_and_stops_everything(tmp_path):
    from playwright import sync_api as playwright

    lab = Lab(readme_environment(tmp_path / "home"))
    try:
        wait_for_jupyter(lab.url, lab.process, 240)
        with playwright.sync_playwright() as p:
            browser = launch(p)
            texts, errors = {}, {}
            for name in ("01-getting-started.ipynb", "08-compass-classifiers.ipynb", "09-compass-stream.ipynb"):
                page = browser.new_page(viewport={"width": 1400, "height": 1000})
                texts[name] = run_notebook(page, lab.url, name)
                errors[name] = page.locator(".jp-OutputArea-output[data-mime-type="
                                            "'application/vnd.jupyter.error']").count()
            browser.close()
        for name, text in texts.items():
            assert "Traceback" not in text and "Error" not in text, (name, text[-2000:])
        assert errors == dict.fromkeys(texts, 0), errors
        started = lab.processes()
        assert started, "JupyterLab and its kernels run as children of lumiwork lab"
    finally:
        out = lab.interrupt()
    assert "Log in at http://127.0.0.1:" in out and "as analyst@localhost" in out, out[-3000:]
    assert "Generated password (shown once, keep it):" in out and "your account id is" in out
    assert "Traceback" not in out, out[-3000:]
    gone = psutil.wait_procs(started, timeout=30)[1] == []
    assert gone, [p.cmdline() for p in started if p.is_running()]
    with pytest.raises(requests.ConnectionError):
        requests.get(f"http://127.0.0.1:{lab.api_port}/api/v4/ping/", timeout=2)


def test_without_the_text_and_without_network_the_notebook_says_what_to_do(tmp_path):
    from playwright import sync_api as playwright

    nowhere = "http://127.0.0.1:9"  # no proxy listens there: every download fails at once
    environment = readme_environment(tmp_path / "home", LUMIWORK_SIDDHARTHA=None,
                                     http_proxy=nowhere, https_proxy=nowhere, HTTP_PROXY=nowhere,
                                     HTTPS_PROXY=nowhere, no_proxy="127.0.0.1,localhost")
    lab = Lab(environment)
    try:
        wait_for_jupyter(lab.url, lab.process, 240)
        with playwright.sync_playwright() as p:
            browser = launch(p)
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            run_all(page, lab.url, "01-getting-started.ipynb", workspace="offline")
            error = page.wait_for_selector("text=DatasetError", timeout=180_000)
            shown = error.evaluate("node => node.closest('.jp-OutputArea-output').innerText")
            text = page.inner_text(".jp-Notebook")
            browser.close()
    finally:
        out = lab.interrupt()
    lines = [line for line in shown.splitlines() if line.strip()]
    assert len(lines) == 1 and "was not found" in lines[0] and "LUMIWORK_SIDDHARTHA" in lines[0], shown
    assert "Traceback" not in text and "NameResolutionError" not in text and "urllib3" not in text
    assert "the demo project was not built" in out and "Traceback" not in out, out[-3000:]
