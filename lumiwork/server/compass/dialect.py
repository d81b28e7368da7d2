"""Compass's dialect, apart from API v4's: Django-REST-style bodies with no
envelope, ``{"detail": ...}`` for authentication, permission and not-found
errors, field errors ``{"name": ["This field is required."]}``, paginated
lists of at most 20, 201 on create and 204 on delete.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from ...wire.names import COMPASS_ROOT
from ..core.dialect import Dialect, Identity
from ..core.errors import ApiError
from ..core.limits import LIMITS
from ..core.params import path_integer
from ..core.pipeline import Call

PAGE_SIZE = 20
LEVELS = ("read", "readwrite", "manage")


class CompassDialect(Dialect):
    name = "compass"
    root = COMPASS_ROOT.rstrip("/")

    def error_body(self, error: ApiError) -> Any:
        return error.fields if error.fields is not None else {"detail": error.message}

    def no_credentials(self) -> ApiError:
        return ApiError(401, "NOT_AUTHENTICATED", "Authentication credentials were not provided.")

    def malformed_credentials(self) -> ApiError:
        return ApiError(401, "NOT_AUTHENTICATED", "Invalid token header. No credentials provided.")

    def invalid_token(self) -> ApiError:
        return ApiError(401, "AUTHENTICATION_FAILED", "Invalid token.")

    def password_reset_required(self, identity: Identity) -> ApiError:
        return detail(403, f"You must change your password first: PUT users/{identity.username}/password/")

    def route_not_found(self, path: str) -> ApiError:
        return not_found()

    def method_not_allowed(self, method: str, allowed: str) -> ApiError:
        return ApiError(405, "METHOD_NOT_ALLOWED", f'Method "{method}" not allowed.', headers={"Allow": allowed})

    def storage_full(self) -> ApiError:
        return detail(507, "The server's disk is full: nothing of this request was stored.")

    def server_error(self) -> ApiError:
        return detail(500, "The server failed to answer; see its log.")


CODES = {400: "INVALID", 401: "NOT_AUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
         409: "CONFLICT", 413: "TOO_LARGE", 429: "THROTTLED", 500: "SERVER_ERROR", 507: "STORAGE_FULL"}


def detail(status: int, message: str) -> ApiError:
    """An error Compass answers as {"detail": message}."""
    return ApiError(status, CODES.get(status, "ERROR"), message)


def not_found(what: str = "Not found.") -> ApiError:
    return detail(404, what)


def absolute(call: Call, path: str) -> str:
    """The URL of an API path like 'projects/abc/'."""
    return call.api_url + path


def page(call: Call, items: list, transform: Callable[[Any], Any] = lambda item: item,
         number: int | None = None) -> dict:
    """A page of `items` as ``{count, next, previous, results}`` (?page=N, 20 a
    page, unless `number` is given)."""
    if number is None:
        number = call.params.integer("page", 1, minimum=1)
    start = (number - 1) * PAGE_SIZE
    pages = max(1, math.ceil(len(items) / PAGE_SIZE))
    if number > pages:
        raise not_found("Invalid page.")
    return {
        "count": len(items),
        "next": _page_url(call, number + 1) if number < pages else None,
        "previous": _page_url(call, number - 1) if number > 1 else None,
        "results": [transform(item) for item in items[start:start + PAGE_SIZE]],
    }


def _page_url(call: Call, number: int) -> str:
    base, _, _ = call.url.partition("?")
    values = [(k, v) for k, v in call.params.query_pairs if k != "page"]
    if number > 1:
        values.append(("page", str(number)))
    return base + ("?" + urlencode(values) if values else "")


def bulk_items(call: Call, what: str) -> list:
    """The items of a request that takes one object or a list of them (a JSON list,
    else the one object's fields). More than LIMITS["documents per upload"] is a
    413 before any item is looked at, so nothing is stored or computed: the same
    cap as API v4's uploads, for every Compass endpoint that takes a list."""
    items = call.body if isinstance(call.body, list) else [call.params.values]
    most = LIMITS["documents per upload"]
    if len(items) > most:
        raise detail(413, f"At most {most:,} {what} per request ({len(items):,} sent): "
                          "send them in several requests.")
    return items


def path_id(call: Call, name: str) -> int:
    """An integer id from the path, or 404 (unicode digits and 24-digit numbers included)."""
    number = path_integer(call.path[name])
    if number is None:
        raise not_found()
    return number
