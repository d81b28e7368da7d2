"""Settings (every LUMIWORK_* variable, read in one place), the local URL and
the saved-token file (mode, atomic replace, merge)."""
import io
import json
import stat
import sys
from pathlib import Path

import pytest

from lumiwork.settings import VARIABLES, Settings, SettingsError
from lumiwork.tools.cli import serve_password
from lumiwork.wire import names, tokens


def mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_local_url():
    assert names.local_url() == "http://127.0.0.1:8765/api/v4/"
    assert names.local_url("::1", 9000) == "http://[::1]:9000/api/v4/"


def test_token_file_follows_home(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert tokens.token_file_path() == tmp_path / ".luminoso" / "tokens.json"


def test_save_token_is_private_and_keeps_other_servers(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))
    path = tokens.save_token("127.0.0.1:8765", "first")
    assert path == tmp_path / ".luminoso" / "tokens.json"
    assert mode(path) == 0o600 and mode(path.parent) == 0o700
    tokens.save_token("example.com:443", "other")
    tokens.save_token("127.0.0.1:8765", "second")
    assert json.loads(path.read_text()) == {"127.0.0.1:8765": "second", "example.com:443": "other"}
    assert [p.name for p in path.parent.iterdir()] == ["tokens.json"]  # no temporary files left


def test_save_token_replaces_a_readable_file_with_a_private_one(tmp_path):
    path = tmp_path / "tokens.json"
    path.write_text('{"a:1": "x"}')
    path.chmod(0o644)
    assert tokens.save_token("b:2", "y", path) == path
    assert mode(path) == 0o600
    assert tokens.read_tokens(path) == {"a:1": "x", "b:2": "y"}


def test_read_tokens_of_missing_or_broken_files_is_empty(tmp_path):
    assert tokens.read_tokens(tmp_path / "missing.json") == {}
    (tmp_path / "broken.json").write_text("{not json")
    assert tokens.read_tokens(tmp_path / "broken.json") == {}
    (tmp_path / "list.json").write_text("[1, 2]")
    assert tokens.read_tokens(tmp_path / "list.json") == {}
    tokens.save_token("a:1", "x", tmp_path / "broken.json")  # a broken file is replaced
    assert tokens.read_tokens(tmp_path / "broken.json") == {"a:1": "x"}


def test_serve_password_from_flag_then_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMIWORK_PASSWORD", "from env")
    assert serve_password("from flag", tmp_path) == "from flag"
    assert serve_password(None, tmp_path) == "from env"
    monkeypatch.delenv("LUMIWORK_PASSWORD")
    monkeypatch.setattr(sys, "stdin", io.StringIO())  # not a terminal: nobody to ask
    assert serve_password(None, tmp_path / "new") is None


def test_every_variable_is_documented_and_read_here_only():
    """Each LUMIWORK_* name the package mentions is in the table, and no module
    but settings.py reads the environment."""
    package = Path(__file__).resolve().parents[2] / "lumiwork"
    documented = {variable.name for variable in VARIABLES}
    mentioned, readers = set(), []
    for path in package.rglob("*.py"):
        text = path.read_text()
        import re

        mentioned |= set(re.findall(r"LUMIWORK_[A-Z_]+[A-Z]", text))
        if path.name != "settings.py" and re.search(r"(environ\.get\(|getenv\(|environ\[)[\"']LUMIWORK_", text):
            readers.append(path.relative_to(package).as_posix())
    assert mentioned <= documented, sorted(mentioned - documented)
    assert readers == [], readers


def test_paths_become_absolute_once_and_reach_children(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_environment({"HOME": str(tmp_path), "LUMIWORK_SIDDHARTHA": "../text.txt",
                                          "LUMIWORK_URL": "http://example.com/api/v4/"})
    fixed = settings.absolute()
    assert fixed.siddhartha == (tmp_path / ".." / "text.txt").absolute()
    assert fixed.url == "http://example.com/api/v4/"  # not a path: left alone
    child = fixed.environment({"PATH": "/bin", "LUMIWORK_STALE": "x"})
    assert child["LUMIWORK_SIDDHARTHA"] == str(fixed.siddhartha) and child["PATH"] == "/bin"
    assert "LUMIWORK_STALE" not in child  # the child gets these settings, not the parent's leftovers


def test_defaults_follow_home_and_xdg(tmp_path):
    settings = Settings.from_environment({"HOME": str(tmp_path)})
    assert settings.data_dir == tmp_path / ".local" / "share" / "lumiwork"
    assert settings.background_dir == settings.data_dir / "background"
    assert settings.notebooks == tmp_path / "lumiwork-notebooks"
    assert settings.cache_dir == tmp_path / ".cache" / "lumiwork"
    xdg = Settings.from_environment({"HOME": str(tmp_path), "XDG_DATA_HOME": "/x", "XDG_CACHE_HOME": "/y"})
    assert (xdg.data_dir, xdg.cache_dir) == (Path("/x/lumiwork"), Path("/y/lumiwork"))
    assert (settings.build_timeout, settings.counting, settings.background) == (3600.0, "local", True)


@pytest.mark.parametrize("name, value", [
    ("LUMIWORK_BUILD_TIMEOUT", "soon"), ("LUMIWORK_BUILD_TIMEOUT", "-1"), ("LUMIWORK_BUILD_TIMEOUT", "inf"),
    ("LUMIWORK_BUILD_TIMEOUT", "\u0663"), ("LUMIWORK_COUNTING", "spark"), ("LUMIWORK_BACKGROUND", "maybe"),
])
def test_a_bad_value_is_one_line_naming_the_variable(name, value):
    settings = Settings.from_environment({"HOME": "/home/x", name: value})
    with pytest.raises(SettingsError, match=name):
        settings.validate()


def test_unknown_names_are_reported_not_fatal():
    settings = Settings.from_environment({"HOME": "/home/x", "LUMIWORK_BACKGROND": "off"})
    assert settings.validate() is settings
    assert settings.unknown_names() == ["LUMIWORK_BACKGROND"]


def test_the_readme_documents_every_variable_with_its_default():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    rows = {line.split("|")[1].strip(" `"): line for line in readme.splitlines() if line.startswith("| `LUMIWORK_")}
    assert set(rows) == {variable.name for variable in VARIABLES}
