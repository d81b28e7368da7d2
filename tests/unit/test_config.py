"""config: the local URL and the saved-token file (mode, atomic replace, merge)."""
import io
import json
import stat
import sys

from lumiwork import config
from lumiwork.cli import serve_password


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_local_url():
    assert config.local_url() == "http://127.0.0.1:8765/api/v4/"
    assert config.local_url("::1", 9000) == "http://[::1]:9000/api/v4/"


def test_token_file_follows_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert config.token_file_path() == tmp_path / ".luminoso" / "tokens.json"


def test_save_token_is_private_and_keeps_other_servers(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    path = config.save_token("127.0.0.1:8765", "first")
    assert path == tmp_path / ".luminoso" / "tokens.json"
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    config.save_token("example.com:443", "other")
    config.save_token("127.0.0.1:8765", "second")
    assert json.loads(path.read_text()) == {"127.0.0.1:8765": "second", "example.com:443": "other"}
    assert [p.name for p in path.parent.iterdir()] == ["tokens.json"]  # no temporary files left


def test_save_token_replaces_a_readable_file_with_a_private_one(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text('{"a:1": "x"}')
    path.chmod(0o644)
    assert config.save_token("b:2", "y", path) == path
    assert mode(path) == 0o600
    assert config.read_tokens(path) == {"a:1": "x", "b:2": "y"}


def test_read_tokens_of_missing_or_broken_files_is_empty(tmp_path):
    assert config.read_tokens(tmp_path / "missing.json") == {}
    (tmp_path / "broken.json").write_text("{not json")
    assert config.read_tokens(tmp_path / "broken.json") == {}
    (tmp_path / "list.json").write_text("[1, 2]")
    assert config.read_tokens(tmp_path / "list.json") == {}
    config.save_token("a:1", "x", tmp_path / "broken.json")  # a broken file is replaced
    assert config.read_tokens(tmp_path / "broken.json") == {"a:1": "x"}


def test_serve_password_from_flag_then_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMIWORK_PASSWORD", "from env")
    assert serve_password("from flag", tmp_path) == "from flag"
    assert serve_password(None, tmp_path) == "from env"
    monkeypatch.delenv("LUMIWORK_PASSWORD")
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # not a terminal: nobody to ask
    assert serve_password(None, tmp_path / "new") is None
