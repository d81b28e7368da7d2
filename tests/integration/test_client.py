"""Our client against the embedded server: errors, timeouts, retries, uploads."""
import json
import stat
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

import lumiwork
from lumiwork.client import (
    LuminosoAuthError,
    LuminosoClient,
    LuminosoClientError,
    LuminosoConnectionError,
    LuminosoError,
    LuminosoLoginError,
    LuminosoTimeoutError,
    find_project,
)


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
    from lumiwork.tools.cli import main

    path = tmp_path / "reviews.csv"
    path.write_text("text,subset\nThe ferry was late,north\n,north\nLovely river views,south\n")
    assert main(["upload", str(path), server.setup.account_id, "reviews", "--url", server.url]) == 0
    assert "row 3: no text" in capsys.readouterr().err
    project = lumiwork.connect(project="reviews", url=server.url)
    assert len(project.get("docs")) == 2 and project.get("jobs", verbose=True)[0]["success"]
    assert main(["upload", str(path), server.setup.account_id, "reviews", "--url", server.url,
                 "--append", "--stage"]) == 0
    assert len(project.get("docs")) == 4


def one_line(exc: BaseException) -> str:
    text = str(exc)
    assert "\n" not in text and text.strip() == text
    return text


def test_refused_connection_is_one_line_naming_the_url(dead_url):
    with pytest.raises(LuminosoConnectionError) as info:
        LuminosoClient.connect(dead_url, token="t").get("ping")
    text = one_line(info.value)
    assert text.startswith(f"cannot reach {dead_url} (connection refused)")
    assert "lumiwork serve" in text
    assert isinstance(info.value.__cause__, ConnectionRefusedError)  # the network error, kept
    # no saved token and no server: the missing server is what gets reported
    with pytest.raises(LuminosoConnectionError, match="connection refused"):
        LuminosoClient.connect(dead_url)
    with pytest.raises(LuminosoConnectionError, match="connection refused"):
        LuminosoClient.connect(dead_url, username="someone", password="secret")  # login


def test_lumiwork_connect_to_a_dead_url(dead_url, monkeypatch):
    embedded = lumiwork._embedded
    with pytest.raises(LuminosoConnectionError) as info:
        lumiwork.connect(url=dead_url)
    assert dead_url in one_line(info.value)
    monkeypatch.setenv("LUMIWORK_URL", dead_url)
    with pytest.raises(LuminosoConnectionError, match="connection refused"):
        lumiwork.connect(project="Siddhartha")
    assert lumiwork._embedded is embedded  # a given URL is never replaced by a local server


def test_cli_reports_a_dead_server_in_one_line(dead_url, capsys):
    from lumiwork.tools.cli import main

    assert main(["demo", "--url", dead_url]) == 1
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"lumiwork: cannot reach {dead_url}")


def test_unknown_host_is_a_connection_error():
    with pytest.raises(LuminosoConnectionError) as info:
        LuminosoClient.connect("http://no-such-host.invalid/api/v4/", token="t", timeout=10).get("ping")
    assert one_line(info.value).startswith("cannot reach http://no-such-host.invalid/api/v4/ (")


def test_silent_server_times_out_in_one_line(silent_url):
    with pytest.raises(LuminosoTimeoutError) as info:
        LuminosoClient.connect(silent_url, token="t", timeout=0.3).get("ping")
    assert one_line(info.value).startswith(f"no answer from {silent_url} within 0.3 s")
    assert isinstance(info.value.__cause__, TimeoutError)
    with pytest.raises(LuminosoTimeoutError, match="within 0.3 s"):
        LuminosoClient.connect(silent_url, username="someone", password="secret", timeout=0.3)


def test_refused_token_names_the_server_and_what_to_do(server):
    with pytest.raises(LuminosoAuthError) as info:
        LuminosoClient.connect(server.url, token="forged").get("accounts")
    assert one_line(info.value) == (
        f"the token for {server.netloc} was refused (AUTH_TOKEN_INVALID, HTTP 401): "
        "log in again, or restart `lumiwork serve`, which saves a fresh token")
    assert info.value.args[0]["code"] == "AUTH_TOKEN_INVALID" and info.value.status == 401
    with pytest.raises(LuminosoAuthError, match=f"the token for {server.netloc} was refused"):
        lumiwork.connect(url=server.url, token="forged")


def test_wrong_old_password_is_not_blamed_on_the_token(server):
    client = LuminosoClient.connect(server.url, token=server.token)
    with pytest.raises(LuminosoAuthError) as info:
        client.put("user/password", old_password="not it", new_password="whatever 12345")
    assert one_line(info.value).startswith("AUTH_CREDS_INVALID: ")
    assert one_line(info.value).endswith("(HTTP 401)")


def test_server_errors_read_as_code_message_status(server, demo_project):
    with pytest.raises(LuminosoClientError) as missing:
        demo_project.get("topics/id/nope")
    assert one_line(missing.value) == f"NOT_FOUND: {missing.value.message} (HTTP 404)"
    with pytest.raises(LuminosoLoginError) as login:
        LuminosoClient.connect(server.url, username="analyst@example.com", password="wrong")
    assert one_line(login.value) == f"AUTH_CREDS_INVALID: {login.value.message} (HTTP 401)"


def test_unknown_project_names_it_and_what_to_do(server, demo_project):
    with pytest.raises(LuminosoClientError) as info:
        lumiwork.connect(project="No such project", url=server.url, token=server.token)
    text = one_line(info.value)
    assert text.startswith("NOT_FOUND: no project named 'No such project' at ")
    assert "'Siddhartha'" in text and "lumiwork upload" in text and "lumiwork demo" in text


def test_save_token_is_private_and_keeps_other_servers(server, tmp_path):
    token_file = tmp_path / "private" / "tokens.json"
    token_file.parent.mkdir()
    token_file.write_text(json.dumps({"elsewhere:1": "theirs"}))
    token = LuminosoClient.connect(server.url, token=server.token).save_token(str(token_file))
    assert json.loads(token_file.read_text()) == {"elsewhere:1": "theirs", server.netloc: token}
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert [p.name for p in token_file.parent.iterdir()] == ["tokens.json"]
    assert LuminosoClient.connect(server.url, token_file=str(token_file)).get("ping") == "pong"


def test_same_name_projects_resolve_to_the_newest(server, account_client, tmp_path, capsys):
    from lumiwork.tools.cli import main
    from lumiwork.tools.demo import build_demo_project

    older, newer = (account_client.change_path(account_client.post("", name="twins")["project_id"])
                    for _ in range(2))
    for project in (older, newer):
        project.upload("docs", [{"text": "The river ran past the ferry."},
                                {"text": "The ferryman listened to the river."}])
        project.wait_for(project.post("docs/recalculate"), interval=0.1)
    assert find_project(account_client, "twins")["project_id"] == newer.url.split("/")[-2]
    assert lumiwork.connect(project="twins", url=server.url, token=server.token).url == newer.url
    assert build_demo_project(account_client, name="twins").url == newer.url
    path = tmp_path / "more.csv"
    path.write_text("text\nA boat crossed the river.\n")
    assert main(["upload", str(path), server.setup.account_id, "twins", "--url", server.url,
                 "--append", "--stage"]) == 0
    capsys.readouterr()
    assert len(newer.get("docs")) == 3 and len(older.get("docs")) == 2


class UnwaitingJobHandler(BaseHTTPRequestHandler):
    """A job record with a stage, answered at once whatever `wait` says; the
    job stops 0.5 s after the first request."""

    def do_GET(self):
        server = self.server
        server.requests.append(self.path)
        server.first = server.first or time.monotonic()
        stopped = time.monotonic() - server.first > 0.5
        job = {"job_id": 1, "start_time": 1.0, "stop_time": 2.0 if stopped else None,
               "success": True if stopped else None, "stage": "vectors"}
        data = json.dumps({"result": job, "error": None}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def test_wait_for_polls_every_interval_a_server_that_ignores_wait():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), UnwaitingJobHandler)
    httpd.requests, httpd.first = [], None
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        client = LuminosoClient.connect(f"http://127.0.0.1:{httpd.server_port}/api/v4/", token="t")
        assert client.wait_for(1, interval=0.1)["success"]
    finally:
        httpd.shutdown()
        httpd.server_close()
    # ~0.5 s at one request per 0.1 s, not a busy loop; each asked the server to wait
    assert 3 <= len(httpd.requests) <= 10
    assert all("wait=" in path for path in httpd.requests[1:])
