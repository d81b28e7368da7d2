"""The server under hostile or unlucky conditions, over real HTTP: login
timing and throttling, token listing and revocation, the Host check, a full
disk, and a data folder it cannot write."""
import contextlib
import json
import os
import statistics
import subprocess
import sys
import time

import pytest
import requests

from lumiwork.server import EmbeddedServer

PASSWORD = "safety test password"
USER = "safety@example.com"


@pytest.fixture
def own_server(tmp_path):
    with EmbeddedServer(tmp_path / "data", token_file=tmp_path / "tokens.json",
                        username=USER, password=PASSWORD) as server:
        yield server


def login(server, username, password):
    return requests.post(server.url + "user/login/", data={"username": username,
                                                           "password": password}, timeout=30)


def test_failed_login_costs_the_same_for_unknown_users_and_is_throttled(own_server):
    timings = {"known": [], "unknown": []}
    for _ in range(4):
        for label, user in (("known", USER), ("unknown", "nobody@example.com")):
            start = time.perf_counter()
            answer = login(own_server, user, "wrong password")
            timings[label].append(time.perf_counter() - start)
            assert answer.status_code == 401
    known, unknown = (statistics.median(timings[k]) for k in ("known", "unknown"))
    assert 0.5 < unknown / known < 2, timings
    for _ in range(2):  # ten failures from this address in all
        assert login(own_server, USER, "wrong password").status_code == 401
    for password in ("wrong password", PASSWORD):  # the 11th is refused, even when right
        answer = login(own_server, USER, password)
        assert answer.status_code == 429
        assert answer.json()["error"]["code"] == "TOO_MANY_ATTEMPTS"
        assert 0 < int(answer.headers["Retry-After"]) <= 300


def test_tokens_are_listed_by_id_and_can_be_revoked(own_server):
    short = login(own_server, USER, PASSWORD).json()["result"]["token"]
    headers = {"Authorization": f"Token {short}"}
    created = requests.post(own_server.url + "user/tokens/", headers=headers).json()["result"]
    listed = requests.get(own_server.url + "user/tokens/", headers=headers).json()["result"]
    assert listed[0]["current"] and listed[0]["token"] == short
    ids = {t["token_id"] for t in listed}
    assert created["token_id"] in ids and len(ids) == len(listed) >= 3  # + the server's own
    long_lived = [t for t in listed if t["type"] == "long_lived"]
    assert all(t.get("token") for t in long_lived)  # what the official save_token() reads
    revoked = requests.delete(f"{own_server.url}user/tokens/{created['token_id']}/", headers=headers)
    assert revoked.status_code == 200
    refused = requests.get(own_server.url + "accounts/",
                           headers={"Authorization": f"Token {created['token']}"})
    assert refused.status_code == 401
    again = requests.delete(f"{own_server.url}user/tokens/{created['token_id']}/", headers=headers)
    assert again.status_code == 404


def test_host_header_must_be_loopback_while_bound_to_loopback(own_server):
    headers = {"Authorization": f"Token {own_server.token}"}
    for host in ("evil.example.com", "evil.example.com:80", "10.0.0.1"):
        answer = requests.get(own_server.url + "accounts/", headers={**headers, "Host": host})
        assert answer.status_code == 403 and answer.json()["error"]["code"] == "HOST_NOT_ALLOWED"
    for host in (f"localhost:{own_server.port}", f"127.0.0.1:{own_server.port}", "[::1]:80"):
        answer = requests.get(own_server.url + "accounts/", headers={**headers, "Host": host})
        assert answer.status_code == 200, host


@contextlib.contextmanager
def small_disk(path, size="4m", options=""):
    """A tmpfs of `size` mounted at `path` (needs root, as in CI)."""
    path.mkdir()
    flags = f"size={size}" + (f",{options}" if options else "")
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", flags, "tmpfs", str(path)],
                             capture_output=True, text=True)
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small disk here: {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder):
    """Write until the disk is full; returns the filler file."""
    filler = folder / "filler"
    # unbuffered: a buffered file would try again to write what did not fit when it closes
    with open(filler, "wb", buffering=0) as handle:
        with contextlib.suppress(OSError):
            while True:
                handle.write(b"\0" * 65536)
    return filler


def test_full_disk_fails_writes_cleanly_and_keeps_reads(tmp_path):
    from lumiwork.client import LuminosoClient

    with small_disk(tmp_path / "disk") as disk, \
            EmbeddedServer(disk / "data", token_file=tmp_path / "tokens.json",
                           password=PASSWORD) as server:
        account = LuminosoClient.connect(f"{server.url}projects/{server.setup.account_id}/",
                                         token=server.token)
        project = account.change_path(account.post("", name="full disk")["project_id"])
        project.upload("docs", [{"text": f"The river flows past boat number {i}."} for i in range(30)])
        project.wait_for(project.post("docs/recalculate"), interval=0.1)
        filler = fill(disk)
        docs = [{"text": f"Ferries cross the wide river, trip {i}. " * 40} for i in range(200)]
        url = project.url + "docs/"
        headers = {"Authorization": f"Token {server.token}", "Content-Type": "application/json"}
        answer = requests.post(url, data=json.dumps(docs), headers=headers)
        assert answer.status_code == 507, answer.text
        assert answer.json()["error"]["code"] == "STORAGE_FULL"
        # reads, searches and usage keep working while the disk is full
        assert len(project.get("docs", limit=1000)) == 30
        assert project.get("docs/search", text="river", limit=3)["search_results"]
        assert project.get("terms/search", text="river", limit=3)["search_results"]
        assert account.change_path("/").get(f"accounts/{server.setup.account_id}/usage")
        filler.unlink()
        project.upload("docs", docs)
        assert len(project.get("docs", limit=1000)) == 30 + len(docs)  # stored exactly once


def test_unwritable_data_dir_is_one_line_from_serve(tmp_path):
    home = tmp_path / "home"
    if os.geteuid() == 0:
        context = small_disk(tmp_path / "ro", size="1m", options="ro")
    else:
        (tmp_path / "ro").mkdir(mode=0o500)
        context = contextlib.nullcontext(tmp_path / "ro")
    with context as folder:
        result = subprocess.run(
            [sys.executable, "-m", "lumiwork", "serve", "--port", "0", "--data-dir", str(folder / "data")],
            env={**os.environ, "HOME": str(home), "LUMIWORK_PASSWORD": PASSWORD},
            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(folder) in lines[0], result.stderr
    assert "Traceback" not in result.stderr
