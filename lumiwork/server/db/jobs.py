"""API v4 jobs: recalculations, their stages and outcomes."""
from __future__ import annotations

import time

from .database import Database

INTERRUPTED = "interrupted: the server stopped during this job"


class JobRepository:
    def __init__(self, db: Database):
        self.db = db

    def start(self, project_id: str, source_type: str = "recalculator") -> int:
        with self.db.transaction() as tx:
            job_id = tx.execute("SELECT COALESCE(MAX(job_id), 0) + 1 FROM jobs WHERE project_id = ?",
                                (project_id,)).fetchone()[0]
            tx.execute("INSERT INTO jobs (project_id, job_id, source_type, start_time) VALUES (?, ?, ?, ?)",
                       (project_id, job_id, source_type, time.time()))
        return job_id

    def set_stage(self, project_id: str, job_id: int, stage: str, index: int, count: int) -> None:
        """Record the stage a running job has reached (`index` of `count`, from 1)."""
        with self.db.transaction() as tx:
            tx.execute("UPDATE jobs SET stage = ?, stage_index = ?, stage_count = ? WHERE "
                       "project_id = ? AND job_id = ? AND stop_time IS NULL",
                       (stage, index, count, project_id, job_id))

    def finish(self, project_id: str, job_id: int, success: bool, message: str | None = None,
               at: float | None = None) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE jobs SET stop_time = ?, success = ?, message = ? WHERE project_id = ? AND job_id = ?",
                       (time.time() if at is None else at, int(success), message, project_id, job_id))

    def get(self, project_id: str, job_id: int) -> dict | None:
        row = self.db.read_one("SELECT * FROM jobs WHERE project_id = ? AND job_id = ?", (project_id, job_id))
        return job_record(row) if row else None

    def find(self, project_id: str, running_only: bool) -> list[dict]:
        sql = "SELECT * FROM jobs WHERE project_id = ?"
        if running_only:
            sql += " AND stop_time IS NULL"
        return [job_record(r) for r in self.db.read(sql + " ORDER BY job_id", (project_id,))]

    def fail_interrupted(self) -> int:
        """Jobs left running by a server that died can never finish: mark them failed."""
        with self.db.transaction() as tx:
            cursor = tx.execute("UPDATE jobs SET stop_time = ?, success = 0, message = ? WHERE stop_time IS NULL",
                                (time.time(), INTERRUPTED))
            return cursor.rowcount

    def delete_project(self, project_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM jobs WHERE project_id = ?", (project_id,))


def job_record(row) -> dict:
    success = None if row["success"] is None else bool(row["success"])
    job = {"job_id": row["job_id"], "source_type": row["source_type"],
           "start_time": row["start_time"], "stop_time": row["stop_time"], "success": success}
    if row["message"]:
        job["message"] = row["message"]
    # Extra fields (the official client reads only the ones above): how far the job got
    # (a stage of None: not started yet). LuminosoClient.wait_for takes them to mean that
    # this server knows jobs/id/<n>/?wait=.
    job["stage"] = row["stage"]
    if row["stage"] is not None:
        job["progress"] = {"stage": row["stage_index"], "stages": row["stage_count"]}
    return job
