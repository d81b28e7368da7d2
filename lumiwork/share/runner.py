"""Running the share front: in the foreground (`lumiwork dashboard serve`) or
on a thread (tests, notebooks)."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import uvicorn

from ..server.db import Store
from ..server.runner import _bind
from ..server.sharing.address import forget_front_address, record_front_address
from ..settings import DEFAULT_SHARE_PORT, Settings
from ..wire.names import local_url
from .front import create_front


def api_url_for(settings: Settings) -> str:
    """The API server the dashboards' kernels read: $LUMIWORK_URL, else the local one."""
    return settings.url or local_url()


class FrontServer:
    """The share front on a background thread; `url` is its address."""

    def __init__(self, data_dir: Path | str, api_url: str, host: str = "127.0.0.1", port: int = 0, **options):
        self.store = Store(data_dir)
        self.app = create_front(self.store, api_url, **options)
        self._socket = _bind(host, port)
        self.port = self._socket.getsockname()[1]
        self.url = f"http://{host}:{self.port}"
        self._server = uvicorn.Server(uvicorn.Config(self.app, log_level="warning", lifespan="on",
                                                     ws="websockets-sansio"))
        self._thread = threading.Thread(target=self._server.run, kwargs={"sockets": [self._socket]},
                                        name="lumiwork-share-front", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 30
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"the share front did not start on {self.url}")
            time.sleep(0.02)
        self._address = record_front_address(self.store.dashboards_dir, host, self.port)

    @property
    def front(self):
        return self.app.state.front

    def stop(self) -> None:
        forget_front_address(self.store.dashboards_dir, self._address)
        self._server.should_exit = True
        self._thread.join(timeout=60)
        self._socket.close()
        self.store.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def serve_front(host: str = "127.0.0.1", port: int = DEFAULT_SHARE_PORT, data_dir: Path | None = None,
                api_url: str | None = None, settings: Settings | None = None) -> None:
    """Run the share front in the foreground until interrupted."""
    settings = settings or Settings.from_environment()
    store = Store(data_dir or settings.data_dir)
    sock = _bind(host, port)
    api_url = api_url or api_url_for(settings)
    port = sock.getsockname()[1]
    recorded = record_front_address(store.dashboards_dir, host, port)
    if settings.share_url_given:
        links = f"; share links open at {settings.share_url_given}"
    elif recorded is None:
        links = "; set LUMIWORK_SHARE_URL to the address colleagues use before `lumiwork share create`"
    else:
        links = ""
    print(f"lumiwork dashboards at http://{host}:{port}/ (kernels read {api_url}; data in {store.data_dir}){links}",
          flush=True)
    try:
        uvicorn.Server(uvicorn.Config(create_front(store, api_url), log_level="warning",
                                      ws="websockets-sansio")).run(sockets=[sock])
    finally:
        forget_front_address(store.dashboards_dir, recorded)
