"""Compass's HTTP conventions, apart from API v4's: Django-REST-style bodies with
no envelope, ``{"detail": ...}`` for authentication and permission errors,
field errors ``{"name": ["This field is required."]}``, paginated lists of at
most 20, 201 on create and 204 on delete, and one two-week token per user.

Handlers are plain functions ``handler(call) -> Answer | result`` run on a
worker thread, as in API v4 (`..http`), sharing its body limit, strict JSON and
text hygiene.
"""
from __future__ import annotations

import logging
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..http import (
    LIMITS,
    ApiError,
    Incoming,
    Params,
    check_text,
    dumps_json,
    loads_strict,
    parse_body,
    path_integer,
    read_body,
)
from ..store import StorageFull

if TYPE_CHECKING:
    from ..app import ApiServer

log = logging.getLogger(__name__)

PAGE_SIZE = 20
TOKEN_DAYS = 14
LEVELS = ("read", "readwrite", "manage")
REQUIRED = "This field is required."
# Times are accepted from the year 1 to 9999 (UTC), what an ISO 8601 answer can show.
EARLIEST, LATEST = -62135596800, 253402300799
# What a user whose password was reset may still do.
ALLOWED_BEFORE_RESET = {"change_password", "get_user"}


class CompassError(Exception):
    """An error answer with a Compass body: a dict of field errors or {"detail": ...}."""

    def __init__(self, status: int, body: dict | list | str):
        super().__init__(body)
        self.status = status
        self.body = body


def detail(status: int, message: str) -> CompassError:
    return CompassError(status, {"detail": message})


def not_found(what: str = "Not found.") -> CompassError:
    return detail(404, what)


class FieldErrors:
    """Collects ``{field: [messages]}`` and raises them together as one 400."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise CompassError(400, self.errors)


class CompassParams(Params):
    """Params that also remember the query string in order, for page links."""

    def __init__(self, values: dict[str, Any], query_pairs: list[tuple[str, str]]):
        super().__init__(values)
        self.query_pairs = query_pairs

    def query_value(self, name: str) -> str | None:
        """A value from the query string only (not the body)."""
        return next((value for key, value in self.query_pairs if key == name), None)


@dataclass
class Answer:
    """A non-200 answer: 201 with a body, or 204 without."""

    body: Any = None
    status: int = 200


@dataclass
class CompassCall:
    """One Compass request as handlers see it."""

    server: ApiServer
    params: CompassParams
    body: Any
    path: dict[str, str]
    method: str
    url: str
    client_address: str
    username: str = ""
    user: Any = None
    extra: dict = field(default_factory=dict)

    @property
    def store(self):
        return self.server.store

    @property
    def compass(self):
        return self.server.compass

    @property
    def is_admin(self) -> bool:
        return bool(self.user and self.user["admin"])

    def page(self, items: list, transform: Callable[[Any], Any] = lambda item: item,
             number: int | None = None) -> dict:
        """A page of `items` as ``{count, next, previous, results}`` (?page=N, 20 a
        page, unless `number` is given)."""
        if number is None:
            number = self.params.integer("page", 1, minimum=1)
        start = (number - 1) * PAGE_SIZE
        pages = max(1, math.ceil(len(items) / PAGE_SIZE))
        if number > pages:
            raise not_found("Invalid page.")
        return {
            "count": len(items),
            "next": self._page_url(number + 1) if number < pages else None,
            "previous": self._page_url(number - 1) if number > 1 else None,
            "results": [transform(item) for item in items[start:start + PAGE_SIZE]],
        }

    def _page_url(self, number: int) -> str:
        base, _, query = self.url.partition("?")
        values = [(k, v) for k, v in self.params.query_pairs if k != "page"]
        if number > 1:
            values.append(("page", str(number)))
        return base + ("?" + urlencode(values) if values else "")

    def absolute(self, path: str) -> str:
        """The URL of an API path like 'projects/abc/'."""
        return self.extra["root"] + path


# ---- field parsing ---------------------------------------------------------------------------

def bulk_items(call: CompassCall, what: str) -> list:
    """The items of a request that takes one object or a list of them (a JSON list,
    else the one object's fields). More than LIMITS["documents per upload"] is a
    413 before any item is looked at, so nothing is stored or computed: the same
    cap as API v4's uploads, for every Compass endpoint that takes a list."""
    items = call.body if isinstance(call.body, list) else [call.params.values]
    most = LIMITS["documents per upload"]
    if len(items) > most:
        raise CompassError(413, {"detail": f"At most {most:,} {what} per request ({len(items):,} sent): "
                                           "send them in several requests."})
    return items


def text_field(errors: FieldErrors, values: dict, name: str, required: bool = False,
               limit: str = "any other parameter", choices: tuple[str, ...] | None = None,
               multiline: bool = False) -> str | None:
    """A string field, recording a field error if it is missing, not a string,
    too long, unclean or not one of `choices`."""
    value = values.get(name)
    if value is None or value == "":
        if required:
            errors.add(name, REQUIRED if value is None else "This field may not be blank.")
        return None
    if not isinstance(value, str):
        errors.add(name, "Not a valid string.")
        return None
    try:
        check_text(name, value, limit, multiline)
    except ApiError as error:
        errors.add(name, error.message)
        return None
    if choices is not None and value not in choices:
        errors.add(name, f'"{value[:50]}" is not a valid choice; use one of {", ".join(choices)}.')
        return None
    return value


BOOLEAN_FALSE = {"f", "false", "0", "", "no", "off"}


def boolean_field(errors: FieldErrors, values: dict, name: str, default: bool = False) -> bool:
    """Compass booleans: JSON true/false, or in forms f/F/false/False/FALSE/0 are
    false and anything else is true."""
    value = values.get(name)
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, int)):
        return str(value).strip().lower() not in BOOLEAN_FALSE
    errors.add(name, "Must be a valid boolean.")
    return default


def json_field(errors: FieldErrors, name: str, value: Any) -> Any:
    """A field that may come JSON-encoded (a form field), decoded strictly: NaN,
    out-of-range numbers, lone surrogates and deep nesting are field errors, as
    anywhere else in a body. Returns None (with the error recorded) when invalid."""
    if not isinstance(value, str):
        return value
    try:
        return loads_strict(value)
    except ApiError as error:
        errors.add(name, f"Value must be valid JSON: {error.message}")
        return None


def time_field(errors: FieldErrors, values: dict, name: str, required: bool = False) -> float | None:
    """A time as an ISO 8601 string or seconds since 1970 (years 1 to 9999)."""
    value = values.get(name)
    if value is None or value == "":
        if required:
            errors.add(name, REQUIRED)
        return None
    try:
        return parse_time(value)
    except ValueError as exc:
        errors.add(name, str(exc))
        return None


def parse_time(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("Not a valid time.")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip()
        if not text.isascii():  # float() reads "٣" as 3: Unicode digits are refused, as in ids
            raise ValueError("Not a valid time: use ISO 8601 (2014-08-17T12:45:01+00:00) or "
                             "seconds since 1970, in ASCII digits.")
        try:
            seconds = float(text)
        except ValueError:
            try:
                parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            except ValueError:
                raise ValueError("Not a valid time: use ISO 8601 (2014-08-17T12:45:01+00:00) or "
                                 "seconds since 1970.") from None
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=UTC)
            seconds = parsed.timestamp()
    else:
        raise ValueError("Not a valid time.")
    if not math.isfinite(seconds) or not EARLIEST <= seconds <= LATEST:
        raise ValueError("Not a valid time: outside the years 1 to 9999.")
    return seconds


def iso(seconds: float | None) -> str | None:
    """A time as Compass answers it: ISO 8601 in UTC."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat()


# ---- the endpoint wrapper --------------------------------------------------------------------

def compass_endpoint(handler: Callable[[CompassCall], Any], public: bool = False):
    """A Starlette endpoint for a Compass handler: body limit, parsing, token
    authentication, and the answer in Compass's conventions."""

    async def run(request: Request) -> Response:
        server: ApiServer = request.app.state.api
        try:
            body = await read_body(request, server.max_body)
            content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
            incoming = Incoming(request.headers.get("authorization", ""), dict(request.query_params),
                                body, content_type, None)
            call = CompassCall(server, CompassParams({}, list(request.query_params.multi_items())),
                               None, dict(request.path_params), request.method, str(request.url),
                               request.client.host if request.client else "",
                               extra={"root": str(request.base_url).rstrip("/") + "/compass/api/"})
            return await run_in_threadpool(_respond, call, handler, public, incoming)
        except CompassError as error:
            return _json(error.body, error.status)
        except ApiError as error:
            return _json({"detail": error.message}, error.status, error.headers)

    run.__name__ = handler.__name__
    return run


def _respond(call: CompassCall, handler, public: bool, incoming: Incoming) -> Response:
    try:
        if not public:
            call.username = call.compass.authenticate(incoming.authorization)
            call.user = call.store.user(call.username)
            if call.user["must_reset_password"] and handler.__name__ not in ALLOWED_BEFORE_RESET:
                raise detail(403, f"You must change your password first: PUT users/{call.username}/password/")
        params, call.body = parse_body(incoming.query, incoming.body, incoming.content_type, None)
        call.params = CompassParams(params.values, call.params.query_pairs)
        result = handler(call)
    except (CompassError, ApiError):
        raise
    except StorageFull:
        raise detail(507, "The server's disk is full: nothing of this request was stored.") from None
    except Exception:
        log.exception("error in Compass %s %s", call.method, handler.__name__)
        raise detail(500, "The server failed to answer; see its log.") from None
    try:
        if isinstance(result, Answer):
            if result.status == 204:
                return Response(status_code=204)
            return _json(result.body, result.status)
        return _json(result, 200)
    except (ValueError, UnicodeError):  # an answer JSON cannot carry is the server's fault
        log.exception("cannot encode the answer of Compass %s %s", call.method, handler.__name__)
        raise detail(500, "The server failed to answer; see its log.") from None


def path_id(call: CompassCall, name: str) -> int:
    """An integer id from the path, or 404 (unicode digits and 24-digit numbers included)."""
    number = path_integer(name, call.path[name])
    if number is None:
        raise not_found()
    return number


def compass_error(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    return _json({"detail": message}, status, headers)


def _json(body: Any, status: int, headers: Mapping[str, str] | None = None) -> Response:
    return Response(dumps_json(body), status_code=status, media_type="application/json", headers=headers)
