"""The outbox: every notification to deliver, written in the same transaction
as the event that causes it, and kept with the outcome of each attempt.

A row is `pending` until it is `delivered` (the receiver answered 2xx) or
`failed` (refused for good, or retried until given up). A row sent at once,
outside the queue (a channel's test), is `sending` until its one attempt ends. Each channel receives
its notifications in the order they were made: only the oldest pending row of
a channel is due, so a receiver that is down holds its channel's queue (and
is retried once per backoff step, not once per waiting row) and never
another channel's.
"""
from __future__ import annotations

from typing import Any

from .database import Database

STATUSES = ("pending", "sending", "delivered", "failed")
# The oldest pending row of each channel (rowid: the order rows were written).
_HEADS = ("SELECT * FROM outbox o WHERE o.status = 'pending' AND o.rowid = "
          "(SELECT MIN(rowid) FROM outbox p WHERE p.status = 'pending' AND p.channel_id = o.channel_id)")


class OutboxRepository:
    def __init__(self, db: Database):
        self.db = db

    def add(self, event_id: str, channel_id: str, event: str, body: bytes, now: float,
            alert_id: str | None = None, retry: bool = True, status: str = "pending") -> None:
        """Queue one notification (joining the caller's transaction, if any);
        `status` "sending" keeps it out of the queue (it is being sent at once)."""
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO outbox (event_id, channel_id, alert_id, event, body, created, next_attempt, "
                       "retry, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (event_id, channel_id, alert_id, event, body, now, now, int(retry), status))

    def due(self, now: float, limit: int = 100) -> list[dict]:
        """Each channel's oldest pending notification, if its next attempt is due."""
        rows = self.db.read(f"SELECT * FROM ({_HEADS}) WHERE next_attempt <= ? ORDER BY next_attempt LIMIT ?",
                            (now, limit))
        return [dict(r) for r in rows]

    def next_attempt(self) -> float | None:
        """When the earliest channel queue has its next attempt (None: nothing pending)."""
        row = self.db.read_one(f"SELECT MIN(next_attempt) AS t FROM ({_HEADS})")
        return row["t"] if row is not None else None

    def record_attempt(self, event_id: str, status: str, attempts: int, at: float, next_attempt: float,
                       last_status: int | None, last_error: str | None) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE outbox SET status = ?, attempts = ?, last_attempt = ?, next_attempt = ?, "
                       "last_status = ?, last_error = ?, delivered = CASE WHEN ? = 'delivered' THEN ? END "
                       "WHERE event_id = ?",
                       (status, attempts, at, next_attempt, last_status, last_error, status, at, event_id))

    def requeue(self, event_id: str, now: float) -> bool:
        """A failed notification goes back to the end of its channel's queue, due now."""
        with self.db.transaction() as tx:
            row = tx.execute("SELECT * FROM outbox WHERE event_id = ? AND status = 'failed'", (event_id,)).fetchone()
            if row is None:
                return False
            tx.execute("DELETE FROM outbox WHERE event_id = ?", (event_id,))  # a new rowid: the queue's end
            tx.execute("INSERT INTO outbox (event_id, channel_id, alert_id, event, body, created, attempts, "
                       "next_attempt, status, retry, last_status, last_error, last_attempt) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', 1, ?, ?, ?)",
                       (row["event_id"], row["channel_id"], row["alert_id"], row["event"], row["body"],
                        row["created"], row["attempts"], now, row["last_status"], row["last_error"],
                        row["last_attempt"]))
        return True

    def get(self, event_id: str) -> dict | None:
        row = self.db.read_one("SELECT * FROM outbox WHERE event_id = ?", (event_id,))
        return dict(row) if row is not None else None

    def find(self, channel_ids: list[str] | None = None, alert_id: str | None = None, status: str | None = None,
             limit: int = 50) -> list[dict]:
        """Notifications, newest first."""
        sql = "SELECT * FROM outbox WHERE 1 = 1"
        params: list[Any] = []
        if channel_ids is not None:
            sql += f" AND channel_id IN ({', '.join('?' * len(channel_ids))})"
            params.extend(channel_ids)
        if alert_id is not None:
            sql += " AND alert_id = ?"
            params.append(alert_id)
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        return [dict(r) for r in self.db.read(sql + " ORDER BY rowid DESC LIMIT ?", [*params, limit])]

    def counts(self, channel_id: str) -> dict[str, int]:
        """How many of the channel's notifications are in each status."""
        rows = self.db.read("SELECT status, COUNT(*) AS n FROM outbox WHERE channel_id = ? GROUP BY status",
                            (channel_id,))
        found = {r["status"]: int(r["n"]) for r in rows}
        return {status: found.get(status, 0) for status in STATUSES}

    def delete_channel(self, channel_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM outbox WHERE channel_id = ?", (channel_id,))
