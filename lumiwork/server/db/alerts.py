"""Alert rules and their evaluation state, one row each.

The state (normal, pending, firing, resolved, and the times the evaluator's
rules need) lives in the rule's row, so a restarted server carries on where
it stopped: a firing alert stays firing and is not announced again.
"""
from __future__ import annotations

import json
import time
from typing import Any

from ..core.auth import random_id
from .database import Database

# The columns the evaluator writes after each evaluation.
STATE_COLUMNS = ("state", "state_since", "pending_since", "clear_since", "fired_at", "last_notified",
                 "last_value", "last_evaluated", "next_evaluation", "last_error")


def _alert(row) -> dict | None:
    if row is None:
        return None
    record = dict(row)
    record["target"] = json.loads(record["target"])
    return record


class AlertRepository:
    def __init__(self, db: Database):
        self.db = db

    def create(self, rule: dict[str, Any], now: float | None = None) -> str:
        """A new rule in state normal, first evaluated at `now`. `rule` holds the
        rule's columns (account_id, name, target_kind, target, project_id, metric,
        direction, threshold, the durations in seconds, channel_id, link, creator)."""
        now = time.time() if now is None else now
        alert_id = "al" + random_id(10)
        values = {**rule, "target": json.dumps(rule["target"]), "alert_id": alert_id, "created": now,
                  "state": "normal", "state_since": now, "next_evaluation": now}
        columns = ", ".join(values)
        with self.db.transaction() as tx:
            tx.execute(f"INSERT INTO alerts ({columns}) VALUES ({', '.join('?' * len(values))})",
                       tuple(values.values()))
        return alert_id

    def get(self, alert_id: str) -> dict | None:
        return _alert(self.db.read_one("SELECT * FROM alerts WHERE alert_id = ?", (alert_id,)))

    def find(self, account_ids: list[str] | None, project_id: str | None = None,
             channel_id: str | None = None) -> list[dict]:
        """Rules of these accounts (None: every account), oldest first."""
        sql, params = "SELECT * FROM alerts WHERE 1 = 1", []
        if account_ids is not None:
            sql += f" AND account_id IN ({', '.join('?' * len(account_ids))})"
            params.extend(account_ids)
        for column, value in (("project_id", project_id), ("channel_id", channel_id)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        return [a for a in (_alert(r) for r in self.db.read(sql + " ORDER BY created, alert_id", params)) if a]

    def due(self, now: float) -> list[dict]:
        """Rules whose next evaluation is due, the most overdue first."""
        rows = self.db.read("SELECT * FROM alerts WHERE next_evaluation <= ? ORDER BY next_evaluation", (now,))
        return [a for a in (_alert(r) for r in rows) if a]

    def next_evaluation(self) -> float | None:
        row = self.db.read_one("SELECT MIN(next_evaluation) AS t FROM alerts")
        return row["t"] if row is not None else None

    def save_state(self, alert_id: str, state: dict[str, Any]) -> bool:
        """Write an evaluation's outcome (the STATE_COLUMNS); False when the rule
        was deleted meanwhile. Joins the caller's transaction, so the state and
        the notifications it causes are stored together or not at all."""
        unknown = set(state) - set(STATE_COLUMNS)
        if unknown:
            raise ValueError(f"not state columns: {sorted(unknown)}")
        assignments = ", ".join(f"{column} = ?" for column in state)
        with self.db.transaction() as tx:
            cursor = tx.execute(f"UPDATE alerts SET {assignments} WHERE alert_id = ?", (*state.values(), alert_id))
        return cursor.rowcount > 0

    def delete(self, alert_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM alerts WHERE alert_id = ?", (alert_id,))
