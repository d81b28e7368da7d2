"""`lumiwork lab` from a built wheel: build it, install it into a fresh venv
(dependencies come from this environment's site-packages, since the test runs
offline), and start `lumiwork lab` from there on ports of its own."""
import os
import shutil
import signal
import subprocess
import sys
import sysconfig
import time
import zipfile

import requests
from conftest import REPO, free_port

JUPYTER_TOKEN = "lumiwork-wheel-test"


def test_lab_runs_from_an_installed_wheel(tmp_path, siddhartha_path):
    source = tmp_path / "src"  # a clean copy: building must not write into the checkout
    shutil.copytree(REPO, source, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", "build", "dist", ".ipynb_checkpoints"))
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path / "dist"),
                            str(source)], capture_output=True, text=True, timeout=300)
    assert built.returncode == 0, built.stderr[-3000:]
    wheel = next((tmp_path / "dist").glob("lumiwork-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    notebooks = REPO / "lumiwork" / "notebooks"
    shipped = {n.removeprefix("lumiwork/notebooks/") for n in names
               if n.startswith("lumiwork/notebooks/") and n.endswith(".ipynb")}
    # the notebooks and the example dashboards (notebooks/dashboards/)
    assert shipped == {str(path.relative_to(notebooks)) for path in notebooks.rglob("*.ipynb")
                       if ".ipynb_checkpoints" not in path.parts}
    assert "share/template/index.html.j2" in {n.removeprefix("lumiwork/") for n in names}  # the dashboards' template

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    python = venv / "bin" / "python"
    purelib = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    # dependencies: this environment's packages, after the venv's own (so the wheel's lumiwork wins)
    ours = sysconfig.get_paths()["purelib"]
    with open(os.path.join(purelib, "zz-lumiwork-test-deps.pth"), "w") as pth:
        pth.write(f"import site; site.addsitedir({ours!r})\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "LUMIWORK_URL", "LUMIWORK_TOKEN")}
    installed = subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)],
                               capture_output=True, text=True, timeout=300, env=env)
    assert installed.returncode == 0, installed.stderr[-3000:]
    where = subprocess.run([python, "-c", "import lumiwork.tools.lab as l; print(l.NOTEBOOKS)"], env=env, cwd=tmp_path,
                           capture_output=True, text=True, check=True).stdout.strip()
    assert where.startswith(purelib), where

    lab_port, api_port = free_port(), free_port()
    work = tmp_path / "my notebooks"
    env.update(JUPYTER_TOKEN=JUPYTER_TOKEN, LUMIWORK_SIDDHARTHA=str(siddhartha_path),
               LUMIWORK_DATA_DIR=str(tmp_path / "data"))
    process = subprocess.Popen([venv / "bin" / "lumiwork", "lab", "--no-browser", "--port", str(lab_port),
                                "--api-port", str(api_port), "--notebook-dir", str(work)],
                               env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while True:
            assert process.poll() is None, process.stdout.read().decode()[-3000:]
            assert time.monotonic() < deadline, "JupyterLab did not answer within 240 s"
            try:
                if requests.get(f"http://127.0.0.1:{lab_port}/api/status?token={JUPYTER_TOKEN}", timeout=2).ok:
                    break
            except requests.ConnectionError:
                time.sleep(0.5)
        assert sorted(p.name for p in work.glob("*.ipynb"))[0] == "01-getting-started.ipynb"
        assert len(list(work.glob("*.ipynb"))) == len([n for n in shipped if "/" not in n])  # the notebooks
        assert requests.get(f"http://127.0.0.1:{api_port}/api/v4/ping/", timeout=5).json()["result"] == "pong"
        listed = requests.get(f"http://127.0.0.1:{lab_port}/api/contents?token={JUPYTER_TOKEN}", timeout=10).json()
        assert "04-document-search.ipynb" in {item["name"] for item in listed["content"]}
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=60)
