"""Every notebook runs top to bottom under nbval against this run's server; the
kernels find it through LUMIWORK_URL and LUMIWORK_TOKEN."""
import os
import subprocess
import sys

from conftest import REPO


def test_notebooks_run_under_nbval(server, demo_project):
    env = {**os.environ, "LUMIWORK_URL": server.url, "LUMIWORK_TOKEN": server.token}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
         str(REPO / "notebooks")],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
