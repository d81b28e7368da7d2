"""The HTTP layer every API v4 route shares: errors, strict JSON, lenient parameter
parsing, the {"result", "error"} envelope, body limits, authentication and metering.

Handlers are plain functions ``handler(call) -> result`` wrapped by `endpoint`;
they run on a worker thread, so parsing and engine work never block the event
loop (one 30 MB request must not stall `ping/`).
"""
from __future__ import annotations

import json
import logging
import math
import os
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, overload
from urllib.parse import parse_qsl

import anyio.to_thread
import orjson
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .store import StorageFull

if TYPE_CHECKING:
    from .app import ApiServer
    from .store import Store

log = logging.getLogger(__name__)

# ---- limits (documented in GET /, enforced here and in the routes) --------------------

DEFAULT_MAX_BODY = 64 * 1024 * 1024
MAX_JSON_DEPTH = 32
INT64_MAX = 2**63 - 1
#: Longest accepted value, in characters, of each kind of field.
LIMITS = {
    "document text": 500_000,
    "document title": 1_000,
    "subset name": 500,
    "subsets per document": 100,
    "documents per upload": 100_000,
    "query text": 100_000,
    "project name": 200,
    "project description": 10_000,
    "topic name": 200,
    "topic text": 10_000,
    "term": 500,
    "any other parameter": 100_000,
}


class ApiError(Exception):
    """An error answer: HTTP status, machine-readable code, human message."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None,
                 **details: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.details = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message} (HTTP {self.status})"

    def body(self) -> dict:
        return {"code": self.code, "message": self.message, **self.details}


def bad_parameter(name: str, message: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER", f"parameter '{name}' {message}")


# ---- text and JSON hygiene --------------------------------------------------------------

_SURROGATE = re.compile("[\ud800-\udfff]")
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_WHITESPACE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def text_problem(value: str, multiline: bool = False) -> str | None:
    """Why a string cannot be stored or echoed (None if it can).

    Lone surrogates cannot be encoded as UTF-8, so storing one poisons every
    later answer that includes it; control characters break exports (xlsx)
    and terminals. Multi-line fields (document text) keep tab and newlines.
    """
    if value.isascii() and value.isprintable():
        return None
    if _SURROGATE.search(value):
        return "contains a lone surrogate (not valid Unicode text)"
    pattern = _CONTROL_EXCEPT_WHITESPACE if multiline else CONTROL_CHARACTERS
    if pattern.search(value):
        return "contains a control character"
    return None


def _json_number_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ApiError(400, "INVALID_JSON", f"the number {text[:40]} is out of range")
    return value


def _json_number_int(text: str) -> int:
    value = int(text)
    if not -INT64_MAX - 1 <= value <= INT64_MAX:
        raise ApiError(400, "INVALID_JSON", f"the integer {text[:40]} is out of range (64 bits)")
    return value


def _json_constant(name: str):
    raise ApiError(400, "INVALID_JSON", f"{name} is not a JSON number")


def _check_tree(value: Any) -> None:
    """Depth limit and clean strings everywhere in a decoded JSON value (iterative)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii() and _SURROGATE.search(item):
                raise ApiError(400, "INVALID_JSON", "a string contains a lone surrogate "
                               "(not valid Unicode text)")
        elif isinstance(item, (list, dict)):
            if depth > MAX_JSON_DEPTH:
                raise ApiError(400, "INVALID_JSON",
                               f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)


def loads_strict(data: str | bytes) -> Any:
    """Decode JSON, refusing what Python's json accepts but no answer can carry:
    NaN and Infinity, numbers beyond float or int64 range, lone surrogates and
    nesting deeper than MAX_JSON_DEPTH. Raises ApiError 400 INVALID_JSON."""
    try:
        value = json.loads(data, parse_float=_json_number_float, parse_int=_json_number_int,
                           parse_constant=_json_constant)
    except RecursionError:
        raise ApiError(400, "INVALID_JSON", f"JSON nested deeper than {MAX_JSON_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "INVALID_JSON", f"not valid JSON: {str(exc)[:200]}") from None
    _check_tree(value)
    return value


# ---- parameters -------------------------------------------------------------------------

_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", "none", "null", ""}
_INTEGER = re.compile(r"[+-]?[0-9]+")


class Params:
    """Merged query-string, form and JSON-object parameters of one request.

    Lenient about where a value comes from (query or body, form or JSON) and
    about JSON-encoded values (``limit=20`` or ``limit="20"``), strict about
    what it is: every accessor raises ApiError 400 naming the parameter.
    """

    def __init__(self, values: dict[str, Any]):
        self.values = values

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) is not None

    def given(self, name: str) -> bool:
        """Present at all, even as an empty string or null."""
        return name in self.values

    @overload
    def string(self, name: str, default: str, required: bool = ..., limit: str = ...,
               multiline: bool = ..., allow_empty: bool = ...) -> str: ...
    @overload
    def string(self, name: str, default: None = None, *, required: Literal[True],
               limit: str = ..., multiline: bool = ..., allow_empty: bool = ...) -> str: ...
    @overload
    def string(self, name: str, default: None = None, required: bool = ..., limit: str = ...,
               multiline: bool = ..., allow_empty: bool = ...) -> str | None: ...

    def string(self, name: str, default: str | None = None, required: bool = False,
               limit: str = "any other parameter", multiline: bool = False,
               allow_empty: bool = True) -> str | None:
        value = self.values.get(name)
        if value is None:
            if required:
                raise ApiError(400, "MISSING_PARAMETER", f"parameter '{name}' is required")
            return default
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise bad_parameter(name, "must be a string")
        value = value if isinstance(value, str) else str(value)
        check_text(name, value, limit, multiline)
        if not allow_empty and not value.strip():
            raise bad_parameter(name, "must not be empty")
        return value

    @overload
    def integer(self, name: str, default: int, minimum: int | None = ...,
                maximum: int | None = ...) -> int: ...
    @overload
    def integer(self, name: str, default: None = None, minimum: int | None = ...,
                maximum: int | None = ...) -> int | None: ...

    def integer(self, name: str, default: int | None = None, minimum: int | None = -INT64_MAX - 1,
                maximum: int | None = INT64_MAX) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, str) and value.isascii() and _INTEGER.fullmatch(value.strip()):
            number = int(value.strip())
        elif isinstance(value, int) and not isinstance(value, bool):
            number = value
        else:
            raise bad_parameter(name, f"must be an integer, not {_show(value)}")
        if minimum is not None and number < minimum:
            raise bad_parameter(name, f"must be at least {minimum}")
        if maximum is not None and number > maximum:
            raise bad_parameter(name, f"must be at most {maximum}")
        return number

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        if isinstance(value, bool):
            return value
        if isinstance(value, (str, int)):
            text = str(value).strip().lower()
            if text in _TRUE:
                return True
            if text in _FALSE:
                return False
        raise bad_parameter(name, f"must be true or false, not {_show(value)}")

    def json_value(self, name: str) -> Any:
        """A parameter that may arrive JSON-encoded; a string that is not JSON
        passes through as itself."""
        value = self.values.get(name)
        if isinstance(value, str):
            if len(value) > LIMITS["any other parameter"]:
                raise bad_parameter(name, f"is longer than {LIMITS['any other parameter']} characters")
            try:
                return loads_strict(value)
            except ApiError as error:
                if value.lstrip()[:1] in ("[", "{"):
                    raise bad_parameter(name, f"is not valid JSON ({error.message})") from None
                check_text(name, value)
                return value
        return value

    def string_list(self, name: str, limit: str = "any other parameter") -> list[str] | None:
        """A string or a JSON list of strings; None when absent."""
        if not self.given(name):
            return None
        value = self.json_value(name)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise bad_parameter(name, "must be a string or a JSON list of strings")
        for item in value:
            check_text(name, item, limit)
        return value

    def int_pair(self, name: str) -> tuple[int, int] | None:
        value = self.json_value(name)
        if value is None:
            return None
        if (isinstance(value, list) and len(value) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            return value[0], value[1]
        raise bad_parameter(name, "must be a JSON list of two integers, like [2014, 4]")


def check_text(name: str, value: str, limit: str = "any other parameter",
               multiline: bool = False) -> None:
    """ApiError 400 if a string value is too long or holds unstorable characters."""
    if len(value) > LIMITS[limit]:
        raise ApiError(400, "TOO_LONG", f"{name} is longer than {LIMITS[limit]} characters "
                       f"(the limit for {limit})")
    problem = text_problem(value, multiline)
    if problem:
        raise bad_parameter(name, problem)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def path_integer(name: str, value: str) -> int | None:
    """An id segment of the path as an int, or None if it is not a plain int64."""
    if value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


# ---- requests and answers ------------------------------------------------------------------

@dataclass
class Raw:
    """A non-JSON answer (documentation, csv, xlsx)."""

    body: bytes | str
    media_type: str
    headers: dict = field(default_factory=dict)


@dataclass
class Call:
    """One request as handlers see it."""

    server: ApiServer
    params: Params
    body: Any
    path: dict[str, str]
    method: str
    client_address: str
    username: str = ""  # empty for public endpoints
    token: str = ""

    @property
    def store(self) -> Store:
        return self.server.store


def envelope(result: Any, status: int = 200) -> Response:
    if isinstance(result, Raw):
        return Response(result.body, status_code=status, media_type=result.media_type,
                        headers=result.headers)
    return Response(render_envelope(result), status_code=status, media_type="application/json")


def dumps_json(value: Any) -> bytes:
    """Compact UTF-8 JSON. orjson writes a `docs/search` answer (~300 small
    dicts and lists) several times faster than json; NaN and infinity, which
    JSON cannot carry, become null there (as JavaScript's JSON.stringify
    has them). What orjson refuses (a lone surrogate, an integer past 64
    bits) goes to json, which raises ValueError or UnicodeError as before."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, allow_nan=False,
                          separators=(",", ":")).encode("utf-8")


def render_envelope(result: Any) -> bytes:
    """{"result": result, "error": null} as JSON bytes.

    A list is encoded item by item: one json.dumps call holds the GIL until it
    returns, and encoding a 30 MB answer in one call kept the event loop (and
    every `ping/`) waiting for 4 s.
    """
    if isinstance(result, list) and len(result) > 1:
        items = b",".join(dumps_json(item) for item in result)
        return b'{"result":[' + items + b'],"error":null}'
    return dumps_json({"result": result, "error": None})


def error_response(error: ApiError) -> Response:
    return JSONResponse({"result": None, "error": error.body()}, status_code=error.status,
                        headers=error.headers)


async def read_body(request: Request, max_body: int) -> bytes:
    too_large = ApiError(413, "TOO_LARGE", f"the request body is larger than {max_body} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > max_body:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > max_body:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def parse_body(query: dict[str, str], body: bytes, content_type: str,
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
    return Params(values), bulk


Handler = Callable[[Call], Any]
# What a user whose password was reset (a temporary one) may still do.
ALLOWED_BEFORE_RESET = {"change_password", "logout"}


@dataclass
class Incoming:
    """What the event loop reads of a request before handing it to a worker thread."""

    authorization: str
    query: dict[str, str]
    body: bytes
    content_type: str
    form: dict[str, str] | None


# Whether a request may run on the event loop (see `endpoint`): given the call
# (its path) and the query string.
QuickCheck = Callable[[Call, dict[str, str]], bool]


def endpoint(handler: Handler, public: bool = False, kind: str = "regular",
             quick_when_idle: QuickCheck | None = None):
    """A Starlette endpoint running `handler` with parsed parameters, the caller's
    identity (unless `public`), the envelope and metering of `kind` calls.

    Handlers run on worker threads, except that a GET for which
    `quick_when_idle` says yes runs on the event loop when no other request is in
    flight: no one is then waiting for the loop, and it saves the two thread
    switches there and back, 0.3-0.5 ms of a ~3 ms `docs/search` at 100,000
    documents on the 2-core machine in alternating runs (benchmarks/RESULTS.md).
    A request that arrives meanwhile waits for it, as it would wait for a turn
    of the read threads. While others are in flight, it takes a worker thread as
    every other read does.
    """

    async def run(request: Request) -> Response:
        server: ApiServer = request.app.state.api
        server.requests_in_flight += 1  # only ever changed on the event loop
        try:
            return await _run(request, server)
        finally:
            server.requests_in_flight -= 1

    async def _run(request: Request, server: ApiServer) -> Response:
        try:
            body = await read_body(request, server.max_body)
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            form = await _multipart(request, body) if body and content_type == "multipart/form-data" else None
            incoming = Incoming(request.headers.get("authorization", ""), dict(request.query_params),
                                body, content_type, form)
            call = Call(server, Params({}), None, dict(request.path_params), request.method,
                        request.client.host if request.client else "")
            # The answer is rendered on the worker too: serialising a large one
            # (30 MB of text with its term spans) took seconds of event loop.
            if public or request.method not in ("GET", "HEAD"):
                return await run_in_threadpool(_respond, call, handler, public, kind, incoming)
            if (quick_when_idle is not None and server.requests_in_flight == 1
                    and quick_when_idle(call, incoming.query)):
                return _respond(call, handler, public, kind, incoming)
            return await anyio.to_thread.run_sync(_respond, call, handler, public, kind, incoming,
                                                  limiter=server.read_limiter())
        except ApiError as error:
            return error_response(error)

    run.__name__ = handler.__name__
    run.__doc__ = handler.__doc__
    return run


def _respond(call: Call, handler: Handler, public: bool, kind: str, incoming: Incoming) -> Response:
    result = _answer(call, handler, public, kind, incoming)
    try:
        return envelope(result)
    except (ValueError, UnicodeError):  # an answer JSON cannot carry is the server's fault
        log.exception("cannot encode the answer of %s %s", call.method, handler.__name__)
        raise ApiError(500, "SERVER_ERROR", "the server failed to answer; see its log") from None


def _answer(call: Call, handler: Handler, public: bool, kind: str, incoming: Incoming) -> Any:
    """Authenticate, parse and run a handler (on a worker thread); meter the call."""
    account = call.path.get("account")
    try:
        if not public:
            call.username, call.token, must_reset = call.server.authenticate(incoming.authorization)
            if must_reset and handler.__name__ not in ALLOWED_BEFORE_RESET:
                raise ApiError(403, "PASSWORD_RESET_REQUIRED", "this user has a temporary password: change it "
                               "first (PUT user/password/ with old_password and new_password)")
        call.params, call.body = parse_body(incoming.query, incoming.body, incoming.content_type,
                                            incoming.form)
        result = handler(call)
    except ApiError:
        if account and call.username:
            call.server.meter.record(account, "failed")
        raise
    except StorageFull:
        raise ApiError(507, "STORAGE_FULL", "the server's disk is full: nothing of this request "
                       "was stored; free space and try again") from None
    except Exception:
        log.exception("error in %s %s", call.method, handler.__name__)
        raise ApiError(500, "SERVER_ERROR", "the server failed to answer; see its log") from None
    if account and call.username:
        call.server.meter.record(account, kind)
    return result


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


# ---- concurrency ------------------------------------------------------------------------

#: Authenticated reads (searches, statistics, lists) running at once; more wait their turn.
READ_THREADS = max(2, os.cpu_count() or 2)


class ReadLimiter:
    """How many authenticated GETs run at once: READ_THREADS, where everything
    else shares Starlette's pool of 40 threads.

    The reads are CPU-bound, and with 20 of them sharing the GIL the event loop
    and every request waited on each other: at 100,000 documents with 20 clients
    on 2 cores, limiting them to 2 at a time raised throughput from 205 to 262
    requests a second and cut p99 from about 240-560 ms to 170 ms, since a request
    now waits in line instead of being sliced against 19 others. Writes and
    public endpoints (ping/) stay outside, so a long upload neither takes a turn
    nor waits for one. The cost: as many long reads at once as there are turns
    (whole-project document downloads) hold the other reads until one ends.
    """

    def __init__(self, threads: int = READ_THREADS):
        self.threads = threads
        self._limiter: anyio.CapacityLimiter | None = None

    def __call__(self) -> anyio.CapacityLimiter:
        # Made on first use: a CapacityLimiter belongs to the running event loop.
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        return self._limiter


# ---- metering ---------------------------------------------------------------------------

class Meter:
    """Call counts per account and month, kept in memory and written in batches.

    Bookkeeping must never fail a request: a write that fails (a full disk)
    keeps the counts for the next flush and is only logged.
    """

    def __init__(self, store: Store):

        self.store = store
        self._pending: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()

    def record(self, account_id: str, kind: str) -> None:
        period = time.strftime("%Y-%m", time.gmtime())
        kinds = (kind,) if kind == "failed" else (kind, "billable")
        keys = [(account_id, period, name) for name in kinds]
        with self._lock:
            counted_before = all(key in self._pending for key in keys)
        # `account_id` is whatever the request's path names. The store drops the counts
        # of accounts that do not exist when it flushes, but while flushes fail (a full
        # disk) made-up names would pile up here without end: only real accounts are
        # counted (one look-up per account and flush).
        if not counted_before and not self._account_exists(account_id):
            return
        with self._lock:
            for key in keys:
                self._pending[key] = self._pending.get(key, 0) + 1

    def _account_exists(self, account_id: str) -> bool:
        try:
            return self.store.account(account_id) is not None
        except Exception:  # bookkeeping must never fail the request it counts
            log.warning("could not check account %r for usage counting", account_id[:100], exc_info=True)
            return False

    def pending(self, account_id: str, period: str) -> dict[str, int]:
        with self._lock:
            return {kind: n for (account, month, kind), n in self._pending.items()
                    if account == account_id and month == period}

    def flush(self) -> None:
        with self._lock:
            counts, self._pending = self._pending, {}
        if not counts:
            return
        try:
            self.store.add_usage(counts)
        except Exception:
            log.warning("could not record usage counts; keeping them for later", exc_info=True)
            with self._lock:
                for key, n in counts.items():
                    self._pending[key] = self._pending.get(key, 0) + n
