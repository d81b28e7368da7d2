"""Alert rules with a fake clock: the evaluator and the dispatcher on a real
store, delivering to a real webhook receiver on 127.0.0.1. Every minute of
a scenario is one evaluation (every = 1 minute, window = 1 minute), run by
hand: an hour takes milliseconds."""
from __future__ import annotations

import random

import pytest
from webhook_receiver import Receiver

from lumiwork.server.db import Store
from lumiwork.server.notify import AlertEvaluator, ManualClock, Notifications, RetryPolicy
from lumiwork.server.notify.secrets import hint
from lumiwork.server.notify.targets import COMPASS_TOPIC
from lumiwork.wire import webhooks

MINUTE = 60.0


class Rig:
    """A store with one Compass project, topic and channel, an alert on the topic,
    and the evaluator and dispatcher on a manual clock."""

    def __init__(self, folder, receiver: Receiver, clock: ManualClock, **timing: float):
        self.folder, self.receiver, self.clock = folder, receiver, clock
        self.open()
        store = self.store
        self.account = store.accounts.create("team")
        self.project = store.compass_projects.create(self.account, "reviews", "en", "analyst")
        self.topic = store.compass_topics.create(self.project, "delivery", "active", {"terms": {"late": 1.0}})
        self.secret = webhooks.new_secret()
        self.channel = store.channels.create(self.account, "ops", "webhook", receiver.url,
                                             self.notifications.secrets.seal(self.secret), hint(self.secret),
                                             "analyst")
        rule = {"pending_seconds": 0.0, "keep_firing_seconds": 0.0, "repeat_seconds": 0.0, **timing}
        self.alert = store.alerts.create({
            "account_id": self.account, "name": "late deliveries", "target_kind": "compass_topic",
            "target": COMPASS_TOPIC.resolve(store, self.project, "delivery"), "project_id": self.project,
            "metric": "count", "direction": "above", "threshold": 2.0, "window_seconds": MINUTE,
            "every_seconds": MINUTE, "channel_id": self.channel, "link": "http://127.0.0.1/d/weekly",
            "creator": "analyst", **rule}, now=clock.now())
        self.evaluator.evaluate_due()  # the first evaluation is at once: nothing has happened yet

    def open(self) -> None:
        self.store = Store(self.folder)
        self.notifications = Notifications(self.store, self.clock, RetryPolicy(first=MINUTE, cap=10 * MINUTE),
                                           random.Random(7))
        self.evaluator = AlertEvaluator(self.store, self.notifications, self.clock)

    def restart(self) -> None:
        """What a server restart leaves: the data folder, nothing in memory."""
        self.store.close()
        self.open()

    def minute(self, messages: int) -> list[dict]:
        """`messages` messages of the topic arrive during the next minute; the
        evaluation at its end runs, then the dispatcher. Returns the payloads
        the receiver accepted in that minute."""
        before = len(self.receiver.accepted())
        self.clock.advance(MINUTE / 2)
        self.store.messages.add(self.project, [
            {"text": "the parcel was late", "language": "en", "timestamp": self.clock.now(), "info": {},
             "sentiment": -0.5, "topics": [], "cluster_topic": self.topic} for _ in range(messages)])
        self.clock.advance(MINUTE / 2)
        self.evaluator.evaluate_due()
        self.notifications.deliver_due()
        return [r.payload for r in self.receiver.accepted()[before:]]

    def events(self) -> list[str]:
        return [r.payload["event"] for r in self.receiver.accepted()]

    @property
    def state(self) -> str:
        alert = self.store.alerts.get(self.alert)
        assert alert is not None
        return alert["state"]


@pytest.fixture
def receiver():
    with Receiver() as running:
        yield running


@pytest.fixture
def rig(tmp_path, receiver):
    def make(**timing: float) -> Rig:
        made = Rig(tmp_path / "data", receiver, ManualClock(), **timing)
        rigs.append(made)
        return made

    rigs: list[Rig] = []
    yield make
    for made in rigs:
        made.store.close()


def test_flapping_inside_the_pending_period_sends_nothing(rig):
    alert = rig(pending_seconds=5 * MINUTE)
    states = []
    for minute in range(30):  # above the threshold for at most 4 minutes in a row, then below
        states.append(alert.state)
        assert alert.minute(3 if minute % 5 != 4 else 0) == []
    assert "pending" in states and "firing" not in states
    assert alert.receiver.received == [] and alert.store.outbox.find() == []


def test_firing_sends_one_signed_notification(rig):
    alert = rig(pending_seconds=3 * MINUTE)
    sent = [alert.minute(3) for _ in range(3)]
    assert sent == [[], [], []] and alert.state == "pending"  # pending since the first minute's end
    sent.append(alert.minute(3))
    request = alert.receiver.accepted()[0]  # checked as it arrives: the signature has a 5-minute tolerance
    assert webhooks.verify(alert.secret, request.headers, request.body, now=alert.clock.now()) == request.payload["id"]
    sent += [alert.minute(3) for _ in range(6)]
    assert [len(s) for s in sent] == [0, 0, 0, 1, 0, 0, 0, 0, 0, 0]
    payload = sent[3][0]
    assert payload["event"] == "alert.firing" and payload["state"] == "firing"
    assert payload["value"] == 3 and payload["threshold"] == 2 and payload["window"] == "1m"
    assert payload["rule"]["id"] == alert.alert and payload["rule"]["target"]["title"] == "delivery"
    assert payload["link"] == "http://127.0.0.1/d/weekly" and "'delivery'" in payload["text"]
    assert request.headers["idempotency-key"] == request.headers["webhook-id"] == payload["id"]
    assert alert.state == "firing"


def test_the_repeat_interval_sends_one_more(rig):
    alert = rig(repeat_seconds=10 * MINUTE)
    sent = [alert.minute(3) for _ in range(25)]
    assert [s[0]["event"] for s in sent if s] == ["alert.firing", "alert.still_firing", "alert.still_firing"]
    assert [i for i, s in enumerate(sent) if s] == [0, 10, 20]
    assert sent[10][0]["firing_since"] == sent[0][0]["time"]


def test_resolving_sends_one(rig):
    alert = rig(keep_firing_seconds=3 * MINUTE)
    assert [p["event"] for p in alert.minute(3)] == ["alert.firing"]
    quiet = [alert.minute(0), alert.minute(0), alert.minute(3), alert.minute(0)]  # back within keep-firing
    assert quiet == [[], [], [], []] and alert.state == "firing"
    ending = [alert.minute(0) for _ in range(6)]
    assert [len(s) for s in ending] == [0, 0, 1, 0, 0, 0]
    resolved = ending[2][0]
    assert resolved["event"] == "alert.resolved" and resolved["state"] == "resolved" and resolved["value"] == 0
    assert alert.state == "resolved" and alert.events() == ["alert.firing", "alert.resolved"]


def test_state_survives_a_restart(rig):
    alert = rig(pending_seconds=2 * MINUTE, repeat_seconds=10 * MINUTE)
    for _ in range(4):
        alert.minute(3)
    assert alert.state == "firing" and alert.events() == ["alert.firing"]
    alert.restart()
    assert alert.state == "firing"
    # Fired at the end of minute 3; no second "firing" after the restart, and the
    # reminder comes 10 minutes after the firing, at the end of minute 13.
    sent = [alert.minute(3) for _ in range(10)]
    assert [len(s) for s in sent] == [0, 0, 0, 0, 0, 0, 0, 0, 1, 0]
    alert.restart()
    assert [p["event"] for p in alert.minute(0)] == ["alert.resolved"]
    alert.restart()
    assert alert.state == "resolved" and alert.minute(0) == []
    assert alert.events() == ["alert.firing", "alert.still_firing", "alert.resolved"]


def test_a_receiver_that_is_down_gets_each_notification_once_in_order(rig, receiver):
    alert = rig()
    receiver.status = 503
    alert.minute(3)  # firing, refused
    alert.minute(0)  # resolved, queued behind it
    for _ in range(5):
        alert.minute(0)  # the firing retried after 1, 2, 4 minutes (+-20 %); the resolved waits its turn
    refused = len(receiver.received)
    assert 3 <= refused <= 4 and {r.payload["event"] for r in receiver.received} == {"alert.firing"}
    assert alert.events() == []
    alert.restart()
    receiver.status = 200
    for _ in range(20):
        alert.minute(0)
    assert alert.events() == ["alert.firing", "alert.resolved"]
    ids = [r.headers["webhook-id"] for r in receiver.received]
    assert len(set(ids)) == 2  # every attempt of one notification carries its one id
    rows = alert.store.outbox.find()
    assert {r["status"] for r in rows} == {"delivered"} and sum(r["attempts"] for r in rows) == len(ids)


def test_a_refusing_receiver_fails_the_delivery_at_once(rig, receiver):
    alert = rig()
    receiver.status = 400
    alert.minute(3)
    alert.minute(3)
    [row] = alert.store.outbox.find()
    assert row["status"] == "failed" and row["attempts"] == 1 and "HTTP 400" in row["last_error"]
    assert len(receiver.received) == 1


def test_failed_attempts_say_why(tmp_path, receiver, dead_url, silent_url):
    store = Store(tmp_path / "data")
    try:
        notifications = Notifications(store, policy=RetryPolicy(timeout=0.3))
        account = store.accounts.create("team")
        secret = webhooks.new_secret()
        outcomes = {}
        receiver.status = 301
        for name, url in (("refused", dead_url), ("silent", silent_url), ("redirect", receiver.url)):
            channel = store.channels.create(account, name, "webhook", url, notifications.secrets.seal(secret),
                                            hint(secret), "analyst")
            row = notifications.send_now(channel, "channel.test", {})
            assert row["status"] == "failed" and row["attempts"] == 1
            outcomes[name] = row["last_error"]
        assert outcomes["refused"] == "connection refused"
        assert outcomes["silent"] == "no answer within 0.3 s"
        assert "redirects are not followed" in outcomes["redirect"]
    finally:
        store.close()


def test_an_alert_on_a_deleted_project_keeps_its_state_and_says_why(rig):
    alert = rig()
    alert.minute(3)
    alert.store.delete_compass_project(alert.project)
    assert alert.minute(0) == [] and alert.state == "firing"
    record = alert.store.alerts.get(alert.alert)
    assert "no longer exists" in record["last_error"] and record["last_evaluated"] == alert.clock.now()
