"""Running the server: first-start set-up, the saved token, and the server
either in the foreground (`lumiwork serve`) or on a thread (notebooks, tests).
One server holds a data folder at a time (db/lock.py)."""
from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from ..settings import Settings
from ..wire.names import COMPASS_ROOT, DEFAULT_HOST, DEFAULT_PORT, MANAGE_ROOT, V4_ROOT, V5_ROOT, netloc
from ..wire.tokens import read_tokens, save_token, token_file_path
from .app import create_app, limit_blas_threads
from .core.auth import new_password
from .core.limits import DEFAULT_MAX_BODY
from .core.middleware import is_loopback_host
from .db import DataDirLock, Store
from .notify import Clock, RetryPolicy


def default_data_dir() -> Path:
    """Per-user data folder: $LUMIWORK_DATA_DIR, else the XDG data home."""
    return Settings.from_environment().data_dir


@dataclass
class Setup:
    """What the first start created; `password` is None when it was not generated here."""

    username: str
    password: str | None
    account_id: str
    created: bool


def bootstrap(store: Store, username: str | None = None, password: str | None = None,
              settings: Settings | None = None) -> Setup:
    """Create the first account and user if the data folder is new."""
    settings = settings or Settings.from_environment()
    username = username or settings.user
    password = password or settings.password
    with store.db.transaction():  # two servers starting on one new folder make one user
        if store.users.exists_any():
            user = store.users.first()
            assert user is not None
            return Setup(user["username"], None, user["default_account"], created=False)
        generated = password is None
        password = password or new_password()
        account_id = store.accounts.create("lumiwork local account")
        store.create_user(username, password, account_id)
    return Setup(username, password if generated else None, account_id, created=True)


def ensure_saved_token(store: Store, netloc: str, token_file: Path) -> str:
    """A long-lived token for the first user saved under `netloc`, reusing a
    saved one while it is still valid, so the official client's connect()
    works with no arguments."""
    saved = read_tokens(token_file).get(netloc)
    if saved and store.tokens.user(saved):
        return saved
    first = store.users.first()
    assert first is not None
    token = store.tokens.issue(first["username"], "long_lived")["token"]
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


class EmbeddedServer:
    """A server running on a background thread; `url` ends in /api/v4/."""

    def __init__(self, data_dir: Path | str | None = None, host: str = DEFAULT_HOST, port: int = 0,
                 token_file: Path | str | None = None, username: str | None = None,
                 password: str | None = None, max_body: int = DEFAULT_MAX_BODY,
                 settings: Settings | None = None, clock: Clock | None = None,
                 retry_policy: RetryPolicy | None = None):
        settings = settings or Settings.from_environment()
        data_dir = Path(data_dir) if data_dir else settings.data_dir
        self._lock = DataDirLock(data_dir)
        self.store = Store(data_dir)
        self.removed_files = self.store.remove_orphaned_model_files()
        self.setup = bootstrap(self.store, username, password, settings)
        self.app = create_app(self.store, max_body, loopback_only=is_loopback_host(host), settings=settings,
                              clock=clock, retry_policy=retry_policy)
        self._socket = _bind(host, port)
        self.host, self.port = host, self._socket.getsockname()[1]
        self.netloc = netloc(host, self.port)
        self._lock.note(f"http://{self.netloc}/")
        self.url = f"http://{self.netloc}{V4_ROOT}"
        self.app.state.server.api_url = self.url
        self.compass_url = f"http://{self.netloc}{COMPASS_ROOT}"
        self.manage_url = f"http://{self.netloc}{MANAGE_ROOT}"
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
        """The server's shared state (store, models, build queue...)."""
        return self.app.state.server

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=30)
        self._socket.close()
        self.store.close()
        self._lock.release()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, data_dir: Path | None = None,
          username: str | None = None, password: str | None = None,
          token_file: Path | None = None, max_body: int = DEFAULT_MAX_BODY,
          settings: Settings | None = None) -> None:
    """Run the server in the foreground until interrupted."""
    settings = settings or Settings.from_environment()
    data_dir = data_dir or settings.data_dir
    lock = DataDirLock(data_dir)
    store = Store(data_dir)
    removed = store.remove_orphaned_model_files()
    setup = bootstrap(store, username, password, settings)
    sock = _bind(host, port)
    address = netloc(host, sock.getsockname()[1])
    lock.note(f"http://{address}/")
    token_file = token_file or token_file_path()
    ensure_saved_token(store, address, token_file)
    if setup.created:
        print(f"Created account {setup.account_id} and user {setup.username}", flush=True)
        if setup.password:
            print(f"Generated password (shown once): {setup.password}", flush=True)
    if removed:
        print(f"Removed {len(removed)} unfinished model file(s) of an interrupted build", flush=True)
    print(f"lumiwork API v4 at http://{address}{V4_ROOT}, API v5 at http://{address}{V5_ROOT}, Compass at "
          f"http://{address}{COMPASS_ROOT}, channels and alerts at http://{address}{MANAGE_ROOT} and "
          f"dashboards, shares, exports and schedules at http://{address}/api/sharing/ "
          f"(data in {store.data_dir}; token saved in {token_file})", flush=True)
    app = create_app(store, max_body, loopback_only=is_loopback_host(host), settings=settings)
    app.state.server.api_url = f"http://{address}{V4_ROOT}"
    limit_blas_threads()  # after create_app: the engine's imports have loaded every BLAS
    uvicorn.Server(uvicorn.Config(app, log_level="warning")).run(sockets=[sock])


__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "EmbeddedServer", "bootstrap", "default_data_dir", "serve"]
