"""An alert rule's states and what each evaluation does to them: a pure
function of the state, whether the condition holds, and the time.

The states and timers follow Grafana's alert rules (its documentation,
"Alert rule evaluation"), under lumiwork's four names:

- normal: the condition does not hold (or never held since the rule was made);
- pending: it holds, but not yet for the whole pending period (``--for``);
- firing: it held at every evaluation for the pending period. A firing rule
  whose condition stops holding keeps firing for ``keep_firing`` seconds; if the
  condition returns meanwhile, it is still the same firing (no new notification);
- resolved: it was firing and the condition stayed clear for ``keep_firing``.
  A resolved rule stays resolved until its condition holds again.

Notifications: "firing" on entering firing, "resolved" on leaving it, and
"still_firing" when a rule has been firing, with its condition holding, for
``repeat`` seconds since its last notification. A condition that comes and
goes within the pending period changes nothing outside the rule (no flapping);
one that comes and goes while firing is held by ``keep_firing``.
"""
from __future__ import annotations

from dataclasses import dataclass, replace

STATES = ("normal", "pending", "firing", "resolved")
EVENTS = ("firing", "still_firing", "resolved")


@dataclass(frozen=True)
class Timing:
    """A rule's timers, in seconds. `repeat` 0 sends no reminders."""

    pending: float = 0.0
    keep_firing: float = 0.0
    repeat: float = 4 * 3600.0


@dataclass(frozen=True)
class RuleState:
    """Where a rule is. `since`: when it entered `state`; `pending_since`: when
    its condition started holding (pending); `clear_since`: while firing, when
    the condition stopped holding (None while it holds); `fired_at`: when the
    current firing began; `last_notified`: the last firing or still_firing
    notification of the current firing."""

    state: str = "normal"
    since: float = 0.0
    pending_since: float | None = None
    clear_since: float | None = None
    fired_at: float | None = None
    last_notified: float | None = None


def step(current: RuleState, holds: bool, now: float, timing: Timing) -> tuple[RuleState, list[str]]:
    """The state after one evaluation at `now` whose condition `holds` (or not),
    and the notifications it causes (a subset of EVENTS, at most one)."""
    if current.state in ("normal", "resolved"):
        if not holds:
            return current, []
        return _pending_or_firing(current, now, now, timing)
    if current.state == "pending":
        if not holds:
            return RuleState("normal", now), []
        assert current.pending_since is not None
        return _pending_or_firing(current, current.pending_since, now, timing)
    # firing
    if holds:
        held = replace(current, clear_since=None)
        last = current.last_notified if current.last_notified is not None else current.since
        if timing.repeat > 0 and now - last >= timing.repeat:
            return replace(held, last_notified=now), ["still_firing"]
        return held, []
    clear_since = current.clear_since if current.clear_since is not None else now
    if now - clear_since >= timing.keep_firing:
        return RuleState("resolved", now), ["resolved"]
    return replace(current, clear_since=clear_since), []


def _pending_or_firing(current: RuleState, pending_since: float, now: float,
                       timing: Timing) -> tuple[RuleState, list[str]]:
    if now - pending_since >= timing.pending:
        return RuleState("firing", now, fired_at=now, last_notified=now), ["firing"]
    if current.state == "pending":
        return current, []
    return RuleState("pending", now, pending_since=pending_since), []
