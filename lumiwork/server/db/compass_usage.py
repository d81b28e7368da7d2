"""Compass usage: messages received per project, day and source."""
from __future__ import annotations

import time
from typing import Any

from .database import Database

DAY = 86400.0


def usage_day(moment: float) -> float:
    """Start of the usage day holding `moment`: days start at noon UTC (Compass's rule)."""
    return (moment - DAY / 2) // DAY * DAY + DAY / 2


class CompassUsageRepository:
    def __init__(self, db: Database):
        self.db = db

    def count(self, project_id: str, messages: int, source: str = "api", at: float | None = None) -> None:
        day = usage_day(time.time() if at is None else at)
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO compass_usage VALUES (?, ?, ?, ?) ON CONFLICT (project_id, day, source) "
                       "DO UPDATE SET count = count + excluded.count", (project_id, day, source, messages))

    def find(self, project_id: str, source: str | None = None, earliest: float | None = None,
             latest: float | None = None) -> list[dict]:
        sql = "SELECT * FROM compass_usage WHERE project_id = ?"
        params: list[Any] = [project_id]
        filters: tuple[tuple[str, Any], ...] = (("source = ?", source), ("day >= ?", earliest), ("day <= ?", latest))
        for clause, value in filters:
            if value is not None:
                sql += f" AND {clause}"
                params.append(value)
        return [dict(r) for r in self.db.read(sql + " ORDER BY day, source", params)]

    def delete_project(self, project_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM compass_usage WHERE project_id = ?", (project_id,))
