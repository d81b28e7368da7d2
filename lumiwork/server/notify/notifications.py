"""Notifications: the one way a server feature sends a message to a channel,
and the dispatcher that delivers them.

Any part of the server queues a notification with `Notifications.notify`
(an account's channel by name, an event type and a JSON payload). It is
written to the outbox table (db/outbox.py) and delivered by one background
thread as a signed POST (wire/webhooks.py): retried with exponential backoff
and jitter while the receiver is down or failing, across server restarts,
until it answers 2xx or the notification is given up (`RetryPolicy`). Every
attempt carries the same event id, which receivers use to drop a repeat, so
each notification is handled once from the receiver's point of view.

The dispatcher never runs on a request thread or holds the database writer
while it waits for a receiver.
"""
from __future__ import annotations

import logging
import random
import secrets
import socket
import threading
from dataclasses import dataclass
from typing import Any

import urllib3

from ...wire.dates import iso
from ...wire.webhooks import signed_headers
from ..core.jsonstrict import dumps_json
from ..db import Store
from .clock import Clock, SystemClock
from .secrets import SecretBox, SecretUnreadable

log = logging.getLogger(__name__)

USER_AGENT = "lumiwork-webhooks/1"
# While nothing is due, the dispatcher still looks at the outbox this often
# (a notification queued inside a caller's transaction wakes it only after).
IDLE_POLL_SECONDS = 5.0
# Statuses worth another attempt besides 5xx: timeout, conflict (a request with
# that key still in flight), too early, too many requests.
RETRY_STATUSES = (408, 409, 425, 429)
MAX_ATTEMPTS_PER_PASS = 1000


@dataclass(frozen=True)
class RetryPolicy:
    """When to try again: `first` seconds after the first failed attempt, then
    `factor` times longer each time up to `cap`, each wait varied by ±`jitter`
    (so receivers coming back are not hit by every sender at once); given up
    (failed) once a notification is `give_up_after` seconds old. A receiver's
    Retry-After is honoured up to `cap`. `timeout`: seconds per attempt."""

    first: float = 5.0
    factor: float = 2.0
    cap: float = 3600.0
    give_up_after: float = 3 * 86400.0
    jitter: float = 0.2
    timeout: float = 10.0

    def delay(self, attempts: int, rng: random.Random) -> float:
        """Seconds to wait after the `attempts`-th failed attempt."""
        base = min(self.cap, self.first * self.factor ** max(0, attempts - 1))
        return base * rng.uniform(1 - self.jitter, 1 + self.jitter)


class ChannelNotFound(LookupError):
    """No channel of that name in that account."""


@dataclass
class Outcome:
    """One attempt: `status` "delivered", "retry" or "failed"; the HTTP status if
    the receiver answered; why it did not count as delivered."""

    status: str
    http_status: int | None = None
    error: str | None = None
    retry_after: float | None = None


class Notifications:
    """The outbox's writer (`notify`, `enqueue`) and its dispatcher thread."""

    def __init__(self, store: Store, clock: Clock | None = None, policy: RetryPolicy | None = None,
                 rng: random.Random | None = None):
        self.store = store
        self.clock: Clock = clock or SystemClock()
        self.policy = policy or RetryPolicy()
        self.rng = rng or random.Random()
        self.secrets = SecretBox(store.secret)
        self._http = urllib3.PoolManager(num_pools=16, maxsize=1, retries=False)
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    # ---- queueing: the API other server features call ----------------------------------------
    def notify(self, account_id: str, channel: str, event: str, payload: dict[str, Any],
               alert_id: str | None = None, retry: bool = True) -> str:
        """Queue `payload` for the channel named `channel` in account `account_id`,
        as event type `event` (e.g. "schedule.failed"); returns the event id.

        The receiver gets ``{"id", "event", "time", **payload}`` as a signed POST,
        retried until delivered (`retry=False`: one attempt only). Called inside
        a `store.db.transaction()`, the notification is queued only if that
        transaction commits, and leaves within IDLE_POLL_SECONDS of it.
        ChannelNotFound if the account has no such channel."""
        found = self.store.channels.by_name(account_id, channel)
        if found is None:
            raise ChannelNotFound(f"no channel named {channel!r} in account {account_id}: "
                                  "create it with `lumiwork channel create`")
        return self.enqueue(found["channel_id"], event, payload, alert_id, retry)

    def enqueue(self, channel_id: str, event: str, payload: dict[str, Any], alert_id: str | None = None,
                retry: bool = True) -> str:
        """Queue a notification for a channel by id (see `notify`)."""
        event_id, body, now = self._event(event, payload)
        self.store.outbox.add(event_id, channel_id, event, body, now, alert_id=alert_id, retry=retry)
        if not self.store.db.in_transaction():
            self.wake()
        return event_id

    def send_now(self, channel_id: str, event: str, payload: dict[str, Any]) -> dict:
        """Send one notification at once, on the calling thread, ahead of the
        channel's queue and without retries (a channel's test); returns its
        outbox row once tried."""
        event_id, body, now = self._event(event, payload)
        self.store.outbox.add(event_id, channel_id, event, body, now, retry=False, status="sending")
        row = self.store.outbox.get(event_id)
        assert row is not None
        self._attempt(row)
        done = self.store.outbox.get(event_id)
        assert done is not None
        return done

    def _event(self, event: str, payload: dict[str, Any]) -> tuple[str, bytes, float]:
        """A new event's id, the exact body every attempt sends, and its time."""
        event_id = "evt_" + secrets.token_urlsafe(18)
        now = self.clock.now()
        return event_id, dumps_json({"id": event_id, "event": event, "time": iso(now), **payload}), now

    def wake(self) -> None:
        """Look at the outbox now (something was queued)."""
        self._wake.set()

    # ---- delivering --------------------------------------------------------------------------
    def deliver_due(self) -> int:
        """Attempt every notification due now, each channel's in the order they
        were queued; returns the number of attempts made."""
        attempts = 0
        while attempts < MAX_ATTEMPTS_PER_PASS:
            due = self.store.outbox.due(self.clock.now())
            if not due:
                break
            for row in due:
                self._attempt(row)
                attempts += 1
        return attempts

    def _attempt(self, row: dict) -> None:
        channel = self.store.channels.get(row["channel_id"])
        now = self.clock.now()
        if channel is None:
            outcome = Outcome("failed", error="the channel was deleted")
        else:
            try:
                secret = self.secrets.open(channel["secret"])
            except SecretUnreadable as exc:
                outcome = Outcome("failed", error=str(exc))
            else:
                outcome = self._post(channel["url"], row, secret, now)
        attempts = row["attempts"] + 1
        at = self.clock.now()
        status, next_attempt = outcome.status, at
        if status == "retry":
            if not row["retry"]:
                status = "failed"
            elif at - row["created"] >= self.policy.give_up_after:
                status = "failed"
                outcome.error = f"given up after {attempts} attempts; last: {outcome.error}"
            else:
                wait = self.policy.delay(attempts, self.rng)
                if outcome.retry_after is not None:
                    wait = max(wait, min(outcome.retry_after, self.policy.cap))
                status, next_attempt = "pending", at + wait
        self.store.outbox.record_attempt(row["event_id"], status, attempts, at, next_attempt,
                                         outcome.http_status, outcome.error)
        if status == "failed":
            log.warning("notification %s to channel %s failed: %s", row["event_id"], row["channel_id"],
                        outcome.error)

    def _post(self, url: str, row: dict, secret: str, now: float) -> Outcome:
        body = bytes(row["body"])
        headers = {**signed_headers(secret, row["event_id"], body, int(now)), "User-Agent": USER_AGENT}
        try:
            response = self._http.request("POST", url, body=body, headers=headers, redirect=False, retries=False,
                                          timeout=urllib3.Timeout(connect=self.policy.timeout,
                                                                  read=self.policy.timeout),
                                          preload_content=True)
        except urllib3.exceptions.HTTPError as exc:
            return Outcome("retry", error=_network_reason(exc, self.policy.timeout))
        return classify_answer(response.status, response.headers.get("Retry-After"),
                               response.headers.get("Location"))

    # ---- the thread --------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is not None:
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="lumiwork-notifications", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop after the attempt in flight, if any (its outcome is recorded)."""
        self._stopping.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=self.policy.timeout + 5)
            self._thread = None
        self._http.clear()

    def _run(self) -> None:
        while not self._stopping.is_set():
            self._wake.clear()
            try:
                self.deliver_due()
                upcoming = self.store.outbox.next_attempt()
            except Exception:  # a bad row or a full disk must not end deliveries for good
                log.exception("delivering notifications failed; trying again shortly")
                upcoming = None
            wait = IDLE_POLL_SECONDS if upcoming is None else min(IDLE_POLL_SECONDS,
                                                                  max(0.0, upcoming - self.clock.now()))
            self._wake.wait(wait)


def classify_answer(status: int, retry_after: str | None = None, location: str | None = None) -> Outcome:
    """What a receiver's HTTP status means for a notification: 2xx delivered;
    5xx, 408, 409, 425 and 429 worth another attempt (after Retry-After, if
    given in seconds); a redirect or any other 4xx failed for good (the
    receiver refuses it; sending the same again cannot help)."""
    if 200 <= status < 300:
        return Outcome("delivered", status)
    if status >= 500 or status in RETRY_STATUSES:
        wait = None
        if retry_after and retry_after.strip().isdigit():
            wait = float(retry_after.strip())
        return Outcome("retry", status, f"the receiver answered HTTP {status}", wait)
    if 300 <= status < 400:
        return Outcome("failed", status, f"the receiver redirected (HTTP {status}) to {location or 'elsewhere'}: "
                                         "redirects are not followed; give the channel the final URL")
    return Outcome("failed", status, f"the receiver refused the notification (HTTP {status})")


def _network_reason(exc: BaseException, timeout: float) -> str:
    """A few words on why a POST got no answer, from urllib3's exception chain
    (read whole first: urllib3 2 makes every failed connection a subclass of
    its connect timeout, refused ones included)."""
    chain: list[BaseException] = []
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if any(current is seen for seen in chain):
            continue
        chain.append(current)
        pending.extend(e for e in (current.__cause__, current.__context__, getattr(current, "reason", None),
                                   *current.args) if isinstance(e, BaseException))
    for current in chain:
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, socket.gaierror):
            return "host name not found"
        if isinstance(current, urllib3.exceptions.SSLError):
            return f"TLS failed: {current}"
    if any(isinstance(c, (socket.timeout, TimeoutError, urllib3.exceptions.TimeoutError)) for c in chain):
        return f"no answer within {timeout:g} s"
    return f"connection failed: {type(exc).__name__}"
