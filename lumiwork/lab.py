"""`lumiwork lab`: the embedded server, the demo project, and JupyterLab on the notebooks."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"


def run_lab(no_browser: bool = False, lab_port: int | None = None,
            notebook_dir: str | Path | None = None) -> int:
    import lumiwork

    from .demo import build_demo_project

    notebooks = Path(notebook_dir) if notebook_dir else NOTEBOOKS
    if not notebooks.is_dir():
        raise FileNotFoundError(f"the notebooks folder is missing ({notebooks}); "
                                "install lumiwork from a checkout with `pip install -e .`")
    account = lumiwork.connect()  # starts the embedded server here if none is running
    print("Preparing the Siddhartha demo project...", flush=True)
    build_demo_project(account, progress=True)
    root = account.root_url + "/"
    env = {**os.environ, "LUMIWORK_URL": root}
    command = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={notebooks}"]
    if no_browser:
        command.append("--no-browser")
    if lab_port:
        command.append(f"--port={lab_port}")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")  # containers often run as root; Jupyter refuses otherwise
    print(f"API server: {root}  notebooks: {notebooks}", flush=True)
    return subprocess.call(command, env=env)
