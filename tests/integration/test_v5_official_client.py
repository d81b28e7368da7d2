"""API v5 with today's official client, luminoso-api 3.1.1, and its four console
scripts, unmodified (tests/v5client.py), against this run's server."""
import json
from pathlib import Path

import pytest
from conftest import PASSWORD
from v5client import official, script, v5_client_module

from lumiwork.server import EmbeddedServer
from lumiwork.wire.dates import parse_time

USER = "analyst@example.com"
DOCS = [
    {"text": "The battery died after two days and support never answered.", "title": "first",
     "metadata": [{"type": "score", "name": "stars", "value": 1},
                  {"type": "string", "name": "product", "value": "Phone A"},
                  {"type": "string", "name": "tag", "value": "battery"},
                  {"type": "string", "name": "tag", "value": "support"},
                  {"type": "date", "name": "when", "value": "2021-03-04T05:06:07Z"},
                  {"type": "number", "name": "length", "value": 11}]},
    {"text": "Great screen, bright colours and a battery that lasts all week.", "title": "second",
     "metadata": [{"type": "score", "name": "stars", "value": 5},
                  {"type": "string", "name": "product", "value": "Phone B"},
                  {"type": "date", "name": "when", "value": 1600000000},
                  {"type": "number", "name": "length", "value": 10.5}]},
    {"text": "The screen cracked in a week; the store replaced it quickly.", "title": "",
     "metadata": [{"type": "score", "name": "stars", "value": 3},
                  {"type": "string", "name": "product", "value": "Phone A"},
                  {"type": "date", "name": "when", "value": 1600086400.25}]},
    {"text": "Shipping was slow but the phone itself is lovely.",
     "metadata": [{"type": "string", "name": "product", "value": "Phone B"}], "extra": "dropped"},
]


def write_jsonl(path: Path, docs: list[dict]) -> Path:
    path.write_text("".join(json.dumps(doc) + "\n" for doc in docs), encoding="utf-8")
    return path


def normalized(doc: dict) -> dict:
    """A document as lumi-download should give it back: title, text, metadata with dates as times."""
    return {"title": doc.get("title", ""), "text": doc["text"],
            "metadata": [{**m, "value": parse_time(m["value"])} if m["type"] == "date" else m
                         for m in doc.get("metadata", [])]}


@pytest.fixture(scope="module")
def saved(server, tmp_path_factory):
    """lumi-save-token with a username and password (its prompts answered on stdin)."""
    home = tmp_path_factory.mktemp("v5-home")
    result = script("lumi-save-token", "-d", f"127.0.0.1:{server.port}", stdin=f"n\n{USER}\n{PASSWORD}\n",
                    home=home)
    assert result.returncode == 0, result.stderr
    tokens = json.loads((home / ".luminoso" / "tokens.json").read_text())
    return home, tokens[f"127.0.0.1:{server.port}"]


def test_save_token_logs_in_and_keeps_a_long_lived_token(server, v5_url, saved):
    home, token = saved
    client = official().LuminosoClient.connect(v5_url, token_file=str(home / ".luminoso" / "tokens.json"))
    assert client.get("profile")["default_workspace"] == server.setup.account_id
    # the short-lived login token was logged out; the long-lived one is listed
    listed = client.get("tokens")
    assert [t["type"] for t in listed] and all("token" not in t for t in listed)
    assert any(t["type"] == "long_lived" for t in listed)
    assert token not in json.dumps(listed)


def test_upload_download_round_trip_with_metadata(server, v5_url, saved, tmp_path):
    home, _ = saved
    base = ["-b", v5_url, "-f", str(home / ".luminoso" / "tokens.json")]
    uploaded = script("lumi-upload", *base, str(write_jsonl(tmp_path / "docs.jsonl", DOCS)), "lumi round trip",
                      home=home)
    assert uploaded.returncode == 0, uploaded.stderr
    assert "created with 4 documents" in uploaded.stdout, uploaded.stdout
    project_id = uploaded.stdout.split("'")[1]
    downloaded = script("lumi-download", *base, project_id, str(tmp_path / "out.jsons"), home=home)
    assert downloaded.returncode == 0, downloaded.stderr
    lines = [json.loads(line) for line in (tmp_path / "out.jsons").read_text(encoding="utf-8").splitlines()]
    assert [normalized(doc) for doc in lines] == [normalized(doc) for doc in DOCS]
    assert all(set(doc) == {"title", "text", "metadata"} for doc in lines)  # exactly the fields asked for
    assert lines[0]["metadata"][4]["value"] == "2021-03-04T05:06:07Z"
    assert lines[2]["metadata"][2]["value"] == "2020-09-14T12:26:40.250000Z"
    # what lumi-download writes, lumi-upload takes again: the same documents once more
    again = script("lumi-upload", *base, str(tmp_path / "out.jsons"), "lumi round trip again", home=home)
    assert again.returncode == 0, again.stderr
    second = again.stdout.split("'")[1]
    assert script("lumi-download", *base, "-e", second, str(tmp_path / "again.jsons"), home=home).returncode == 0
    relines = [json.loads(line) for line in (tmp_path / "again.jsons").read_text(encoding="utf-8").splitlines()]
    assert [{k: d[k] for k in ("title", "text", "metadata")} for d in relines] == lines
    assert all(d["terms"] and d["vector"] for d in relines)  # -e: terms, fragments and vectors too


def test_lumi_api_get_post_delete(server, v5_url, saved, reviews_project):
    home, _ = saved
    base = ["-b", v5_url, "-f", str(home / ".luminoso" / "tokens.json")]
    got = script("lumi-api", *base, "get", f"projects/{reviews_project}/docs",
                 "-j", '{"limit": 2, "fields": ["title"]}', home=home)
    assert got.returncode == 0, got.stderr
    assert json.loads(got.stdout)["result"] == [{"title": "review 1, sentence 1"}, {"title": "review 1, sentence 2"}]
    # -p sends strings: "limit": "3" is a number to the server
    made = script("lumi-api", *base, "post", f"projects/{reviews_project}/concept_lists", "-p", "name=lumi-api list",
                  "-j", '{"concepts": [{"texts": ["battery"]}, {"texts": ["screen"]}]}', home=home)
    assert made.returncode == 0, made.stderr
    list_id = json.loads(made.stdout)["concept_list_id"]
    csv = script("lumi-api", *base, "get", f"projects/{reviews_project}/concept_lists", "-c", home=home)
    assert csv.returncode == 0 and "lumi-api list" in csv.stdout and csv.stdout.startswith("concept_list_id,")
    refused = script("lumi-api", *base, "delete", f"projects/{reviews_project}/concept_lists/{list_id}",
                     stdin="n\n", home=home)
    assert refused.returncode == 0 and refused.stdout.startswith("confirm delete")
    kept = script("lumi-api", *base, "get", f"projects/{reviews_project}/concept_lists/{list_id}", home=home)
    assert json.loads(kept.stdout)["name"] == "lumi-api list"
    deleted = script("lumi-api", *base, "delete", f"projects/{reviews_project}/concept_lists/{list_id}",
                     stdin="y\n", home=home)
    assert deleted.returncode == 0, deleted.stderr
    missing = script("lumi-api", *base, "get", f"projects/{reviews_project}/concept_lists/{list_id}", home=home)
    assert missing.returncode == 1 and "'error': 'NOT_FOUND'" in missing.stderr


def test_client_calls_wait_for_build_and_save_to_file(server, v5_url, saved, tmp_path):
    home, _ = saved
    client = official().LuminosoClient.connect(v5_url, token_file=str(home / ".luminoso" / "tokens.json"))
    record = client.post("projects/", name="client flow", language="en", description="made by the client")
    assert record["last_build_info"] == {} and record["document_count"] == 0
    project = client.client_for_path(f"projects/{record['project_id']}")
    with pytest.raises(ValueError, match="not building"):
        project.wait_for_build(interval=0.05)
    project.post("upload", docs=DOCS)
    project.post("build")
    info = project.wait_for_build(interval=0.1)
    assert info["success"] is True and info["stop_time"] >= info["start_time"]
    assert project.wait_for_sentiment_build(interval=0.1)["success"] is True
    renamed = project.put("", name="client flow, renamed")
    assert renamed["name"] == "client flow, renamed"
    assert project.get("/")["document_count"] == 4
    project.save_to_file("metadata", str(tmp_path / "metadata.json"))
    fields = {f["name"]: f for f in json.loads((tmp_path / "metadata.json").read_text())["result"]}
    assert fields["tag"]["values"] == [{"value": "battery", "count": 1}, {"value": "support", "count": 1}]
    assert fields["when"]["minimum"] == "2020-09-13T12:26:40Z" and fields["stars"]["maximum"] == 5
    assert client.delete(f"projects/{record['project_id']}") == {"deleted": record["project_id"]}
    assert record["project_id"] not in [p["project_id"] for p in client.get("projects")]


# ---- each error class, provoked by its status, on a server of its own ------------------------

@pytest.fixture(scope="module")
def lone_server(tmp_path_factory):
    """A server whose login throttle and users no other test shares."""
    tmp = tmp_path_factory.mktemp("v5-errors")
    with EmbeddedServer(tmp / "data", token_file=tmp / "tokens.json", username=USER, password=PASSWORD) as srv:
        yield srv


def test_error_classes_by_status(lone_server):
    errors = official()
    root = f"http://{lone_server.netloc}/api/v5"
    client = errors.LuminosoClient.connect(root, token=lone_server.token)
    project_id = client.post("projects", name="errors")["project_id"]
    project = client.client_for_path(f"projects/{project_id}")
    # 401: an unknown token
    with pytest.raises(errors.LuminosoAuthError) as info:
        errors.LuminosoClient.connect(root, token="not-a-token").get("projects")
    assert info.value.args[0]["error"] == "AUTH_TOKEN_INVALID"
    # 403: a user who may read the workspace but not write to it
    lone_server.store.create_user("reader@example.com", PASSWORD, lone_server.setup.account_id, ["read"])
    reader_token = lone_server.store.tokens.issue("reader@example.com", "long_lived")["token"]
    reader = errors.LuminosoClient.connect(root, token=reader_token)
    assert reader.get(f"projects/{project_id}")["permissions"] == ["read"]
    with pytest.raises(errors.LuminosoAuthError) as info:
        reader.post(f"projects/{project_id}/upload", docs=DOCS)
    assert info.value.args[0]["error"] == "FORBIDDEN"
    # 400, 404, 405: client errors
    with pytest.raises(errors.LuminosoClientError) as info:
        project.post("upload", docs=[{"title": "no text"}])
    assert info.value.args[0]["error"] == "INVALID_DOCUMENT" and info.value.args[0]["document"] == 0
    with pytest.raises(errors.LuminosoClientError) as info:
        client.get("projects/nosuch")
    assert info.value.args[0]["error"] == "NOT_FOUND"
    with pytest.raises(errors.LuminosoClientError) as info:
        project.patch("build")
    assert info.value.args[0]["error"] == "METHOD_NOT_ALLOWED"
    # 400 PROJECT_LOCKED while a build runs
    project.post("upload", docs=DOCS)
    project.post("build")
    with pytest.raises(errors.LuminosoClientError) as info:
        project.post("build")
    assert info.value.args[0]["error"] == "PROJECT_LOCKED"
    project.wait_for_build(interval=0.1)
    # 413 and 429: neither client nor server error, a plain LuminosoError
    with pytest.raises(errors.LuminosoError) as info:
        project.post("upload", docs=[{}] * 100_001)
    assert type(info.value) is errors.LuminosoError and info.value.args[0]["error"] == "TOO_LARGE"
    anonymous = errors.LuminosoClient.connect(root, token="")
    for _ in range(10):
        with pytest.raises(errors.LuminosoAuthError):
            anonymous.post("login", username=USER, password="wrong password")
    with pytest.raises(errors.LuminosoError) as info:
        anonymous.post("login", username=USER, password=PASSWORD)
    assert type(info.value) is errors.LuminosoError and info.value.args[0]["error"] == "TOO_MANY_ATTEMPTS"
    assert project.get("")["document_count"] == len(DOCS)  # nothing of the refused requests was stored


def test_server_error_on_a_full_disk(tmp_path):
    """5xx: 507 STORAGE_FULL when the server's disk is full (a small tmpfs)."""
    from test_server_safety import fill, small_disk

    errors = official()
    with small_disk(tmp_path / "disk") as disk, \
            EmbeddedServer(disk / "data", token_file=tmp_path / "tokens.json", password=PASSWORD) as srv:
        client = errors.LuminosoClient.connect(f"http://{srv.netloc}/api/v5", token=srv.token)
        project = client.client_for_path("projects/" + client.post("projects", name="full")["project_id"])
        project.post("upload", docs=DOCS)
        filler = fill(disk)
        with pytest.raises(errors.LuminosoServerError) as info:
            project.post("upload", docs=[{"text": "Ferries cross the wide river. " * 200}] * 100)
        assert info.value.args[0]["error"] == "STORAGE_FULL"
        assert project.get("")["document_count"] == len(DOCS)
        filler.unlink()


def test_timeout_is_a_timeout_error(silent_url):
    """No answer within the client's timeout (a POST, which the client does not retry)."""
    errors = official()
    root = silent_url.replace("/api/v4/", "/api/v5")
    client = errors.LuminosoClient.connect(root, token="token", timeout=0.5)
    with pytest.raises(errors.LuminosoTimeoutError):
        client.post("projects", name="never answered")


def test_paths_without_api_v5_are_a_client_error(server, v5_url):
    """lumi-upload -b http://host:port (no /api/v5) sends paths at the host root:
    a readable client error, not a hang or a redirect."""
    client = official().LuminosoClient.connect(v5_url.removesuffix("/api/v5"), token=server.token)
    with pytest.raises(official().LuminosoClientError, match="/api/v5"):
        client.get("projects")
    assert v5_client_module().LuminosoClient is official().LuminosoClient

