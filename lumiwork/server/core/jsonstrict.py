"""Strict JSON in, clean JSON out, and the text hygiene every stored or echoed
string needs. Shared by every dialect."""
from __future__ import annotations

import json
import math
import re
from typing import Any

import orjson

from .errors import ApiError, bad_parameter
from .limits import INT64_MAX, INT64_MIN, LIMITS, MAX_JSON_DEPTH

_SURROGATE = re.compile("[\ud800-\udfff]")
CONTROL_CHARACTERS = re.compile("[\x00-\x1f\x7f-\x9f]")
_CONTROL_EXCEPT_WHITESPACE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Digits of the longest int64 (and its sign): longer is out of range, and never
# handed to int(), which refuses strings of over 4,300 digits with a ValueError.
_INT64_CHARACTERS = 20


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


def check_text(name: str, value: str, limit: str = "any other parameter", multiline: bool = False) -> None:
    """ApiError 400 if a string value is too long or holds unstorable characters."""
    if len(value) > LIMITS[limit]:
        raise ApiError(400, "TOO_LONG", f"{name} is longer than {LIMITS[limit]} characters "
                       f"(the limit for {limit})")
    problem = text_problem(value, multiline)
    if problem:
        raise bad_parameter(name, problem)


def _json_number_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ApiError(400, "INVALID_JSON", f"the number {text[:40]} is out of range")
    return value


def _json_number_int(text: str) -> int:
    value = int(text) if len(text) <= _INT64_CHARACTERS else None
    if value is None or not INT64_MIN <= value <= INT64_MAX:
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
                raise ApiError(400, "INVALID_JSON", f"JSON nested deeper than {MAX_JSON_DEPTH} levels")
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


def dumps_json(value: Any) -> bytes:
    """Compact UTF-8 JSON. orjson writes large answers several times faster
    than json; NaN and infinity, which JSON cannot carry, become null there
    (as JavaScript's JSON.stringify has them). What orjson refuses (a lone
    surrogate, an integer past 64 bits) goes to json, which raises ValueError
    or UnicodeError: an answer JSON cannot carry is the server's fault."""
    try:
        return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)
    except orjson.JSONEncodeError:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
