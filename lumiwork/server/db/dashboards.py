"""Dashboards: frozen copies of notebooks, each bound to one API v4 project and
read with its own project-scoped, read-only token (whose id is kept here)."""
from __future__ import annotations

import time

from ..core import auth
from .database import Database

COLUMNS = "dashboard_id, name, owner, account_id, project_id, project_name, notebook, token_id, created"


class DashboardRepository:
    def __init__(self, db: Database):
        self.db = db

    def create(self, name: str, owner: str, account_id: str, project_id: str, project_name: str,
               notebook: str, token_id: str, dashboard_id: str | None = None) -> dict:
        dashboard_id = dashboard_id or auth.random_id(10)
        with self.db.transaction() as tx:
            tx.execute(f"INSERT INTO dashboards ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (dashboard_id, name, owner, account_id, project_id, project_name, notebook, token_id,
                        time.time()))
        found = self.get(dashboard_id)
        assert found is not None
        return found

    def get(self, dashboard_id: str) -> dict | None:
        row = self.db.read_one(f"SELECT {COLUMNS} FROM dashboards WHERE dashboard_id = ?", (dashboard_id,))
        return dict(row) if row else None

    def of_owner(self, owner: str) -> list[dict]:
        return [dict(r) for r in self.db.read(f"SELECT {COLUMNS} FROM dashboards WHERE owner = ? ORDER BY created",
                                              (owner,))]

    def all(self) -> list[dict]:
        return [dict(r) for r in self.db.read(f"SELECT {COLUMNS} FROM dashboards ORDER BY created")]

    def delete(self, dashboard_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM dashboards WHERE dashboard_id = ?", (dashboard_id,))
