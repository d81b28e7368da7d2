"""`lumiwork lab`: the embedded server, the demo project, and JupyterLab on the
cookbook notebooks, copied (once) into a working folder of your own."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from .config import DEFAULT_PORT, local_url

# Shipped inside the package (package data), so a wheel install has them too.
NOTEBOOKS = Path(__file__).resolve().parent / "notebooks"


def default_working_folder() -> Path:
    """$LUMIWORK_NOTEBOOKS, else ~/lumiwork-notebooks."""
    return Path(os.environ.get("LUMIWORK_NOTEBOOKS") or Path.home() / "lumiwork-notebooks")


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


def run_lab(no_browser: bool = False, lab_port: int | None = None,
            notebook_dir: str | Path | None = None, api_port: int = DEFAULT_PORT) -> int:
    import lumiwork

    from .demo import build_demo_project

    folder = Path(notebook_dir) if notebook_dir else default_working_folder()
    copied = copy_notebooks(folder)
    if copied:
        print(f"Copied {len(copied)} cookbook notebooks into {folder}", flush=True)
    url = os.environ.get("LUMIWORK_URL") or lumiwork.local_server_url(api_port)
    # starts the embedded server here if none is running on api_port
    account = lumiwork.connect(url=url)
    print("Preparing the Siddhartha demo project...", flush=True)
    build_demo_project(account, progress=True)
    root = account.root_url + "/"
    env = {**os.environ, "LUMIWORK_URL": root}
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={folder}"]
    if no_browser:
        command.append("--no-browser")
    if lab_port:
        command.append(f"--port={lab_port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers often run as root; Jupyter refuses otherwise
    print(f"API server: {root}  notebooks: {folder}", flush=True)
    return subprocess.call(command, env=env)


__all__ = ["NOTEBOOKS", "copy_notebooks", "default_working_folder", "local_url", "run_lab"]
