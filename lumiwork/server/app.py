"""create_app: composition only. Each API is mounted as its own application
in its dialect (core/middleware.api_app) over the one pipeline; what they
share is made once (`ServerState`) and started and stopped by the lifespan."""
from __future__ import annotations

import asyncio
import contextlib
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.routing import Mount, Route

from ..settings import Settings
from ..wire.names import COMPASS_ROOT, MANAGE_ROOT, V4_ROOT, V5_ROOT
from . import compass, manage, sharing, v4, v5
from .compass.dialect import CompassDialect
from .core.dialect import Answer
from .core.limits import DEFAULT_MAX_BODY
from .core.metering import Meter
from .core.middleware import TrailingSlashMiddleware, api_app
from .core.pipeline import Call, endpoint
from .db import Store
from .manage.dialect import ManageDialect
from .notify import Clock, RetryPolicy
from .sharing.dialect import SharingDialect
from .state import ServerState
from .v4.dialect import V4Dialect
from .v5.dialect import V5Dialect

METER_FLUSH_SECONDS = 2.0


def create_app(store: Store, max_body: int = DEFAULT_MAX_BODY, loopback_only: bool = False,
               settings: Settings | None = None, clock: Clock | None = None,
               retry_policy: RetryPolicy | None = None) -> Starlette:
    """The application: API v4 under /api/v4, API v5 under /api/v5, Compass under
    /compass/api, lumiwork's own management API under /api/manage, and the sharing API
    (dashboards, shares, exports, schedules) under /api/sharing. With `loopback_only`,
    requests whose Host is not loopback are refused (set it when bound to
    loopback). Paths under none of them answer in API v4's dialect; GET / says
    where each API is."""
    server = ServerState(store, settings, max_body, clock, retry_policy)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        server.start()
        flusher = asyncio.create_task(_flush_meter_every(server.meter, METER_FLUSH_SECONDS))
        try:
            yield
        finally:
            flusher.cancel()
            server.stop()

    v4_dialect, v5_dialect, compass_dialect = V4Dialect(), V5Dialect(), CompassDialect()
    manage_dialect, sharing_dialect = ManageDialect(), SharingDialect()
    app = Starlette(routes=[
        Mount(v4_dialect.root, app=api_app(v4_dialect, v4.routes, server, loopback_only)),
        Mount(v5_dialect.root, app=api_app(v5_dialect, v5.routes, server, loopback_only)),
        Mount(compass_dialect.root, app=api_app(compass_dialect, compass.routes, server, loopback_only)),
        Mount(manage_dialect.root, app=api_app(manage_dialect, manage.routes, server, loopback_only)),
        Mount(sharing_dialect.root, app=api_app(sharing_dialect, sharing.routes, server, loopback_only)),
        Mount("", app=api_app(v4_dialect, [Route("/", endpoint(server_index, public=True), methods=["GET"])],
                              server, loopback_only)),
    ], middleware=[Middleware(TrailingSlashMiddleware)], lifespan=lifespan)
    app.state.server = server
    return app


def server_index(call: Call) -> Answer:
    """GET /: where each API of this server is documented."""
    parts = urlsplit(call.url)
    base = f"{parts.scheme}://{parts.netloc}"
    return Answer("lumiwork server\n===============\n\n"
                  "Each API documents its endpoints at its root:\n\n"
                  f"  Analytics API v4          {base}{V4_ROOT}\n"
                  f"  API v5                    {base}{V5_ROOT}\n"
                  f"  Compass API               {base}{COMPASS_ROOT}\n"
                  f"  lumiwork management API   {base}{MANAGE_ROOT}  (channels, alerts, deliveries)\n"
                  f"  lumiwork sharing API      {base}/api/sharing/  (dashboards, shares, exports, schedules)\n\n"
                  "Every API takes 'Authorization: Token <token>'; they share users and tokens.\n",
                  media_type="text/plain; charset=utf-8")


def limit_blas_threads() -> None:
    """Give numpy's BLAS one thread, for a process that only serves (`lumiwork serve`).

    OpenBLAS keeps one pool of threads, one per core, shared by every caller:
    queries running at once on the request threads each asked it for every
    core and spun waiting for each other (CHANGELOG.md). Concurrent
    requests, not BLAS threads, keep the cores busy. Builds run in their own
    process and keep all their BLAS threads. Not for the embedded server: it
    shares its process with the user's numpy.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


async def _flush_meter_every(meter: Meter, seconds: float) -> None:
    while True:
        await asyncio.sleep(seconds)
        await run_in_threadpool(meter.flush)
