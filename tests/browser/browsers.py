"""What the browser tests share: Debian's Chromium, and `lumiwork lab` running on a
copy of the notebooks against a given server."""
from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import requests
from conftest import REPO, free_port

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
JUPYTER_TOKEN = "lumiwork-browser-test"


def launch(p):
    """Headless Debian Chromium through Playwright (its own download does not work here)."""
    assert os.path.exists(CHROMIUM), "Debian's chromium is missing: apt-get install chromium"
    return p.chromium.launch(executable_path=CHROMIUM, args=[
        "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"])


def wait_for_jupyter(url: str, process: subprocess.Popen, seconds: float = 180) -> None:
    """Until JupyterLab at `url` answers; fails with the process's output if it ends first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(f"{url}/api/status?token={JUPYTER_TOKEN}", timeout=2).ok:
                return
        except requests.ConnectionError:
            time.sleep(0.5)
        if process.poll() is not None:
            output = process.stdout.read() if process.stdout else ""
            raise AssertionError(output[-3000:] if isinstance(output, str) else output.decode()[-3000:])
    raise AssertionError(f"JupyterLab did not answer at {url} within {seconds:g} s")


def run_all(page, url: str, notebook: str, workspace: str | None = None) -> None:
    """Open a notebook (in a fresh workspace of that name, if given: JupyterLab
    reopens whatever a workspace had open) and start Run All Cells once its
    kernel is idle."""
    where = f"workspaces/{workspace}/tree/{notebook}?reset&" if workspace else f"tree/{notebook}?"
    page.goto(f"{url}/lab/{where}token={JUPYTER_TOKEN}")
    page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
    page.wait_for_selector("text=Python 3 (ipykernel) | Idle", timeout=120_000)
    page.click("li.lm-MenuBar-item:has-text('Run')")
    page.click("li.lm-Menu-item:has-text('Run All Cells')")


@contextlib.contextmanager
def running_lab(server, folder: Path):
    """`lumiwork lab --no-browser` on a copy of the notebooks in `folder`, its kernels
    pointed at `server`; yields JupyterLab's URL."""
    # a copy, so that JupyterLab's autosave never writes outputs into the repository
    notebooks = shutil.copytree(REPO / "notebooks", folder / "notebooks",
                                ignore=shutil.ignore_patterns("exports", ".ipynb_checkpoints"))
    port = free_port()
    env = {**os.environ, "LUMIWORK_URL": server.url, "LUMIWORK_TOKEN": server.token,
           "JUPYTER_TOKEN": JUPYTER_TOKEN}
    process = subprocess.Popen([sys.executable, "-m", "lumiwork", "lab", "--no-browser",
                                "--port", str(port), "--notebook-dir", str(notebooks)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    wait_for_jupyter(url, process)
    try:
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
