"""What the fuzz tests of API v4 and of Compass share: sending values exactly as a
careless or hostile client would (RawJSON, percent-encoding), a fingerprint of the
stored data, the server's logged exceptions, and the tally and report of what broke."""
from __future__ import annotations

import collections
import hashlib
import json
import logging
import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import pytest
import requests

FAIL_FAST = os.environ.get("LUMIWORK_FUZZ_FAIL_FAST") == "1"
SEED = os.environ.get("LUMIWORK_FUZZ_SEED")  # explore other sequences; default: derandomized
# Tables that change on any answer, 4xx included, and are not user data.
BOOKKEEPING = ("usage", "tokens", "throttle", "login", "sqlite_")


# ---- wire helpers ----------------------------------------------------------------------

class RawJSON:
    """A JSON fragment sent verbatim (NaN, 1e400, deep nesting, escapes)."""

    def __init__(self, text: str, label: str | None = None):
        self.text = text
        self.label = label or (text if len(text) < 40 else f"{text[:20]}...({len(text)} chars)")

    def __repr__(self):
        return f"RawJSON({self.label})"


def to_json(value) -> str:
    if isinstance(value, RawJSON):
        return value.text
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {to_json(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(to_json(v) for v in value) + "]"
    return json.dumps(value, allow_nan=True)  # ensure_ascii: lone surrogates become \\udXXX


def as_param(value) -> str:
    """How a client sends a value as a query or form field: strings as they are,
    anything else JSON-encoded."""
    return value if isinstance(value, str) else to_json(value)


def encode(text: str) -> str:
    """Percent-encode, lone surrogates included (as their UTF-8-style bytes)."""
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def urlencode(pairs) -> str:
    return "&".join(f"{encode(k)}={encode(as_param(v))}" for k, v in pairs)


def fingerprint(db: sqlite3.Connection) -> dict[str, str]:
    """A hash of the rows of every table that holds user data."""
    tables = [name for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        if not any(word in name.lower() for word in BOOKKEEPING)]
    result = {}
    for table in tables:
        columns = len(db.execute(f'SELECT * FROM "{table}" LIMIT 0').description)
        order = ", ".join(str(i) for i in range(1, columns + 1))
        digest = hashlib.sha256()
        for row in db.execute(f'SELECT * FROM "{table}" ORDER BY {order}'):
            digest.update(repr(row).encode("utf-8", "surrogatepass"))
        result[table] = digest.hexdigest()
    return result


# Values no API should choke on: non-finite and oversized numbers, JSON nested past
# any limit, lone surrogates, control characters, unicode digits, huge strings.
MAX_QUERY = 6000  # longer values travel in the body: the HTTP layer limits request lines
DEEP_LIST = RawJSON("[" * 5000 + "]" * 5000, "deep list")
DEEP_DICT = RawJSON('{"a": ' * 5000 + "1" + "}" * 5000, "deep dict")
HUGE = "x" * 100_000
EVIL_VALUES = [
    RawJSON("NaN"), RawJSON("Infinity"), RawJSON("-Infinity"), RawJSON("1e400"),
    RawJSON("-1e400"), "NaN", "Infinity", "-Infinity", "1e400", "-1e400", "1e2", "true",
    "2**63", 2**63, 2**64, -2**63 - 1, "9" * 24, int("9" * 24), "null", None, "[]", "{}",
    "[null]", [], {}, [None], "[" * 5000 + "]" * 5000, DEEP_LIST, DEEP_DICT,
    '{"a": ' * 5000 + "1" + "}" * 5000,
    "\ud800", "a\udc00b", RawJSON('"\\ud800"'), RawJSON('["\\udfff"]'),
    "\x00", "a\x1bb", "\x7f", "a\x01b", RawJSON('"\\u0000"'), HUGE, "word " * 20_000,
    "²", "٣", "１２", [HUGE], ["\ud800"], [1, 2], [2**64, 4], ["2024", "5"], [True, 1],
    {"a": [None]}, 1.5, -1, True, False, "", " ", "river|en\x00", '["river|en", null]',
    '["\\ud800|en"]', "[1e400, 4]", "[2024, NaN]", "[99999999999999999999, 1]",
    # integers of thousands of digits (int() refuses past 4,300) and Unicode digits, in
    # every position: as text, as a JSON number, inside a list
    "9" * 5000, "-" + "1" * 4301, RawJSON("9" * 5000), RawJSON("[" + "9" * 5000 + ", 1]"),
    ["9" * 5000], "²٣", "٣" * 40, "１" * 5000, RawJSON("1e" + "9" * 5000),
]


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(t for t in set(after) | set(before) if after.get(t) != before.get(t))


class LogCollector(logging.Handler):
    """Keeps the server's logged exceptions, to name them in the report."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record):
        text = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text += f" -> {type(exc).__name__}: {str(exc)[:200]}"
        self.records.append(ascii(text)[1:-1][:400])


@dataclass
class Request:
    """One fuzzed request, as sent (`template` names the endpoint it aims at)."""

    method: str
    template: str
    path: str
    query: list
    body_kind: str
    body: bytes | None
    content_type: str | None
    auth: str

    def describe(self) -> str:
        body = None if self.body is None else self.body[:200]
        return (f"{self.method} {self.path[:200]} query={self.query!r:.300} body[{self.body_kind}, "
                f"{self.content_type}]={body!r} auth={self.auth}")


@dataclass
class Tally:
    sent: int = 0
    statuses: collections.Counter = field(default_factory=collections.Counter)
    per_endpoint: collections.Counter = field(default_factory=collections.Counter)
    violations: dict = field(default_factory=dict)  # (method, template, kind) -> (count, example)

    def violate(self, request: Any, kind: str, detail: str, logs: list[str]):
        causes = [line.split(" -> ", 1)[1].split(":")[0] for line in logs if " -> " in line]
        if causes:
            kind += f" ({causes[-1]})"
        key = (request.method, request.template, kind)
        count, example = self.violations.get(key, (0, None))
        if example is None:
            example = f"{detail}\n      request: {request.describe()}"
            if logs:
                example += "\n      server log: " + " | ".join(logs[-3:])
        self.violations[key] = (count + 1, example)
        if FAIL_FAST:
            raise AssertionError(f"{kind}: {example}")


def report(label: str, tally: Tally, templates: list[str], elapsed: float) -> None:
    """Print what was sent and answered (pytest -s shows it)."""
    print(f"\n{label}: {tally.sent} requests in {elapsed:.1f} s; statuses "
          f"{dict(sorted(tally.statuses.items()))}")
    reached = sorted({t for (t, ok) in tally.per_endpoint if ok})
    print(f"{label}: endpoints answered < 400 at least once: {len(reached)} of {len(templates)}")
    for template in templates:
        print(f"  {template or '/'}: {tally.per_endpoint[(template, True)]} answered < 400, "
              f"{tally.per_endpoint[(template, False)]} >= 400")
    for (method, template, kind), (count, example) in sorted(tally.violations.items()):
        print(f"VIOLATION {kind} x{count}: {method} {template}\n      {example}")


def assert_clean(tally: Tally, examples: int) -> None:
    """Enough requests were sent, and none broke a property."""
    assert tally.sent >= examples * 0.99 and tally.sent >= min(examples, 2000), tally.sent
    if tally.violations:
        # pytest.fail without a traceback: the report is the list, not this frame's source
        pytest.fail(f"{len(tally.violations)} kinds of violation:\n" + "\n".join(
            f"{kind} x{count}: {method} {template}: {example}"
            for (method, template, kind), (count, example) in sorted(tally.violations.items())),
            pytrace=False)


def send_once_more(fx: Any, send: Callable[[Any, Request], requests.Response], request: Request,
                   tally: Tally) -> requests.Response | None:
    """`send(fx, request)`, sent again on a fresh session if the connection was
    closed (uvicorn closes a keep-alive connection after an unhandled exception, a
    500 counted already). None, with the violation tallied, if it got no answer."""
    try:
        try:
            return send(fx, request)
        except requests.ConnectionError:
            fx.session = requests.Session()
            return send(fx, request)
    except requests.RequestException as exc:
        tally.sent += 1
        tally.violate(request, "no answer", f"{type(exc).__name__}: {exc}", [])
        fx.session = requests.Session()
        return None


def check_nothing_changed(db: sqlite3.Connection, state: dict, request: Request,
                          response: requests.Response, tally: Tally, logs: list[str]) -> None:
    """A 4xx must leave the stored data as it was: compare the fingerprint with the
    one after the previous request (`state["fingerprint"]`), then keep the new one."""
    after = fingerprint(db)
    if response.status_code >= 400 and after != state["fingerprint"]:
        changed = changed_tables(state["fingerprint"], after)
        tally.violate(request, "4xx changed data", f"status {response.status_code} "
                      f"{response.text[:160]!r} but tables {changed} changed", logs)
    state["fingerprint"] = after
