"""Properties of alert states, by Hypothesis state machines.

RuleMachine drives the pure state machine (server/notify/rules.py) with any
sequence of conditions at irregular evaluation times and any timers, and
checks it against the rules written as facts about the history: a firing
only after the condition held for the whole pending period, no notification
while pending, a resolution only after keep-firing, reminders no closer than
the repeat interval, firing and resolved alternating.

DeliveryMachine runs the evaluator and the dispatcher on a real store with a
fake clock, a real receiver that goes down and comes back, and restarts of
the server: every notification is accepted exactly once, in the order made,
and a restart changes no rule's state.
"""
from __future__ import annotations

import random
import shutil
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule
from webhook_receiver import Receiver

from lumiwork.server.db import Store
from lumiwork.server.notify import AlertEvaluator, ManualClock, Notifications, RetryPolicy
from lumiwork.server.notify.rules import RuleState, Timing, step
from lumiwork.server.notify.secrets import hint
from lumiwork.server.notify.targets import COMPASS_TOPIC
from lumiwork.wire import webhooks

SECONDS = st.integers(min_value=0, max_value=600)


class RuleMachine(RuleBasedStateMachine):
    @initialize(pending=SECONDS, keep_firing=SECONDS, repeat=st.integers(min_value=0, max_value=1200))
    def make(self, pending, keep_firing, repeat):
        self.timing = Timing(pending, keep_firing, repeat)
        self.now = 0.0
        self.state = RuleState("normal", 0.0)
        self.holding_since: float | None = None  # first evaluation of the current run where it holds
        self.clear_since: float | None = None    # first evaluation of the current run where it does not
        self.notifications: list[tuple[float, str]] = []

    @rule(after=st.integers(min_value=1, max_value=400), holds=st.booleans())
    def evaluate(self, after, holds):
        self.now += after
        if holds:
            self.holding_since = self.now if self.holding_since is None else self.holding_since
            self.clear_since = None
        else:
            self.clear_since = self.now if self.clear_since is None else self.clear_since
            self.holding_since = None
        before = self.state
        self.state, events = step(before, holds, self.now, self.timing)
        assert len(events) <= 1
        for event in events:
            self.check(event, before, holds)
            self.notifications.append((self.now, event))

    def check(self, event: str, before: RuleState, holds: bool) -> None:
        fired = [t for t, e in self.notifications if e == "firing"]
        if event == "firing":
            assert holds and before.state != "firing"
            assert self.holding_since is not None and self.now - self.holding_since >= self.timing.pending
        elif event == "still_firing":
            assert holds and before.state == "firing" and self.timing.repeat > 0
            last = max(t for t, e in self.notifications if e in ("firing", "still_firing"))
            assert self.now - last >= self.timing.repeat
        else:
            assert not holds and before.state == "firing" and fired
            assert self.clear_since is not None and self.now - self.clear_since >= self.timing.keep_firing

    @invariant()
    def firing_and_resolved_alternate(self):
        opening = [e for _, e in self.notifications if e != "still_firing"]
        assert opening == ["firing", "resolved"] * (len(opening) // 2) + ["firing"] * (len(opening) % 2)
        assert (self.state.state == "firing") == (len(opening) % 2 == 1)

    @invariant()
    def no_notification_while_pending_and_no_waiting_too_long(self):
        if self.state.state == "pending":
            assert self.holding_since is not None and self.now - self.holding_since < self.timing.pending
            assert not self.notifications or self.notifications[-1][0] < self.holding_since
        if self.holding_since is not None and self.now - self.holding_since >= self.timing.pending:
            assert self.state.state == "firing"  # held long enough: it must fire
        if self.clear_since is not None and self.state.state == "firing":
            assert self.now - self.clear_since < self.timing.keep_firing
        if self.clear_since is not None:
            assert self.state.state != "pending"


TestRuleStates = RuleMachine.TestCase
TestRuleStates.settings = settings(max_examples=300, stateful_step_count=40, deadline=None)

MINUTE = 60.0


class DeliveryMachine(RuleBasedStateMachine):
    """One alert (every minute, over the last minute, count above 2, pending 2
    minutes, keep-firing 1 minute, reminders every 5) on a real store."""

    def __init__(self):
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="lumiwork-alert-machine-"))
        self.receiver = Receiver().start()
        self.clock = ManualClock()
        self.open()
        store = self.store
        account = store.accounts.create("team")
        self.project = store.compass_projects.create(account, "reviews", "en", "analyst")
        self.topic = store.compass_topics.create(self.project, "delivery", "active", {"terms": {"late": 1.0}})
        self.secret = webhooks.new_secret()
        channel = store.channels.create(account, "ops", "webhook", self.receiver.url,
                                        self.notifications.secrets.seal(self.secret), hint(self.secret), "analyst")
        self.alert = store.alerts.create({
            "account_id": account, "name": "late", "target_kind": "compass_topic",
            "target": COMPASS_TOPIC.resolve(store, self.project, "delivery"), "project_id": self.project,
            "metric": "count", "direction": "above", "threshold": 2.0, "window_seconds": MINUTE,
            "every_seconds": MINUTE, "pending_seconds": 2 * MINUTE, "keep_firing_seconds": MINUTE,
            "repeat_seconds": 5 * MINUTE, "channel_id": channel, "link": None, "creator": "analyst"},
            now=self.clock.now())
        self.evaluator.evaluate_due()

    def open(self):
        self.store = Store(self.folder)
        self.notifications = Notifications(self.store, self.clock, RetryPolicy(first=MINUTE, cap=4 * MINUTE),
                                           random.Random(3))
        self.evaluator = AlertEvaluator(self.store, self.notifications, self.clock)

    @rule(messages=st.integers(min_value=0, max_value=5))
    def a_minute_passes(self, messages):
        self.clock.advance(MINUTE / 2)
        self.store.messages.add(self.project, [
            {"text": "late", "language": "en", "timestamp": self.clock.now(), "info": {}, "sentiment": 0.0,
             "topics": [], "cluster_topic": self.topic} for _ in range(messages)])
        self.clock.advance(MINUTE / 2)
        self.evaluator.evaluate_due()
        self.notifications.deliver_due()

    @precondition(lambda self: self.receiver.status == 200)
    @rule(status=st.sampled_from([503, 500, 429, 408]))
    def the_receiver_fails(self, status):
        self.receiver.status = status

    @precondition(lambda self: self.receiver.status != 200)
    @rule()
    def the_receiver_recovers(self):
        self.receiver.status = 200

    @rule()
    def the_server_restarts(self):
        before = self.store.alerts.get(self.alert)
        self.store.close()
        self.open()
        assert self.store.alerts.get(self.alert) == before

    @invariant()
    def accepted_once_each_in_order(self):
        accepted = self.receiver.accepted()
        ids = [r.headers["webhook-id"] for r in accepted]
        assert len(ids) == len(set(ids))
        made = [r["event_id"] for r in reversed(self.store.outbox.find(limit=10_000))]
        assert ids == made[: len(ids)]  # one channel: delivered in the order made
        opening = [r.payload["event"] for r in accepted if r.payload["event"] != "alert.still_firing"]
        assert opening == ["alert.firing", "alert.resolved"] * (len(opening) // 2) + \
            ["alert.firing"] * (len(opening) % 2)

    def teardown(self):
        try:
            self.receiver.status = 200
            for _ in range(10):  # longer than the longest backoff: everything queued goes out
                self.clock.advance(MINUTE)
                self.notifications.deliver_due()
            rows = self.store.outbox.find(limit=10_000)
            assert {r["status"] for r in rows} <= {"delivered"}
            accepted = [r.headers["webhook-id"] for r in self.receiver.accepted()]
            assert sorted(accepted) == sorted(r["event_id"] for r in rows)
            for request in self.receiver.received:
                webhooks.verify(self.secret, request.headers, request.body,
                                now=int(request.headers["webhook-timestamp"]))
        finally:
            self.store.close()
            self.receiver.stop()
            shutil.rmtree(self.folder, ignore_errors=True)


TestDeliveries = DeliveryMachine.TestCase
TestDeliveries.settings = settings(max_examples=25, stateful_step_count=30, deadline=None,
                                   suppress_health_check=[HealthCheck.too_slow])
