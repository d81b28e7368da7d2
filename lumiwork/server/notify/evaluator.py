"""The alert evaluator: a background thread of the server that evaluates each
rule every `every` seconds, moves its state (rules.py) and queues the
notifications a move causes.

One evaluation of a rule reads its target's messages in the window
(targets.py), computes the metric (metrics.py), steps the state machine, and
writes the new state and its notifications in one transaction: a crash
leaves either both or neither, so a restarted server neither misses a
notification nor sends it twice. Evaluations keep their schedule (the next
is one interval after the last one due, not after the last one run); a
server that was down evaluates each overdue rule once, now.
"""
from __future__ import annotations

import logging
import threading
from typing import Any

from ...wire.dates import iso
from ...wire.durations import format_duration
from ..db import Store
from ..models.cache import ModelCache
from . import metrics
from .clock import Clock, SystemClock
from .notifications import Notifications
from .rules import RuleState, Timing, step
from .targets import TargetGone, target_kind

log = logging.getLogger(__name__)

# The longest the thread sleeps without looking for rules (a rule created
# meanwhile wakes it at once; this bounds a missed wake-up).
IDLE_POLL_SECONDS = 5.0


def rule_state(alert: dict) -> RuleState:
    return RuleState(alert["state"], alert["state_since"], alert["pending_since"], alert["clear_since"],
                     alert["fired_at"], alert["last_notified"])


def rule_timing(alert: dict) -> Timing:
    return Timing(alert["pending_seconds"], alert["keep_firing_seconds"], alert["repeat_seconds"])


class AlertEvaluator:
    def __init__(self, store: Store, notifications: Notifications, clock: Clock | None = None,
                 models: ModelCache | None = None):
        self.store = store
        self.models = models  # the server's model cache (targets measured with a project's model)
        self.notifications = notifications
        self.clock: Clock = clock or SystemClock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def evaluate_due(self) -> int:
        """Evaluate every rule that is due now; returns how many were."""
        now = self.clock.now()
        due = self.store.alerts.due(now)
        queued = False
        for alert in due:
            try:
                queued |= self.evaluate(alert, now)
            except Exception:  # one broken rule must not stop the others
                log.exception("evaluating alert %s failed", alert["alert_id"])
        if queued:
            self.notifications.wake()
        return len(due)

    def evaluate(self, alert: dict, now: float) -> bool:
        """Evaluate one rule at `now`; returns whether it queued a notification."""
        every = alert["every_seconds"]
        scheduled = alert["next_evaluation"] + every
        next_evaluation = scheduled if scheduled > now else now + every
        kind = target_kind(alert["target_kind"])
        try:
            counts = kind.measure(self.store, alert["target"], now - alert["window_seconds"], now, self.models)
        except TargetGone as exc:  # the state stays as it was: nothing can be said of a target that is gone
            self.store.alerts.save_state(alert["alert_id"], {"last_evaluated": now, "last_error": str(exc),
                                                             "next_evaluation": next_evaluation})
            return False
        measured = metrics.value(alert["metric"], counts, alert["window_seconds"])
        holds = metrics.holds(measured, alert["direction"], alert["threshold"])
        before = rule_state(alert)
        after, events = step(before, holds, now, rule_timing(alert))
        state = {"state": after.state, "state_since": after.since, "pending_since": after.pending_since,
                 "clear_since": after.clear_since, "fired_at": after.fired_at,
                 "last_notified": after.last_notified, "last_value": measured, "last_evaluated": now,
                 "next_evaluation": next_evaluation, "last_error": None}
        with self.store.db.transaction():
            if not self.store.alerts.save_state(alert["alert_id"], state):
                return False  # deleted meanwhile
            for event in events:
                self.notifications.enqueue(alert["channel_id"], f"alert.{event}",
                                           self.payload(alert, event, after, before, measured, counts, now),
                                           alert_id=alert["alert_id"])
        return bool(events)

    def payload(self, alert: dict, event: str, after: RuleState, before: RuleState, measured: float | None,
                counts: metrics.Counts, now: float) -> dict[str, Any]:
        """The JSON a channel receives for one of a rule's notifications."""
        target = alert["target"]
        description = target_kind(alert["target_kind"]).describe(self.store, target)
        window = format_duration(alert["window_seconds"])
        shown = "no messages" if measured is None else f"{measured:g}"
        verb = {"firing": "is firing", "still_firing": "is still firing", "resolved": "is resolved"}[event]
        fired_at = after.fired_at if event != "resolved" else before.fired_at
        return {
            "rule": {"id": alert["alert_id"], "name": alert["name"], "target": target,
                     "metric": alert["metric"], "condition": alert["direction"]},
            "state": "resolved" if event == "resolved" else "firing",
            "value": _number(measured), "threshold": _number(alert["threshold"]), "window": window,
            "messages": counts.messages,
            "firing_since": iso(fired_at),
            "link": alert["link"],
            "text": (f"Alert {alert['name']!r} {verb}: {alert['metric']} of {description} is {shown} over the "
                     f"last {window} ({alert['direction']} {alert['threshold']:g} is the condition)"),
        }

    # ---- the thread --------------------------------------------------------------------------
    def wake(self) -> None:
        """Look for due rules now (a rule was created)."""
        self._wake.set()

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="lumiwork-alerts", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.evaluate_due()
                upcoming = self.store.alerts.next_evaluation()
            except Exception:
                log.exception("evaluating alerts failed; trying again shortly")
                upcoming = None
            wait = IDLE_POLL_SECONDS if upcoming is None else min(IDLE_POLL_SECONDS,
                                                                  max(0.0, upcoming - self.clock.now()))
            self._wake.wait(wait)


def _number(value: float | None) -> float | int | None:
    """A whole number as an integer in JSON (57, not 57.0)."""
    return int(value) if value is not None and float(value).is_integer() else value
