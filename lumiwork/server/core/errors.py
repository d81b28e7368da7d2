"""ApiError: every error answer of every API, before its dialect shapes it.

A handler raises ApiError(status, code, message); the endpoint's dialect
renders it (API v4's envelope, Compass's {"detail"} or field errors, API v5's
{"error", "message"}). `fields` carries Compass-style field errors, which
Compass answers as they are and the other dialects fold into the message.
"""
from __future__ import annotations

from typing import Any

from ...wire.fields import describe_fields


class ApiError(Exception):
    """An error answer: HTTP status, machine-readable code, human message."""

    def __init__(self, status: int, code: str, message: str, headers: dict | None = None,
                 fields: dict | list | None = None, **details: Any):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}
        self.fields = fields
        self.details = details

    def __str__(self) -> str:
        return f"{self.code}: {self.message} (HTTP {self.status})"

    def body(self) -> dict:
        """code, message and any details, as API v4's error object."""
        return {"code": self.code, "message": self.message, **self.details}


def bad_parameter(name: str, message: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER", f"parameter '{name}' {message}")


def missing_parameter(name: str) -> ApiError:
    return ApiError(400, "MISSING_PARAMETER", f"parameter '{name}' is required")


def field_errors(errors: dict | list, status: int = 400) -> ApiError:
    """Field errors ({"name": ["This field is required."]}, or one such dict per
    item of a bulk request) as one error."""
    return ApiError(status, "INVALID_FIELDS", describe_fields(errors), fields=errors)
