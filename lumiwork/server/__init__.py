"""The embedded API v4 server: first-start set-up, saved tokens, and running it
either in the foreground (`lumiwork serve`) or on a thread (notebooks, tests)."""
from __future__ import annotations

import os
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from ..config import DEFAULT_HOST, DEFAULT_PORT, read_tokens, save_token, token_file_path
from .app import create_app, is_loopback_host, limit_blas_threads
from .auth import new_password
from .http import DEFAULT_MAX_BODY
from .store import Store


def default_data_dir() -> Path:
    """Per-user data folder: $LUMIWORK_DATA_DIR, else the XDG data home."""
    if os.environ.get("LUMIWORK_DATA_DIR"):
        return Path(os.environ["LUMIWORK_DATA_DIR"])
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "lumiwork"


@dataclass
class Setup:
    """What the first start created; `password` is None when it was not generated here."""

    username: str
    password: str | None
    account_id: str
    created: bool


def bootstrap(store: Store, username: str | None = None, password: str | None = None) -> Setup:
    """Create the first account and user if the data folder is new."""
    username = username or os.environ.get("LUMIWORK_USER") or "analyst@localhost"
    password = password or os.environ.get("LUMIWORK_PASSWORD")
    if store.has_users():
        user = store.first_user()
        return Setup(user["username"], None, user["default_account"], created=False)
    generated = password is None
    password = password or new_password()
    account_id = store.create_account("lumiwork local account")
    store.create_user(username, password, account_id)
    return Setup(username, password if generated else None, account_id, created=True)


def ensure_saved_token(store: Store, netloc: str, token_file: Path) -> str:
    """A long-lived token for the first user saved under `netloc`, reusing a
    saved one while it is still valid, so the official client's connect()
    works with no arguments."""
    saved = read_tokens(token_file).get(netloc)
    if saved and store.token_user(saved):
        return saved
    token = store.issue_token(store.first_user()["username"], "long_lived")["token"]
    save_token(netloc, token, token_file)
    return token


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    # Responses leave in two writes (head, body); without TCP_NODELAY, Nagle's
    # algorithm meets the client's delayed ACK and every keep-alive request
    # waits ~40 ms. Accepted connections inherit the option on Linux.
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise OSError(f"cannot listen on {host}:{port}: {exc.strerror}") from exc
    return sock


def _netloc(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class EmbeddedServer:
    """A server running on a background thread; `url` ends in /api/v4/."""

    def __init__(self, data_dir: Path | str | None = None, host: str = DEFAULT_HOST, port: int = 0,
                 token_file: Path | str | None = None, username: str | None = None,
                 password: str | None = None, max_body: int = DEFAULT_MAX_BODY):
        self.store = Store(Path(data_dir) if data_dir else default_data_dir())
        self.setup = bootstrap(self.store, username, password)
        self.app = create_app(self.store, max_body, loopback_only=is_loopback_host(host))
        self._socket = _bind(host, port)
        self.host, self.port = host, self._socket.getsockname()[1]
        self.netloc = _netloc(host, self.port)
        self.url = f"http://{self.netloc}/api/v4/"
        self.token = ensure_saved_token(self.store, self.netloc,
                                        Path(token_file) if token_file else token_file_path())
        config = uvicorn.Config(self.app, log_level="warning", lifespan="on")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="lumiwork-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the embedded server did not start on {self.netloc}")
            time.sleep(0.02)

    @property
    def api(self):
        return self.app.state.api

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._socket.close()
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, data_dir: Path | None = None,
          username: str | None = None, password: str | None = None,
          token_file: Path | None = None, max_body: int = DEFAULT_MAX_BODY) -> None:
    """Run the server in the foreground until interrupted."""
    store = Store(data_dir or default_data_dir())
    setup = bootstrap(store, username, password)
    sock = _bind(host, port)
    netloc = _netloc(host, sock.getsockname()[1])
    token_file = token_file or token_file_path()
    ensure_saved_token(store, netloc, token_file)
    if setup.created:
        print(f"Created account {setup.account_id} and user {setup.username}", flush=True)
        if setup.password:
            print(f"Generated password (shown once): {setup.password}", flush=True)
    if store.removed_files:
        print(f"Removed {len(store.removed_files)} unfinished model file(s) of an interrupted build",
              flush=True)
    print(f"lumiwork API v4 at http://{netloc}/api/v4/ and Compass at http://{netloc}/compass/api/ "
          f"(data in {store.data_dir}; token saved in {token_file})", flush=True)
    app = create_app(store, max_body, loopback_only=is_loopback_host(host))
    limit_blas_threads()  # after create_app: the engine's imports have loaded every BLAS
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


__all__ = ["EmbeddedServer", "serve", "bootstrap", "default_data_dir", "DEFAULT_PORT", "DEFAULT_HOST"]
