"""Each notebook runs top to bottom under nbval, as its own test, against this
run's server; the kernels find it through LUMIWORK_URL and LUMIWORK_TOKEN (and
LUMIWORK_COMPASS_URL / LUMIWORK_COMPASS_TOKEN for the Compass notebooks; the
API v5 notebooks find API v5 beside LUMIWORK_URL, and the reviews demo the
session has built)."""
import os
import subprocess
import sys

import pytest
from conftest import REPO

NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_under_nbval(notebook, server, demo_project, request):
    if "-v5-" in notebook.name:
        request.getfixturevalue("reviews_project")
    env = {**os.environ, "LUMIWORK_URL": server.url, "LUMIWORK_TOKEN": server.token,
           # Compass shares the server, its users and its tokens
           "LUMIWORK_COMPASS_URL": server.url.replace("/api/v4/", "/compass/api/"),
           "LUMIWORK_COMPASS_TOKEN": server.token}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-q", "-p", "no:cacheprovider",
         str(notebook)],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=600, check=False)
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout
