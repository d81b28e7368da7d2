"""One parser of request values for every dialect: integers, booleans, times,
strings and JSON-encoded values, from the query string, a form or a JSON body.

Lenient about where a value comes from (query or body, form or JSON) and
about JSON-encoded values (``limit=20`` or ``limit="20"``), strict about what
it is. `Params` raises ApiError 400 naming the parameter; `FieldErrors` and
the ``*_field`` functions collect Compass-style field errors instead. Both use
the same value parsers, so a value means the same thing in every API.
"""
from __future__ import annotations

import re
from typing import Any, Literal, overload

from ...wire.dates import parse_time
from .errors import ApiError, bad_parameter, field_errors, missing_parameter
from .jsonstrict import check_text, loads_strict
from .limits import INT64_MAX, INT64_MIN, LIMITS

_INTEGER = re.compile(r"[+-]?[0-9]{1,19}")
TRUE = frozenset({"true", "t", "1", "yes", "on"})
FALSE = frozenset({"false", "f", "0", "no", "off", "none", "null", ""})
REQUIRED = "This field is required."


def show(value: Any) -> str:
    """A value as an error message quotes it: repr, cut at 40 characters."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_integer(value: Any) -> int:
    """An int64 from an int or a string of ASCII digits (with an optional sign);
    ValueError otherwise. Unicode digits ("²٣"), floats, booleans and numbers
    of thousands of digits are refused before int() ever sees them."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and value.isascii() and _INTEGER.fullmatch(value.strip()):
        number = int(value.strip())
    else:
        raise ValueError(f"must be an integer, not {show(value)}")
    if not INT64_MIN <= number <= INT64_MAX:
        raise ValueError("must be an integer of at most 64 bits")
    return number


def parse_boolean(value: Any) -> bool:
    """True or false from a JSON boolean, 0/1, or a word (true/false, t/f,
    yes/no, on/off, any case; an empty form field is false). ValueError for
    anything else: a misspelt flag must not silently mean true."""
    if isinstance(value, bool):
        return value
    if isinstance(value, (str, int)):
        text = str(value).strip().lower()
        if text in TRUE:
            return True
        if text in FALSE:
            return False
    raise ValueError(f"must be true or false, not {show(value)}")


def path_integer(value: str) -> int | None:
    """An id segment of a path as an int, or None if it is not a plain int64 in ASCII."""
    try:
        return parse_integer(value) if value.isascii() and value.isdigit() else None
    except ValueError:
        return None


class Params:
    """Merged query-string, form and JSON-object parameters of one request,
    with the query string also kept in order (`query_pairs`, for page links)."""

    def __init__(self, values: dict[str, Any], query_pairs: list[tuple[str, str]] | None = None):
        self.values = values
        self.query_pairs = query_pairs or []

    def __contains__(self, name: str) -> bool:
        return self.values.get(name) is not None

    def given(self, name: str) -> bool:
        """Present at all, even as an empty string or null."""
        return name in self.values

    def query_value(self, name: str) -> str | None:
        """A value from the query string only (not the body)."""
        return next((value for key, value in self.query_pairs if key == name), None)

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
                raise missing_parameter(name)
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

    def integer(self, name: str, default: int | None = None, minimum: int | None = None,
                maximum: int | None = None) -> int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            number = parse_integer(value)
        except ValueError as exc:
            raise bad_parameter(name, str(exc)) from None
        if minimum is not None and number < minimum:
            raise bad_parameter(name, f"must be at least {minimum}")
        if maximum is not None and number > maximum:
            raise bad_parameter(name, f"must be at most {maximum}")
        return number

    def boolean(self, name: str, default: bool = False) -> bool:
        value = self.values.get(name)
        if value is None:
            return default
        try:
            return parse_boolean(value)
        except ValueError as exc:
            raise bad_parameter(name, str(exc)) from None

    def time(self, name: str) -> float | None:
        """Seconds since 1970 from a number or an ISO 8601 string (see wire.dates); None when absent."""
        value = self.values.get(name)
        if value is None or value == "":
            return None
        try:
            return parse_time(value)
        except ValueError as exc:
            raise bad_parameter(name, f"is not a time: {str(exc).removeprefix('Not a valid time: ')}") from None

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


# ---- field errors (Compass's way of refusing a body) --------------------------------------------

class FieldErrors:
    """Collects ``{field: [messages]}`` and raises them together as one 400."""

    def __init__(self):
        self.errors: dict[str, list[str]] = {}

    def add(self, name: str, message: str) -> None:
        self.errors.setdefault(name, []).append(message)

    def raise_if_any(self) -> None:
        if self.errors:
            raise field_errors(self.errors)


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


def boolean_field(errors: FieldErrors, values: dict, name: str, default: bool = False) -> bool:
    """A boolean field (see `parse_boolean`); anything else is a field error."""
    value = values.get(name)
    if value is None:
        return default
    try:
        return parse_boolean(value)
    except ValueError:
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
