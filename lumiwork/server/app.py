"""create_app: the ASGI application on Starlette's own routing, with middleware
for the work every request shares (trailing slashes, the Host check)."""
from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import threading

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.types import ASGIApp, Receive, Scope, Send

from . import auth, compass, v4
from .compass.http import compass_error
from .compass.service import CompassService
from .http import DEFAULT_MAX_BODY, ApiError, Meter, ReadLimiter, error_response
from .jobs import BackgroundProvider, JobWatch, ModelCache, Recalculator, warm_up_process
from .store import Store

log = logging.getLogger(__name__)

API_ROOT = "/api/v4"
COMPASS_ROOT = "/compass/api"
METER_FLUSH_SECONDS = 2.0
LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


class ApiServer:
    """State shared by all requests of one server: store, models, recalculator,
    login throttle and usage meter."""

    def __init__(self, store: Store, max_body: int = DEFAULT_MAX_BODY):
        self.store = store
        self.max_body = max_body
        self.background = BackgroundProvider(store.data_dir)
        # Load (or build, about 3 s) general knowledge before the first recalculation needs it.
        threading.Thread(target=self.background.get, name="lumiwork-background", daemon=True).start()
        # and the search code, so that neither the first recalculation nor the first query waits for it
        threading.Thread(target=warm_up_process, name="lumiwork-warm-up", daemon=True).start()
        self.models = ModelCache(store, background=self.background)
        self.compass = CompassService(store, store.models_dir, self.background)
        self.meter = Meter(store)
        self.read_limiter = ReadLimiter()
        self.requests_in_flight = 0  # API v4 requests between arrival and answer
        self.login_throttle = auth.LoginThrottle()
        store.fail_interrupted_jobs()
        self.job_watch = JobWatch()
        self.recalculator = Recalculator(store, self.models, on_change=self.job_watch.notify)

    def authenticate(self, authorization: str) -> tuple[str, str, bool]:
        """(username, token, must change a temporary password) of an
        'Authorization: Token <token>' header."""
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "token" or not token:
            raise ApiError(401, "AUTH_REQUIRED",
                           "send an 'Authorization: Token <token>' header (POST user/login/ gives one)")
        owner = self.store.token_owner(token)
        if owner is None:
            raise ApiError(401, "AUTH_TOKEN_INVALID", "the token is unknown, expired or revoked")
        return owner[0], token, owner[1]

    def close(self) -> None:
        self.recalculator.stop()
        self.compass.close()
        self.meter.flush()


class TrailingSlashMiddleware:
    """Every API path ends with '/', and clients may leave it off: add it
    before routing rather than redirecting (a redirect would drop POST bodies
    in some clients)."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not scope["path"].endswith("/"):
            scope = {**scope, "path": scope["path"] + "/"}
        await self.app(scope, receive, send)


class LoopbackHostMiddleware:
    """While bound to loopback, answer only requests whose Host header names
    loopback: a web page on another site cannot reach the server by pointing
    its own domain at 127.0.0.1 (DNS rebinding), as Jupyter's server guards."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if host and not is_loopback_host(host):
                error = ApiError(403, "HOST_NOT_ALLOWED", f"this server answers only requests "
                                 f"for localhost or 127.0.0.1, not {host[:100]!r}")
                await error_response(error)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def is_loopback_host(host: str) -> bool:
    """Whether a Host header value ('name', 'name:port', '[::1]:port') is loopback."""
    if host.startswith("["):
        name = host[1:host.find("]")] if "]" in host else host
    else:
        name = host.split(":")[0] if host.count(":") == 1 else host
    name = name.lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405 (no route, wrong method) in the v4 envelope, or in
    Compass's {"detail": ...} under /compass/api."""
    assert isinstance(exc, HTTPException)
    if request.url.path.startswith(COMPASS_ROOT + "/"):
        message = (f'Method "{request.method}" not allowed.' if exc.status_code == 405
                   else "Not found." if exc.status_code == 404 else str(exc.detail))
        return compass_error(exc.status_code, message, exc.headers)
    if exc.status_code == 405:
        allowed = (exc.headers or {}).get("Allow", "")
        error = ApiError(405, "METHOD_NOT_ALLOWED",
                         f"{request.method} is not allowed here; use {allowed}")
    elif exc.status_code == 404:
        error = ApiError(404, "NOT_FOUND", f"no endpoint {request.url.path[:200]!r}; "
                         f"GET {API_ROOT}/ lists them")
    else:
        error = ApiError(exc.status_code, "HTTP_ERROR", str(exc.detail))
    return error_response(error)


def create_app(store: Store, max_body: int = DEFAULT_MAX_BODY,
               loopback_only: bool = False) -> Starlette:
    """The application: API v4 under /api/v4 and Compass under /compass/api. With `loopback_only`, requests
    whose Host is not loopback are refused (set it when bound to loopback)."""
    server = ApiServer(store, max_body)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        flusher = asyncio.create_task(_flush_meter_every(server.meter, METER_FLUSH_SECONDS))
        try:
            yield
        finally:
            flusher.cancel()
            server.close()

    middleware = [Middleware(TrailingSlashMiddleware)]
    if loopback_only:
        middleware.insert(0, Middleware(LoopbackHostMiddleware))
    app = Starlette(routes=[Mount(API_ROOT, routes=v4.routes), Mount(COMPASS_ROOT, routes=compass.routes)],
                    middleware=middleware,
                    lifespan=lifespan, exception_handlers={HTTPException: http_error})
    app.state.api = server
    return app


def limit_blas_threads() -> None:
    """Give numpy's BLAS one thread, for a process that only serves (`lumiwork serve`).

    OpenBLAS keeps one pool of threads, one per core, shared by every caller:
    20 queries running at once on the request threads each asked it for both
    cores and spun waiting for each other. With 20 clients on 2 cores and
    100,000 documents the server answered 9 requests a second instead of 160.
    Concurrent requests, not BLAS threads, keep the cores busy. Recalculations
    run in their own process (builder.py) and keep all their BLAS threads.
    Not for the embedded server: it shares its process with the user's numpy.
    """
    from threadpoolctl import threadpool_limits

    threadpool_limits(1, user_api="blas")


async def _flush_meter_every(meter: Meter, seconds: float) -> None:
    from starlette.concurrency import run_in_threadpool

    while True:
        await asyncio.sleep(seconds)
        await run_in_threadpool(meter.flush)
