"""The one parser of dates and times on the wire, for every API and for files
read by `lumiwork upload`: seconds since 1970 (UTC) from a number or a string.

A string is seconds since 1970 when it is a plain ASCII number ("1700000000",
"-12.5"), else ISO 8601 (a date, or a date and time; "Z" or an offset; a time
without one is UTC). Unicode digits are refused: float() reads "٣" as 3, and
ids and numbers everywhere on the wire are ASCII. Years 1 to 9999 only, what
an ISO 8601 answer can show.
"""
from __future__ import annotations

import math
import re
from datetime import UTC, datetime

EARLIEST = -62135596800.0  # 0001-01-01T00:00:00Z
LATEST = 253402300799.0    # 9999-12-31T23:59:59Z
_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_LONGEST = 64  # characters: no number or ISO 8601 time in range is longer
USAGE = "use ISO 8601 (2014-08-17T12:45:01+00:00) or seconds since 1970"


def parse_time(value: object) -> float:
    """Seconds since 1970 (UTC) of `value`; ValueError says why it is not a time (a
    sentence, as Compass's field errors show it)."""
    if isinstance(value, bool):
        raise ValueError("Not a valid time.")
    if isinstance(value, (int, float)):
        return _in_range(float(value))
    if not isinstance(value, str):
        raise ValueError("Not a valid time.")
    text = value.strip()
    if not text.isascii():
        raise ValueError(f"Not a valid time: {USAGE}, in ASCII digits.")
    if len(text) > _LONGEST:
        raise ValueError(f"Not a valid time: {USAGE}.")
    if _NUMBER.fullmatch(text):
        return _in_range(float(text))
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise ValueError(f"Not a valid time: {USAGE}.") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    try:
        seconds = parsed.timestamp()
    except (OverflowError, ValueError):  # an offset that moves year 1 or 9999 out of range
        raise ValueError("Not a valid time: outside the years 1 to 9999.") from None
    return _in_range(seconds)


def _in_range(seconds: float) -> float:
    if not math.isfinite(seconds) or not EARLIEST <= seconds <= LATEST:
        raise ValueError("Not a valid time: outside the years 1 to 9999.")
    return seconds


def iso(seconds: float | None) -> str | None:
    """A time as ISO 8601 in UTC (None stays None)."""
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC).isoformat()
