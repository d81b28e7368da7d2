"""Request parameters the way API v4 clients send them: query string or form
fields, plain strings, or JSON-encoded lists, numbers and booleans."""
from __future__ import annotations

import json


class ApiError(Exception):
    """An error answer: HTTP status, machine-readable code, human message."""

    def __init__(self, status: int, code: str, message: str, **details):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = details

    def body(self) -> dict:
        return {"code": self.code, "message": self.message, **self.details}


def bad_parameter(name: str, message: str) -> ApiError:
    return ApiError(400, "INVALID_PARAMETER", f"parameter '{name}' {message}")


_TRUE = {"true", "1", "yes", "on"}
_FALSE = {"false", "0", "no", "off", "none", "null", ""}


class Params:
    """Merged query-string, form and JSON-object parameters of one request."""

    def __init__(self, values: dict[str, str | object]):
        self.values = values

    def __contains__(self, name: str) -> bool:
        return name in self.values and self.values[name] is not None

    def raw(self, name: str):
        return self.values.get(name)

    def string(self, name: str, default: str | None = None, required: bool = False) -> str | None:
        value = self.values.get(name)
        if value is None:
            if required:
                raise ApiError(400, "MISSING_PARAMETER", f"parameter '{name}' is required")
            return default
        if not isinstance(value, str):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return str(value)
            raise bad_parameter(name, "must be a string")
        return value

    def integer(self, name: str, default: int | None = None, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            number = int(json.loads(value)) if isinstance(value, str) else int(value)
            if isinstance(value, str) and json.loads(value) != number:
                raise ValueError
        except (ValueError, TypeError):
            raise bad_parameter(name, f"must be an integer, not {value!r}") from None
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
        text = str(value).strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
        raise bad_parameter(name, f"must be true or false, not {value!r}")

    def json_value(self, name: str):
        """A parameter that may arrive JSON-encoded; plain strings pass through."""
        value = self.values.get(name)
        if isinstance(value, str):
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value

    def string_list(self, name: str) -> list[str] | None:
        value = self.json_value(name)
        if value is None:
            return None
        if isinstance(value, str):
            return [value]
        if isinstance(value, list) and all(isinstance(item, str) for item in value):
            return value
        raise bad_parameter(name, "must be a string or a JSON list of strings")

    def int_pair(self, name: str) -> tuple[int, int] | None:
        value = self.json_value(name)
        if value is None:
            return None
        if (isinstance(value, list) and len(value) == 2
                and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
            return value[0], value[1]
        raise bad_parameter(name, "must be a JSON list of two integers, like [2014, 4]")
