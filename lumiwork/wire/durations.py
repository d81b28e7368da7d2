"""Durations as people write them: 90, 90s, 15m, 2h, 7d, 2w (seconds without a unit)."""
from __future__ import annotations

import re

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", re.IGNORECASE)


def parse_duration(text: str | int | float) -> float:
    """Seconds in a duration ("7d" -> 604800.0); ValueError naming the problem."""
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        seconds = float(text)
    else:
        match = _DURATION.fullmatch(str(text))
        if match is None:
            raise ValueError(f"{str(text)[:40]!r} is not a duration: write a number with s, m, h, d or w "
                             "(e.g. 30m, 2h, 7d)")
        seconds = float(match.group(1)) * UNITS[(match.group(2) or "s").lower()]
    if not 0 < seconds < 10 * 365 * 86400:
        raise ValueError(f"a duration must be above 0 and under ten years, not {text!r}")
    return seconds
