"""Every LUMIWORK_* environment variable, read in this module only.

`Settings.from_environment()` takes a snapshot of the variables; each property
parses one of them and raises `SettingsError` (one line naming the variable)
when its value is wrong, so a bad setting that a process never uses does not
stop it. `lumiwork serve` and `lumiwork lab` call `validate()` at start, make
paths absolute once (`absolute()`), and hand the result to every process they
start (`environment()`), so a relative path means the same folder in the
server, its build processes and the notebook kernels.

`VARIABLES` documents each one; the README's table of settings is this table.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "LUMIWORK_"


@dataclass(frozen=True)
class Variable:
    name: str
    default: str
    meaning: str
    is_path: bool = False


VARIABLES = (
    Variable("LUMIWORK_URL", "the local server, started if needed",
             "API v4 root that `lumiwork.connect()`, `lumiwork demo` and `upload` use"),
    Variable("LUMIWORK_TOKEN", "the token saved for that server",
             "token for LUMIWORK_URL (also used for the Compass API beside it)"),
    Variable("LUMIWORK_COMPASS_URL", "beside LUMIWORK_URL, else the local server",
             "Compass API root for `CompassClient.connect()`"),
    Variable("LUMIWORK_COMPASS_TOKEN", "the token saved for that server", "token for LUMIWORK_COMPASS_URL"),
    Variable("LUMIWORK_USER", "analyst@localhost", "the first user `lumiwork serve` creates"),
    Variable("LUMIWORK_PASSWORD", "asked on a terminal, else generated and printed once",
             "that user's password (when the data folder is new)"),
    Variable("LUMIWORK_DATA_DIR", "$XDG_DATA_HOME/lumiwork or ~/.local/share/lumiwork",
             "the server's database, models and background cache", is_path=True),
    Variable("LUMIWORK_BACKGROUND", "on", "`off` builds every project from its own text only"),
    Variable("LUMIWORK_BACKGROUND_DIR", "DATA_DIR/background",
             "where the general-knowledge space is cached (one cache can serve several servers)", is_path=True),
    Variable("LUMIWORK_WORDNET_DIR", "/usr/share/wordnet", "Debian's WordNet 3.0 files", is_path=True),
    Variable("LUMIWORK_BUILD_TIMEOUT", "3600", "seconds a recalculation may run before it is stopped"),
    Variable("LUMIWORK_COUNTING", "local", "`dask` runs a build's counting stage on a Dask cluster"),
    Variable("LUMIWORK_DASK_SCHEDULER", "local",
             "that cluster: a scheduler address (tcp://host:8786) or `local` for a LocalCluster per build"),
    Variable("LUMIWORK_SIDDHARTHA", "~/.cache/lumiwork/siddhartha.txt, else downloaded",
             "the Siddhartha text (Project Gutenberg #2500) for the demo", is_path=True),
    Variable("LUMIWORK_NOTEBOOKS", "~/lumiwork-notebooks", "the working folder `lumiwork lab` opens",
             is_path=True),
    Variable("LUMIWORK_CHROMIUM", "chromium on the PATH", "the browser for PDF and PNG exports", is_path=True),
    Variable("LUMIWORK_SHARE_URL", "where `lumiwork dashboard serve` listens, else http://127.0.0.1:8766",
             "the address colleagues open share links at (set it when the front listens on 0.0.0.0)"),
    Variable("LUMIWORK_PROJECT", "none", "set by lumiwork in a dashboard's kernels: the one project "
             "(account/project id) `lumiwork.connect()` then reads"),
    Variable("LUMIWORK_DASHBOARD", "none", "set by lumiwork in a dashboard's kernels: its id (tables then "
             "also carry their CSV, for exports)"),
)
_KNOWN = {variable.name for variable in VARIABLES}
COUNTING_CHOICES = ("local", "dask")
DEFAULT_SHARE_PORT = 8766
DEFAULT_BUILD_TIMEOUT = 3600.0


class SettingsError(ValueError):
    """A LUMIWORK_* variable holds a value lumiwork cannot use; the message names it."""


@dataclass(frozen=True)
class Settings:
    """A snapshot of the LUMIWORK_* variables (and the HOME-like ones paths
    default from), parsed on access."""

    values: Mapping[str, str] = field(default_factory=dict)
    home: Path = field(default_factory=Path.home)
    xdg_data_home: str | None = None
    xdg_cache_home: str | None = None

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        environ = os.environ if environ is None else environ
        return cls({name: value for name, value in environ.items() if name.startswith(PREFIX)},
                   Path(environ["HOME"]) if environ.get("HOME") else Path.home(),
                   environ.get("XDG_DATA_HOME") or None, environ.get("XDG_CACHE_HOME") or None)

    def _get(self, name: str) -> str | None:
        assert name in _KNOWN, name
        value = self.values.get(name, "").strip()
        return value or None

    # ---- where to connect ---------------------------------------------------------------------
    @property
    def url(self) -> str | None:
        return self._get("LUMIWORK_URL")

    @property
    def token(self) -> str | None:
        return self._get("LUMIWORK_TOKEN")

    @property
    def compass_url(self) -> str | None:
        return self._get("LUMIWORK_COMPASS_URL")

    @property
    def compass_token(self) -> str | None:
        return self._get("LUMIWORK_COMPASS_TOKEN")

    # ---- the server ---------------------------------------------------------------------------
    @property
    def user(self) -> str:
        return self._get("LUMIWORK_USER") or "analyst@localhost"

    @property
    def password(self) -> str | None:
        return self.values.get("LUMIWORK_PASSWORD") or None  # spaces are part of a password

    @property
    def data_dir(self) -> Path:
        given = self._get("LUMIWORK_DATA_DIR")
        if given:
            return Path(given).expanduser()
        base = Path(self.xdg_data_home) if self.xdg_data_home else self.home / ".local" / "share"
        return base / "lumiwork"

    @property
    def background(self) -> bool:
        value = (self._get("LUMIWORK_BACKGROUND") or "on").lower()
        if value in ("on", "1", "true", "yes"):
            return True
        if value in ("off", "0", "false", "no"):
            return False
        raise SettingsError(f"LUMIWORK_BACKGROUND must be on or off, not {value!r}")

    @property
    def background_dir(self) -> Path:
        return self.background_cache(self.data_dir)

    def background_cache(self, data_dir: Path) -> Path:
        """The background cache of a server whose data folder is `data_dir`."""
        given = self._get("LUMIWORK_BACKGROUND_DIR")
        return Path(given).expanduser() if given else Path(data_dir) / "background"

    @property
    def wordnet_dir(self) -> Path:
        return Path(self._get("LUMIWORK_WORDNET_DIR") or "/usr/share/wordnet").expanduser()

    @property
    def build_timeout(self) -> float:
        raw = self._get("LUMIWORK_BUILD_TIMEOUT")
        if raw is None:
            return DEFAULT_BUILD_TIMEOUT
        try:
            seconds = float(raw) if raw.isascii() else float("nan")
        except ValueError:
            seconds = float("nan")
        if not 0 < seconds < float("inf"):
            raise SettingsError(f"LUMIWORK_BUILD_TIMEOUT must be a number of seconds above 0, not {raw!r}")
        return seconds

    @property
    def counting(self) -> str:
        choice = (self._get("LUMIWORK_COUNTING") or "local").lower()
        if choice not in COUNTING_CHOICES:
            raise SettingsError(f"LUMIWORK_COUNTING must be one of {', '.join(COUNTING_CHOICES)}, not {choice!r}")
        return choice

    @property
    def dask_scheduler(self) -> str:
        return self._get("LUMIWORK_DASK_SCHEDULER") or "local"

    # ---- the notebooks and tools --------------------------------------------------------------
    @property
    def siddhartha(self) -> Path | None:
        given = self._get("LUMIWORK_SIDDHARTHA")
        return Path(given).expanduser() if given else None

    @property
    def notebooks(self) -> Path:
        given = self._get("LUMIWORK_NOTEBOOKS")
        return Path(given).expanduser() if given else self.home / "lumiwork-notebooks"

    @property
    def cache_dir(self) -> Path:
        """Per-user cache of downloaded corpora: $XDG_CACHE_HOME/lumiwork or ~/.cache/lumiwork."""
        base = Path(self.xdg_cache_home) if self.xdg_cache_home else self.home / ".cache"
        return base / "lumiwork"

    @property
    def chromium(self) -> str | None:
        return self._get("LUMIWORK_CHROMIUM")

    # ---- dashboards -----------------------------------------------------------------------------
    @property
    def share_url(self) -> str:
        return self.share_url_given or f"http://127.0.0.1:{DEFAULT_SHARE_PORT}"

    @property
    def share_url_given(self) -> str | None:
        """$LUMIWORK_SHARE_URL, when set (else links use the running front's address)."""
        given = self._get("LUMIWORK_SHARE_URL")
        return given.rstrip("/") if given else None

    @property
    def project(self) -> tuple[str, str] | None:
        """(account id, project id) of the project a dashboard's kernel is bound to."""
        given = self._get("LUMIWORK_PROJECT")
        if given is None:
            return None
        account, _, project = given.strip("/").partition("/")
        if not account or not project or "/" in project:
            raise SettingsError(f"LUMIWORK_PROJECT must be ACCOUNT_ID/PROJECT_ID, not {given!r}")
        return account, project

    @property
    def dashboard(self) -> str | None:
        return self._get("LUMIWORK_DASHBOARD")

    # ---- start-up -----------------------------------------------------------------------------
    def validate(self) -> Settings:
        """Parse every variable now (a server or lab start): SettingsError names the first bad one."""
        for variable in VARIABLES:
            attribute = variable.name.removeprefix(PREFIX).lower()
            if hasattr(type(self), attribute):
                getattr(self, attribute)
        return self

    def unknown_names(self) -> list[str]:
        """LUMIWORK_* variables set that lumiwork does not read (a typo, most often)."""
        return sorted(name for name in self.values if name not in _KNOWN)

    def absolute(self) -> Settings:
        """The same settings with every path variable made absolute against the
        current folder, so processes started elsewhere read the same files."""
        values = dict(self.values)
        for variable in VARIABLES:
            given = values.get(variable.name, "").strip()
            if variable.is_path and given:
                values[variable.name] = str(Path(given).expanduser().absolute())
        return Settings(values, self.home, self.xdg_data_home, self.xdg_cache_home)

    def replace(self, **values: str | None) -> Settings:
        """These settings with some variables set (a value) or removed (None),
        e.g. replace(LUMIWORK_URL=...)."""
        updated = dict(self.values)
        for name, value in values.items():
            assert name in _KNOWN, name
            if value is None:
                updated.pop(name, None)
            else:
                updated[name] = value
        return Settings(updated, self.home, self.xdg_data_home, self.xdg_cache_home)

    def environment(self, base: Mapping[str, str] | None = None) -> dict[str, str]:
        """An environment for a child process: `base` (this process's, by
        default) with its LUMIWORK_* variables replaced by these."""
        base = os.environ if base is None else base
        environment = {name: value for name, value in base.items() if not name.startswith(PREFIX)}
        environment.update(self.values)
        return environment


__all__ = ["PREFIX", "VARIABLES", "Settings", "SettingsError"]
