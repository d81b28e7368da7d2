"""Schedules and runs: a run is one headless execution of a dashboard (an
export asked for now, or a schedule's), with its status and the files it made."""
from __future__ import annotations

import json
import time

from ..core import auth
from .database import Database

SCHEDULE_COLUMNS = "schedule_id, dashboard_id, owner, cron, tz, format, channel, last_slot, created"
RUN_COLUMNS = ("run_id, dashboard_id, schedule_id, owner, format, status, slot, created, started, finished, "
               "message, files")
INTERRUPTED = "interrupted: the server stopped during this run"


def run_record(row) -> dict:
    record = dict(row)
    record["files"] = json.loads(record["files"])
    return record


class ScheduleRepository:
    def __init__(self, db: Database):
        self.db = db

    def create(self, dashboard_id: str, owner: str, cron: str, tz: str, format: str, channel: str | None,
               last_slot: float) -> dict:
        schedule_id = auth.random_id(10)
        with self.db.transaction() as tx:
            tx.execute(f"INSERT INTO schedules ({SCHEDULE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (schedule_id, dashboard_id, owner, cron, tz, format, channel, last_slot, time.time()))
        found = self.get(schedule_id)
        assert found is not None
        return found

    def get(self, schedule_id: str) -> dict | None:
        row = self.db.read_one(f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE schedule_id = ?", (schedule_id,))
        return dict(row) if row else None

    def all(self) -> list[dict]:
        return [dict(r) for r in self.db.read(f"SELECT {SCHEDULE_COLUMNS} FROM schedules ORDER BY created")]

    def of_owner(self, owner: str) -> list[dict]:
        return [dict(r) for r in self.db.read(f"SELECT {SCHEDULE_COLUMNS} FROM schedules WHERE owner = ? "
                                              "ORDER BY created", (owner,))]

    def set_last_slot(self, schedule_id: str, slot: float) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE schedules SET last_slot = ? WHERE schedule_id = ?", (slot, schedule_id))

    def delete(self, schedule_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM schedules WHERE schedule_id = ?", (schedule_id,))

    def delete_dashboard(self, dashboard_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM schedules WHERE dashboard_id = ?", (dashboard_id,))


class RunRepository:
    def __init__(self, db: Database):
        self.db = db

    def create(self, dashboard_id: str, owner: str, format: str, schedule_id: str | None = None,
               slot: float | None = None) -> dict:
        run_id = auth.random_id(12)
        with self.db.transaction() as tx:
            tx.execute(f"INSERT INTO runs ({RUN_COLUMNS}) VALUES "
                       "(?, ?, ?, ?, ?, 'queued', ?, ?, NULL, NULL, NULL, '[]')",
                       (run_id, dashboard_id, schedule_id, owner, format, slot, time.time()))
        found = self.get(run_id)
        assert found is not None
        return found

    def get(self, run_id: str) -> dict | None:
        row = self.db.read_one(f"SELECT {RUN_COLUMNS} FROM runs WHERE run_id = ?", (run_id,))
        return run_record(row) if row else None

    def find(self, dashboard_ids: list[str], schedule_id: str | None = None) -> list[dict]:
        if not dashboard_ids:
            return []
        sql = f"SELECT {RUN_COLUMNS} FROM runs WHERE dashboard_id IN ({','.join('?' * len(dashboard_ids))})"
        params: list = list(dashboard_ids)
        if schedule_id is not None:
            sql += " AND schedule_id = ?"
            params.append(schedule_id)
        return [run_record(r) for r in self.db.read(sql + " ORDER BY created DESC", params)]

    def latest_done(self, dashboard_id: str, format: str = "html") -> dict | None:
        """The newest successful run of a dashboard that made `format` (the snapshot)."""
        row = self.db.read_one(f"SELECT {RUN_COLUMNS} FROM runs WHERE dashboard_id = ? AND status = 'done' AND "
                               "format IN (?, 'pdf') ORDER BY finished DESC LIMIT 1", (dashboard_id, format))
        return run_record(row) if row else None

    def start(self, run_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE runs SET status = 'running', started = ? WHERE run_id = ?", (time.time(), run_id))

    def finish(self, run_id: str, ok: bool, message: str | None, files: list[str]) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE runs SET status = ?, finished = ?, message = ?, files = ? WHERE run_id = ?",
                       ("done" if ok else "failed", time.time(), message, json.dumps(files), run_id))

    def fail_interrupted(self) -> list[str]:
        """Runs a stopped server left queued or running: failed, with the reason."""
        with self.db.transaction() as tx:
            rows = tx.execute("SELECT run_id FROM runs WHERE status IN ('queued', 'running')").fetchall()
            tx.execute("UPDATE runs SET status = 'failed', finished = ?, message = ? WHERE status IN "
                       "('queued', 'running')", (time.time(), INTERRUPTED))
        return [r["run_id"] for r in rows]

    def delete_dashboard(self, dashboard_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM runs WHERE dashboard_id = ?", (dashboard_id,))
