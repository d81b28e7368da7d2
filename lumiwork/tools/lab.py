"""`lumiwork lab`: the embedded server, the demo project, and JupyterLab on the
cookbook notebooks, copied (once) into a working folder of your own.

Settings are read once, checked, and their paths made absolute here, then
handed to JupyterLab and through it to every notebook kernel: a relative
LUMIWORK_SIDDHARTHA means the same file in the kernels as where `lumiwork lab`
was started. Everything `lumiwork lab` starts stops with it: JupyterLab (which
shuts its kernels down) and the embedded server.
"""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

from ..client.errors import LuminosoError
from ..settings import Settings
from ..wire.names import DEFAULT_PORT, local_url
from ..wire.tokens import token_file_path
from .datasets import DatasetError

# Shipped inside the package (package data), so a wheel install has them too.
NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
# How long JupyterLab may take to shut its kernels down before it is killed.
STOP_SECONDS = 15


def default_working_folder() -> Path:
    """$LUMIWORK_NOTEBOOKS, else ~/lumiwork-notebooks."""
    return Settings.from_environment().notebooks


def copy_notebooks(target: str | Path, source: Path = NOTEBOOKS) -> list[Path]:
    """Copy the cookbook notebooks into `target` (created if needed), leaving any
    notebook already there alone (it may hold your edits); returns the new copies."""
    target = Path(target)
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise FileNotFoundError(f"the cookbook notebooks are missing from {source}; reinstall lumiwork")
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for notebook in notebooks:
        destination = target / notebook.name
        if not destination.exists():
            shutil.copyfile(notebook, destination)
            copied.append(destination)
    return copied


def login_lines(setup, url: str) -> list[str]:
    """How to log in to the server `lumiwork lab` started: the user, the
    password the first time (generated and shown once), the account, and
    where the token is saved."""
    lines = [f"Log in at {url} as {setup.username}; your account id is {setup.account_id} "
             f"(`lumiwork upload FILE {setup.account_id} NAME`)."]
    if setup.created and setup.password:
        lines.append(f"Generated password (shown once, keep it): {setup.password}")
    elif setup.created:
        lines.append("The password is the one given by --password or LUMIWORK_PASSWORD.")
    lines.append(f"A token for this server is saved in {token_file_path()}: lumiwork and the official "
                 "clients use it without a password.")
    return lines


def run_lab(no_browser: bool = False, lab_port: int | None = None,
            notebook_dir: str | Path | None = None, api_port: int = DEFAULT_PORT,
            settings: Settings | None = None) -> int:
    import lumiwork

    from .demo import build_demo_project

    settings = settings or Settings.from_environment().validate().absolute()
    folder = Path(notebook_dir).absolute() if notebook_dir else settings.notebooks
    copied = copy_notebooks(folder)
    if copied:
        print(f"Copied {len(copied)} cookbook notebooks into {folder}", flush=True)
    url = settings.url or lumiwork.local_server_url(api_port, settings)
    embedded = lumiwork.embedded_server()
    if embedded is not None:
        for line in login_lines(embedded.setup, embedded.url):
            print(line, flush=True)
    try:
        account = lumiwork.connect(url=url, token=settings.token)
        print("Preparing the Siddhartha demo project...", flush=True)
        try:
            build_demo_project(account, text_path=settings.siddhartha, progress=True)
        except (DatasetError, LuminosoError) as exc:  # JupyterLab opens all the same
            print(f"lumiwork: the demo project was not built: {exc}", flush=True)
        root = account.root_url + "/"
        environment = settings.replace(LUMIWORK_URL=root).environment()
        print(f"API server: {root}  notebooks: {folder}", flush=True)
        return run_jupyterlab(folder, environment, no_browser, lab_port)
    finally:
        if embedded is not None:
            embedded.stop()


def run_jupyterlab(folder: Path, environment: dict[str, str], no_browser: bool, port: int | None) -> int:
    """JupyterLab on `folder` until it ends or this process is interrupted; then
    JupyterLab is stopped (SIGTERM: it shuts its kernels down) and, if it
    hangs, killed."""
    # Voila (installed for dashboards) enables its server extension in every
    # JupyterLab of the environment; dashboards are served by the share front only.
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={folder}",
               "--ServerApp.jpserver_extensions={'voila.server_extension': False}"]
    if no_browser:
        command.append("--no-browser")
    if port:
        command.append(f"--port={port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers often run as root; Jupyter refuses otherwise
    # Its own session: Ctrl-C reaches this process only, which then stops
    # JupyterLab without its "Shutdown this Jupyter server (y/[n])?" prompt.
    process = subprocess.Popen(command, env=environment, start_new_session=True)
    try:
        return process.wait()
    except KeyboardInterrupt:
        print("Stopping JupyterLab and its kernels...", flush=True)
        return 130
    finally:
        stop_process_group(process)


def stop_process_group(process: subprocess.Popen) -> None:
    """SIGTERM a process (and its group), then SIGKILL it if it has not ended
    within STOP_SECONDS."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(STOP_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    except ProcessLookupError:
        pass


__all__ = ["NOTEBOOKS", "copy_notebooks", "default_working_folder", "local_url", "login_lines", "run_lab"]
