"""ASGI middleware for what every request shares, and the sub-application
each API (dialect) is mounted as."""
from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from .dialect import Dialect

if TYPE_CHECKING:
    from ..state import ServerState

LOOPBACK_NAMES = {"localhost", "127.0.0.1", "::1"}


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
    its own domain at 127.0.0.1 (DNS rebinding), as Jupyter's server guards.
    The refusal is in the dialect of the API asked."""

    def __init__(self, app: ASGIApp, dialect: Dialect):
        self.app = app
        self.dialect = dialect

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope["headers"]).get(b"host", b"").decode("latin-1")
            if host and not is_loopback_host(host):
                await self.dialect.render_error(self.dialect.host_not_allowed(host))(scope, receive, send)
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


def api_app(dialect: Dialect, routes: Sequence[BaseRoute], server: ServerState, loopback_only: bool) -> Starlette:
    """One API as its own application: its routes, and its dialect's answers for
    what no handler answers (no such route, a method not allowed, a crash)."""

    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        if exc.status_code == 405:
            error = dialect.method_not_allowed(request.method, (exc.headers or {}).get("Allow", ""))
        else:
            error = dialect.route_not_found(request.url.path)
        return dialect.render_error(error)

    async def crash(request: Request, exc: Exception) -> Response:
        return dialect.render_error(dialect.server_error())

    middleware = [Middleware(LoopbackHostMiddleware, dialect=dialect)] if loopback_only else []
    app = Starlette(routes=list(routes), middleware=middleware,
                    exception_handlers={HTTPException: http_error, Exception: crash})
    app.state.server = server
    app.state.dialect = dialect
    return app
