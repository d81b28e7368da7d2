"""The endpoint pipeline every API's handlers run through, once for all dialects.

A handler is a plain function ``handler(call) -> result``. `endpoint` wraps it
as a Starlette endpoint that, for every request of every API:

1. reads the body within the size limit (on the event loop);
2. on a worker thread: authenticates the token (unless the endpoint is
   public), refuses a user who must first change a temporary password, parses
   the query string and the body (form, multipart or JSON; strict JSON), runs
   the handler, counts the call, and renders the answer;
3. turns every failure into an error answer in the API's dialect: ApiError as
   raised, a full disk as 507, anything else as a logged 500 that says nothing
   of the server's insides.

Parsing and engine work never run on the event loop, so one heavy request
(a 30 MB body) does not stall the others; the one exception is a short read
that an idle server answers on the loop itself (`quick_when_idle`).
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

import anyio.to_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..db.database import StorageFull
from .dialect import Dialect, Identity
from .errors import ApiError
from .jsonstrict import loads_strict
from .params import Params

if TYPE_CHECKING:
    from ..db import Store
    from ..state import ServerState

log = logging.getLogger(__name__)


@dataclass
class Call:
    """One request as handlers see it."""

    server: ServerState
    dialect: Dialect
    params: Params
    body: Any
    path: dict[str, str]
    method: str
    url: str          # the whole URL asked for, query string included
    api_url: str      # the root of this request's API, e.g. http://127.0.0.1:8765/compass/api/
    client_address: str
    username: str = ""  # empty for public endpoints
    token: str = ""
    admin: bool = False

    @property
    def store(self) -> Store:
        return self.server.store


Handler = Callable[[Call], Any]
# Whether a GET may run on an idle server's event loop, given the call (its path) and the query string.
QuickCheck = Callable[[Call, dict[str, str]], bool]


@dataclass
class Incoming:
    """What the event loop reads of a request before handing it to a worker thread."""

    authorization: str
    query: list[tuple[str, str]]
    body: bytes
    content_type: str
    form: dict[str, str] | None


def endpoint(handler: Handler, public: bool = False, kind: str = "regular",
             quick_when_idle: QuickCheck | None = None, allowed_before_reset: bool = False,
             reads_only: bool = False):
    """A Starlette endpoint running `handler` through the pipeline (see the
    module's docstring), in the dialect of the API it is mounted under.

    `public` endpoints need no token. `kind` is how the call is counted
    ("regular" or "big", see `Meter`). `allowed_before_reset` lets a user whose
    password was reset call it (to change the password, or log out).
    `reads_only` marks a POST or PUT that changes nothing (a query with a body),
    which a project-scoped read-only token may call.

    A GET for which `quick_when_idle` says yes runs on the event loop when no
    other request is in flight: no one is then waiting for the loop, and it
    saves the two thread switches there and back. A request that arrives
    meanwhile waits for it, as it would wait for a turn of the read threads.
    """

    async def run(request: Request) -> Response:
        server: ServerState = request.app.state.server
        server.requests_in_flight += 1  # only ever changed on the event loop
        try:
            return await _run(request, server, request.app.state.dialect)
        finally:
            server.requests_in_flight -= 1

    async def _run(request: Request, server: ServerState, dialect: Dialect) -> Response:
        try:
            body = await read_body(request, server.max_body)
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            form = await _multipart(request, body) if body and content_type == "multipart/form-data" else None
            incoming = Incoming(request.headers.get("authorization", ""), request.query_params.multi_items(),
                                body, content_type, form)
            call = Call(server, dialect, Params({}), None, dict(request.path_params), request.method,
                        str(request.url), str(request.url.replace(path=dialect.root + "/", query="", fragment="")),
                        request.client.host if request.client else "")
            # The answer is rendered on the worker too: serialising a large one
            # (30 MB of text with its term spans) took seconds of event loop.
            if public or request.method not in ("GET", "HEAD"):
                return await run_in_threadpool(_respond, call, handler, public, kind, allowed_before_reset,
                                               incoming, reads_only)
            if (quick_when_idle is not None and server.requests_in_flight == 1
                    and _is_quick(quick_when_idle, call, incoming)):
                return _respond(call, handler, public, kind, allowed_before_reset, incoming, True)
            return await anyio.to_thread.run_sync(_respond, call, handler, public, kind, allowed_before_reset,
                                                  incoming, True, limiter=server.read_limiter())
        except ApiError as error:
            return dialect.render_error(error)

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


def _is_quick(check: QuickCheck, call: Call, incoming: Incoming) -> bool:
    """What `check` says; a check that cannot tell (odd input) says no."""
    try:
        return check(call, dict(incoming.query))
    except Exception:
        return False


def _respond(call: Call, handler: Handler, public: bool, kind: str, allowed_before_reset: bool,
             incoming: Incoming, reads_only: bool) -> Response:
    dialect = call.dialect
    try:
        result = _answer(call, handler, public, kind, allowed_before_reset, incoming, reads_only)
        return dialect.render(result)
    except ApiError as error:
        return dialect.render_error(error)
    except (ValueError, UnicodeError):  # an answer JSON cannot carry is the server's fault
        log.exception("cannot encode the answer of %s %s", call.method, handler.__name__)
        return dialect.render_error(dialect.server_error())


def _answer(call: Call, handler: Handler, public: bool, kind: str, allowed_before_reset: bool,
            incoming: Incoming, reads_only: bool) -> Any:
    """Authenticate, parse and run a handler (on a worker thread); meter the call."""
    account = call.path.get("account")
    dialect = call.dialect
    try:
        if not public:
            identity = dialect.authenticate(call.server, incoming.authorization)
            call.username, call.token, call.admin = identity.username, identity.token, identity.admin
            if identity.must_reset_password and not allowed_before_reset:
                raise dialect.password_reset_required(identity)
            if identity.project_scope is not None and not within_scope(identity, call.path, reads_only):
                raise dialect.outside_scope(identity)
        call.params, call.body = parse_body(incoming.query, incoming.body, incoming.content_type, incoming.form)
        result = handler(call)
    except ApiError:
        if account and call.username:
            call.server.meter.record(account, "failed")
        raise
    except StorageFull:
        raise dialect.storage_full() from None
    except Exception:
        log.exception("error in %s %s", call.method, handler.__name__)
        raise dialect.server_error() from None
    if account and call.username:
        call.server.meter.record(account, kind)
    return result


def within_scope(identity: Identity, path: dict[str, str], reads_only: bool) -> bool:
    """Whether a project-scoped token may make this call: one under its project's
    path (API v4's {project}, Compass's {project_id}) that only reads."""
    project = path.get("project", path.get("project_id"))
    return project == identity.project_scope and (reads_only or not identity.read_only)


async def read_body(request: Request, max_body: int) -> bytes:
    too_large = ApiError(413, "TOO_LARGE", f"the request body is larger than {max_body} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and len(declared) < 20 and int(declared) > max_body:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def parse_body(query: list[tuple[str, str]], body: bytes, content_type: str,
               form: dict[str, str] | None) -> tuple[Params, Any]:
    """Parameters from the query string and the body, plus a JSON array body if any.
    Runs on a worker thread: a large body must not hold the event loop."""
    values: dict[str, Any] = dict(query)
    bulk = None
    if form is not None:
        values.update(form)
    elif body and content_type == "application/x-www-form-urlencoded":
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True,
                              max_num_fields=10_000, errors="strict")
        except (UnicodeDecodeError, ValueError) as exc:
            raise ApiError(400, "INVALID_BODY", f"the form body cannot be read: {exc}") from None
        values.update(pairs)
    elif body and (content_type == "application/json" or body.lstrip()[:1] in (b"[", b"{")):
        parsed = loads_strict(body)
        if isinstance(parsed, dict):
            values.update(parsed)
        else:
            bulk = parsed
    return Params(values, list(query)), bulk


async def _multipart(request: Request, body: bytes) -> dict[str, str]:
    async def replay():
        return {"type": "http.request", "body": body, "more_body": False}

    try:
        form = await Request(request.scope, replay).form()
    except Exception as exc:  # python-multipart raises several unrelated types
        raise ApiError(400, "INVALID_BODY", f"the multipart body cannot be read: {exc}") from None
    try:
        return {k: v for k, v in form.items() if isinstance(v, str)}
    finally:
        await form.close()  # file parts are spooled to temporary files
