"""One Voila process per dashboard in use, listening on 127.0.0.1 only.

Voila runs a frozen notebook in single-notebook mode: it has no contents API,
no kernel listing and no file browser, and viewers cannot send code (its kernel
manager drops `execute_request` from browsers). Everything that decides who
may see what stays in the share front: Voila sees only requests the front
forwards, each with this process's own random token, and never a viewer's
cookie or link.

Its environment is built here, not inherited: a home of its own (the
analyst's saved tokens stay out of reach), Jupyter folders lumiwork owns (no
config from elsewhere), and the dashboard's project-scoped read-only token
for the kernels. Its configuration, token included, is a 0600 file, never the
command line (which other users can read).
"""
from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

TEMPLATE = Path(__file__).resolve().parent / "template"
# Files a dashboard page may load from its folder besides the page itself: images only.
FILE_ALLOWLIST = [r".*\.(png|jpg|jpeg|gif|svg)"]
START_SECONDS = 60.0


class VoilaUnavailable(Exception):
    """Voila did not start (the message says why, in one line)."""


@dataclass
class Limits:
    """How long an unused kernel lives, and how many kernels there may be."""

    idle_seconds: float = 900.0      # a viewer's kernel with no activity this long is closed
    cull_interval: float = 30.0      # how often Voila looks for idle kernels
    execution_timeout: float = 300.0  # seconds a dashboard cell may run
    per_dashboard: int = 10          # kernels at once per dashboard, whatever the links allow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare_jupyter_path(root: Path) -> Path:
    """A Jupyter data folder holding lumiwork's Voila template with Font Awesome
    copied in from the `fontawesomefree` package (made once; returns it)."""
    target = root / "voila" / "templates" / "lumiwork"
    fa = target / "static" / "fa"
    if not (fa / "css" / "all.min.css").is_file():
        import fontawesomefree

        source = Path(fontawesomefree.__file__).resolve().parent / "static" / "fontawesomefree"
        (fa / "css").mkdir(parents=True, exist_ok=True)
        for name in ("all.min.css", "v4-shims.min.css"):
            shutil.copyfile(source / "css" / name, fa / "css" / name)
        shutil.copytree(source / "webfonts", fa / "webfonts", dirs_exist_ok=True)
    for name in ("conf.json", "index.html.j2"):
        shutil.copyfile(TEMPLATE / name, target / name)
    return root


@dataclass
class VoilaProcess:
    """Voila serving one dashboard's notebook under `base_url`."""

    notebook: Path
    base_url: str
    workdir: Path              # private: config, home, runtime files and the log
    jupyter_path: Path
    kernel_env: dict[str, str]
    limits: Limits
    port: int = 0
    token: str = ""
    process: subprocess.Popen | None = None
    started: float = 0.0
    kernels: set[str] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.base_url}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def _environment(self) -> dict[str, str]:
        home = self.workdir / "home"
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LANG": os.environ.get("LANG", "C.UTF-8"),
            "HOME": str(home),
            "JUPYTER_CONFIG_DIR": str(self.workdir / "config"),
            "JUPYTER_DATA_DIR": str(self.workdir / "data"),
            "JUPYTER_RUNTIME_DIR": str(self.workdir / "runtime"),
            "JUPYTER_PATH": str(self.jupyter_path),
            "JUPYTER_PLATFORM_DIRS": "1",
            "IPYTHONDIR": str(home / ".ipython"),
            "MPLCONFIGDIR": str(home / ".matplotlib"),
            **self.kernel_env,
        }
        return environment

    def _write_config(self) -> None:
        config = {
            "Voila": {"ip": "127.0.0.1", "port": self.port, "port_retries": 0, "open_browser": False,
                      "base_url": self.base_url, "token": self.token},
            "VoilaConfiguration": {
                "template": "lumiwork", "theme": "light", "allow_template_override": "NO",
                "allow_theme_override": "NO", "progressive_rendering": True, "show_tracebacks": False,
                "strip_sources": True, "http_header_envs": [], "file_allowlist": FILE_ALLOWLIST,
            },
            "VoilaExecutor": {"timeout": int(self.limits.execution_timeout)},
            "MappingKernelManager": {"cull_idle_timeout": int(self.limits.idle_seconds),
                                     "cull_interval": int(self.limits.cull_interval),
                                     "cull_connected": True, "cull_busy": False},
        }
        folder = self.workdir / "config"
        path = folder / "voila.json"
        path.unlink(missing_ok=True)
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        with os.fdopen(fd, "w") as handle:
            json.dump(config, handle)

    async def start(self) -> None:
        """Start Voila and wait until it answers (VoilaUnavailable if it does not)."""
        for name in ("config", "data", "runtime", "home"):
            (self.workdir / name).mkdir(mode=0o700, parents=True, exist_ok=True)
        self.port = free_port()
        self.token = secrets.token_hex(32)
        self._write_config()
        log = open(self.workdir / "voila.log", "ab")
        # cwd: the notebook's own folder (it holds nothing else), so Voila's file
        # handler has nothing to serve and no voila.json of anyone else is read.
        self.process = subprocess.Popen(
            [sys.executable, "-m", "voila", self.notebook.name], cwd=self.notebook.parent,
            env=self._environment(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True)
        log.close()
        self.started = time.time()
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise VoilaUnavailable(f"Voila stopped at start (exit {self.process.returncode}); see "
                                       f"{self.workdir / 'voila.log'}")
            try:
                _, writer = await asyncio.open_connection("127.0.0.1", self.port)
                writer.close()
                return
            except OSError:
                await asyncio.sleep(0.1)
        self.stop()
        raise VoilaUnavailable(f"Voila did not answer within {START_SECONDS:g} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, 15)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, 9)
                self.process.wait()
        self.process = None
        self.kernels.clear()
