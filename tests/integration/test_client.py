"""Our client against the embedded server: errors, timeouts, retries, uploads."""
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import lumiwork
from lumiwork.client import (LuminosoAuthError, LuminosoClient, LuminosoClientError,
                             LuminosoError, LuminosoLoginError, LuminosoTimeoutError)


class FlakyHandler(BaseHTTPRequestHandler):
    """Answers 429 to the first `fail_first` requests, then a valid result; a
    path containing 'slow' waits before answering."""

    def do_GET(self):
        server = self.server
        server.requests += 1
        if "slow" in self.path:
            server.release.wait(5)
        if server.requests <= server.fail_first:
            self.send_response(429)
            self.send_header("Retry-After", "0")
            body = {"result": None, "error": {"code": "RATE_LIMITED", "message": "slow down"}}
        else:
            self.send_response(200)
            body = {"result": "pong", "error": None}
        data = json.dumps(body).encode()
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_POST = do_GET

    def log_message(self, *args):
        pass


@pytest.fixture
def flaky():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), FlakyHandler)
    httpd.requests, httpd.fail_first, httpd.release = 0, 2, threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.release.set()
    httpd.shutdown()


def flaky_client(httpd, **kwargs):
    return LuminosoClient.connect(f"http://127.0.0.1:{httpd.server_port}/api/v4/", token="t", **kwargs)


def test_retries_429_for_get(flaky):
    assert flaky_client(flaky).get("ping") == "pong"
    assert flaky.requests == 3


def test_never_retries_a_post(flaky):
    with pytest.raises(LuminosoError) as info:
        flaky_client(flaky).post("ping")
    assert info.value.status == 429 and info.value.code == "RATE_LIMITED"
    assert flaky.requests == 1


def test_timeout(flaky):
    with pytest.raises(LuminosoTimeoutError):
        flaky_client(flaky, timeout=0.3).get("slow")


def test_error_classes_carry_code_and_message(server, demo_project):
    with pytest.raises(LuminosoLoginError) as login:
        LuminosoClient.connect(server.url, username="analyst@example.com", password="wrong")
    assert login.value.code == "AUTH_CREDS_INVALID"
    with pytest.raises(LuminosoAuthError):
        LuminosoClient.connect(server.url, token="forged").get("accounts")
    with pytest.raises(LuminosoClientError) as missing:
        demo_project.get("topics/id/nope")
    assert missing.value.code == "NOT_FOUND" and "nope" in missing.value.message


def test_upload_in_batches_and_wait_with_deadline(account_client, siddhartha_path):
    from lumiwork.datasets import siddhartha

    project = account_client.change_path(account_client.post("", name="batches")["project_id"])
    docs = siddhartha(siddhartha_path) * 4
    statuses = project.upload("docs", docs, batch_size=2000)
    assert len(statuses) == len(docs) and len({s["_id"] for s in statuses}) == len(docs)
    job = project.post("docs/recalculate")
    with pytest.raises(LuminosoTimeoutError, match=f"job {job} still running"):
        project.wait_for(job, interval=0.1, timeout=0)
    assert project.wait_for(job, interval=0.1, timeout=120)["success"]


def test_connect_from_environment(server, demo_project, monkeypatch):
    monkeypatch.setenv("LUMIWORK_URL", server.url)
    monkeypatch.setenv("LUMIWORK_TOKEN", server.token)
    project = lumiwork.connect(project="Siddhartha")
    assert project.url == demo_project.url
    with pytest.raises(LuminosoClientError, match="no project named"):
        lumiwork.connect(project="No such project")


def test_upload_command(server, tmp_path, capsys):
    from lumiwork.cli import main

    path = tmp_path / "reviews.csv"
    path.write_text("text,subset\nThe ferry was late,north\n,north\nLovely river views,south\n")
    assert main(["upload", str(path), server.setup.account_id, "reviews", "--url", server.url]) == 0
    assert "row 3: no text" in capsys.readouterr().err
    project = lumiwork.connect(project="reviews", url=server.url)
    assert len(project.get("docs")) == 2 and project.get("jobs", verbose=True)[0]["success"]
    assert main(["upload", str(path), server.setup.account_id, "reviews", "--url", server.url,
                 "--append", "--stage"]) == 0
    assert len(project.get("docs")) == 4
