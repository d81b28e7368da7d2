"""The management API's dialect: results as they are (no envelope), errors as
``{"error": CODE, "message": "...", "fields": {...}}`` (fields for field
errors only), 201 on create, 204 on delete, lists as JSON arrays."""
from __future__ import annotations

from typing import Any

from ...wire.names import MANAGE_ROOT
from ..core.dialect import Dialect
from ..core.errors import ApiError


class ManageDialect(Dialect):
    name = "manage"
    root = MANAGE_ROOT.rstrip("/")

    def error_body(self, error: ApiError) -> Any:
        body: dict[str, Any] = {"error": error.code, "message": error.message}
        if error.fields is not None:
            body["fields"] = error.fields
        return body


def not_found(what: str) -> ApiError:
    return ApiError(404, "NOT_FOUND", what)


def conflict(message: str) -> ApiError:
    return ApiError(409, "CONFLICT", message)
