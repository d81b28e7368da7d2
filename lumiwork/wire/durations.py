"""Durations as people write them ("90s", "5m", "1h", "1h30m", "2d"), for the
command line and every API that takes a window or an interval: one parser, so
`lumiwork alert create --window 1h` and a JSON body's ``"window": "1h"`` (or
``3600``) mean the same."""
from __future__ import annotations

import math
import re

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")
USAGE = "use a number of seconds or a duration like 30s, 5m, 1h, 1h30m, 2d"


def parse_duration(value: object) -> float:
    """Seconds in `value`: a number (seconds), a numeric string, or parts with
    units s, m, h, d, w ("1h30m"). ValueError says why it is not a duration."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {USAGE}")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower()
        if not text or not text.isascii() or len(text) > 40:
            raise ValueError(f"not a duration: {USAGE}")
        try:
            seconds = float(text)
        except ValueError:
            parts = _PART.findall(text)
            if not parts or "".join(number + unit for number, unit in parts) != text:
                raise ValueError(f"{value!r} is not a duration: {USAGE}") from None
            seconds = sum(float(number) * UNITS[unit] for number, unit in parts)
    else:
        raise ValueError(f"not a duration: {USAGE}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"not a duration: {USAGE} (zero or more)")
    return seconds


def format_duration(seconds: float) -> str:
    """The shortest exact writing of a duration: 3600 -> "1h", 5400 -> "1h30m",
    0.5 -> "0.5s"."""
    if seconds <= 0:
        return "0s"
    if not float(seconds).is_integer():
        return f"{seconds:g}s"
    remaining, parts = int(seconds), []
    for unit in ("d", "h", "m", "s"):
        size = UNITS[unit]
        if remaining >= size:
            parts.append(f"{remaining // size}{unit}")
            remaining %= size
    return "".join(parts)
