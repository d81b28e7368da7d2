"""Compass projects: their records, their semantic space's model file, and the
version of their messages (readers cache message columns by it)."""
from __future__ import annotations

import time
from typing import Any

from ..core import auth
from .database import Database


def _row(row) -> dict | None:
    return dict(row) if row is not None else None


class CompassProjectRepository:
    def __init__(self, db: Database):
        self.db = db

    def create(self, account_id: str, name: str, language: str, creator: str, description: str = "",
               status: str = "active") -> str:
        project_id = auth.random_id(8)
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO compass_projects (project_id, account_id, name, description, language, status, "
                       "creator, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (project_id, account_id, name, description, language, status, creator, time.time()))
        return project_id

    def get(self, project_id: str) -> dict | None:
        return _row(self.db.read_one("SELECT * FROM compass_projects WHERE project_id = ?", (project_id,)))

    def find(self, account_ids: list[str] | None, status: str | None = None) -> list[dict]:
        sql, params = "SELECT * FROM compass_projects WHERE 1", []
        if account_ids is not None:
            sql += f" AND account_id IN ({','.join('?' * len(account_ids))})"
            params += account_ids
        if status:
            sql += " AND status = ?"
            params.append(status)
        return [dict(r) for r in self.db.read(sql + " ORDER BY created, project_id", params)]

    def update(self, project_id: str, **fields: Any) -> None:
        if not fields:
            return
        assignments = ", ".join(f"{column} = ?" for column in fields)
        with self.db.transaction() as tx:
            tx.execute(f"UPDATE compass_projects SET {assignments} WHERE project_id = ?",
                       (*fields.values(), project_id))

    def bump_messages(self, project_id: str) -> None:
        """Mark the project's messages changed (readers cache columns by this version)."""
        with self.db.transaction() as tx:
            tx.execute("UPDATE compass_projects SET messages_version = messages_version + 1 WHERE project_id = ?",
                       (project_id,))

    def messages_version(self, project_id: str) -> int:
        row = self.db.read_one("SELECT messages_version FROM compass_projects WHERE project_id = ?", (project_id,))
        return int(row["messages_version"]) if row else -1

    def set_clustered(self, project_id: str, at: float, messages: int) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE compass_projects SET clustered_at = ?, clustered_messages = ? WHERE project_id = ?",
                       (at, messages, project_id))

    def model_files(self) -> set[str]:
        return {r["model_file"] for r in self.db.read("SELECT model_file FROM compass_projects "
                                                      "WHERE model_file IS NOT NULL")}

    def delete(self, project_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM compass_projects WHERE project_id = ?", (project_id,))
