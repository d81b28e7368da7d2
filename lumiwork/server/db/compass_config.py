"""Compass project configuration: the keys a project has set (defaults apart)."""
from __future__ import annotations

import json
from typing import Any

from .database import Database


class CompassConfigRepository:
    def __init__(self, db: Database):
        self.db = db

    def get(self, project_id: str) -> dict[str, Any]:
        rows = self.db.read("SELECT key, value FROM compass_config WHERE project_id = ?", (project_id,))
        return {r["key"]: json.loads(r["value"]) for r in rows}

    def set(self, project_id: str, key: str, value: Any) -> None:
        with self.db.transaction() as tx:
            tx.execute("INSERT OR REPLACE INTO compass_config VALUES (?, ?, ?)", (project_id, key, json.dumps(value)))

    def unset(self, project_id: str, key: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM compass_config WHERE project_id = ? AND key = ?", (project_id, key))

    def delete_project(self, project_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM compass_config WHERE project_id = ?", (project_id,))
