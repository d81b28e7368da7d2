"""What an alert measures over its window, from the messages of its target.

At an evaluation at time t with window w, the messages counted are those with
t - w < timestamp <= t (the message's own timestamp, as Compass's stats/ go by).

- ``count``: how many messages of the target are in the window.
- ``velocity``: messages per hour over the window, count / (w in hours); the
  Compass API's definition of velocity ("rate of incoming messages, messages
  per hour"), so a rule and GET p/stats/ with interval = w agree.
- ``negative_share``: the share of the window's messages whose sentiment is
  negative, from 0 to 1; a message is negative when its sentiment is below
  minus the project's ``sentiment_threshold`` (GET p/config/, 0.3 by default),
  as in p/stats/. A window with no messages has no share: the rule then counts
  as not holding (so a firing rule on a topic gone quiet resolves).
"""
from __future__ import annotations

from typing import NamedTuple

METRICS = ("count", "velocity", "negative_share")
DIRECTIONS = ("above", "below")


class Counts(NamedTuple):
    """What a target holds in one window."""

    messages: int
    negative: int


def value(metric: str, counts: Counts, window: float) -> float | None:
    """The metric's value for a window of `window` seconds (None: undefined)."""
    if metric == "count":
        return float(counts.messages)
    if metric == "velocity":
        return counts.messages / (window / 3600)
    if metric == "negative_share":
        return counts.negative / counts.messages if counts.messages else None
    raise ValueError(f"unknown metric {metric!r}; metrics: {', '.join(METRICS)}")


def holds(measured: float | None, direction: str, threshold: float) -> bool:
    """Whether the condition holds: strictly above or below the threshold."""
    if measured is None:
        return False
    return measured > threshold if direction == "above" else measured < threshold
