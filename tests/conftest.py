"""Shared fixtures: a real embedded server on a free 127.0.0.1 port, with the
demo project built from ../shared/data/siddhartha.txt; URLs where nothing answers."""
from __future__ import annotations

import os
import socket
import tempfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SIDDHARTHA = REPO.parent / "shared" / "data" / "siddhartha.txt"

# Tests must never touch the developer's own ~/.luminoso or data folder: give
# this run (and the notebook kernels it starts) a home of its own.
_HOME = tempfile.mkdtemp(prefix="lumiwork-test-home-")
os.environ["HOME"] = _HOME
os.environ.pop("XDG_DATA_HOME", None)
os.environ.pop("LUMIWORK_URL", None)
os.environ.pop("LUMIWORK_TOKEN", None)
os.environ["LUMIWORK_SIDDHARTHA"] = str(SIDDHARTHA)
os.environ["LUMIWORK_DATA_DIR"] = os.path.join(_HOME, "lumiwork-data")
# One background-knowledge cache for the many servers of a run (built once, ~3 s).
os.environ["LUMIWORK_BACKGROUND_DIR"] = os.path.join(_HOME, "background")

PASSWORD = "correct horse battery"


def free_port() -> int:
    """A 127.0.0.1 port free at the moment (for servers started as subprocesses)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def siddhartha_path() -> Path:
    if not SIDDHARTHA.is_file():
        pytest.fail(f"the shared Siddhartha text is missing at {SIDDHARTHA}")
    return SIDDHARTHA


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    from lumiwork.server import EmbeddedServer

    srv = EmbeddedServer(tmp_path_factory.mktemp("server-data"), username="analyst@example.com",
                         password=PASSWORD)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def account_client(server):
    from lumiwork.client import LuminosoClient

    return LuminosoClient.connect(f"{server.url}projects/{server.setup.account_id}/",
                                  token=server.token)


@pytest.fixture(scope="session")
def demo_project(account_client, siddhartha_path):
    """Our client on the cookbook's Siddhartha project (built once per run)."""
    from lumiwork.tools.demo import build_demo_project

    return build_demo_project(account_client, text_path=siddhartha_path)


@pytest.fixture(scope="session")
def official_project(server, demo_project):
    """The official luminoso_api v4 client on the demo project."""
    from luminoso_api.v4_client import LuminosoClient

    return LuminosoClient.connect(demo_project.url, username="analyst@example.com",
                                  password=PASSWORD)


@pytest.fixture
def dead_url() -> str:
    """An API root on a 127.0.0.1 port where nothing listens: connections are refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/api/v4/"


@pytest.fixture
def silent_url():
    """An API root whose socket accepts connections (the kernel's backlog does
    that) but never answers a request."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/api/v4/"


@pytest.fixture(scope="session")
def v5_url(server) -> str:
    """The API v5 root of this run's server (the same projects, users and tokens as v4)."""
    return f"http://{server.netloc}/api/v5"


@pytest.fixture(scope="session")
def reviews_project(server, v5_url):
    """The reviews demo (product review sentences with human ratings), uploaded and
    built through the official 3.1.1 client; its project id."""
    from v5client import official

    from lumiwork.datasets import reviews

    client = official().LuminosoClient.connect(v5_url, token=server.token)
    project_id = client.post("projects", name="Product reviews", language="en")["project_id"]
    project = client.client_for_path(f"projects/{project_id}")
    docs = reviews()
    for start in range(0, len(docs), 1000):
        project.post("upload", docs=docs[start:start + 1000])
    project.post("build")
    project.wait_for_build(interval=0.2)
    return project_id
