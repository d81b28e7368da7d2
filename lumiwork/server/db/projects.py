"""API v4 projects: their records and which model file answers for each."""
from __future__ import annotations

import sqlite3
import time

from ..core import auth
from .database import Database


class ProjectRepository:
    def __init__(self, db: Database):
        self.db = db

    def create(self, account_id: str, name: str, creator: str, description: str = "",
               language: str = "en") -> str:
        project_id = auth.random_id(6)
        now = time.time()
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO projects (project_id, account_id, name, description, creator, "
                       "creation_date, last_update, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (project_id, account_id, name, description, creator, now, now, language))
        return project_id

    def get(self, account_id: str, project_id: str) -> sqlite3.Row | None:
        return self.db.read_one("SELECT * FROM projects WHERE account_id = ? AND project_id = ?",
                                (account_id, project_id))

    def by_id(self, project_id: str) -> sqlite3.Row | None:
        return self.db.read_one("SELECT * FROM projects WHERE project_id = ?", (project_id,))

    def language(self, project_id: str) -> str:
        row = self.db.read_one("SELECT language FROM projects WHERE project_id = ?", (project_id,))
        return row["language"] if row else "en"

    def last_update(self, project_id: str) -> float | None:
        row = self.db.read_one("SELECT last_update FROM projects WHERE project_id = ?", (project_id,))
        return row["last_update"] if row else None

    def find(self, account_ids: list[str], name: str | None = None) -> list[sqlite3.Row]:
        marks = ",".join("?" * len(account_ids))
        sql = f"SELECT * FROM projects WHERE account_id IN ({marks})"
        params = list(account_ids)
        if name is not None:
            sql += " AND name = ?"
            params.append(name)
        return self.db.read(sql + " ORDER BY creation_date", params)

    def model_files(self) -> set[str]:
        return {row["model_file"] for row in
                self.db.read("SELECT model_file FROM projects WHERE model_file IS NOT NULL")}

    def update(self, project_id: str, **fields) -> None:
        assignments = ", ".join(f"{column} = ?" for column in fields)
        with self.db.transaction() as tx:
            tx.execute(f"UPDATE projects SET {assignments}, last_update = ? WHERE project_id = ?",
                       (*fields.values(), time.time(), project_id))

    def touch(self, project_id: str) -> None:
        """Mark the project's documents changed (caches keyed by last_update drop)."""
        with self.db.transaction() as tx:
            tx.execute("UPDATE projects SET last_update = ? WHERE project_id = ?", (time.time(), project_id))

    def set_model(self, project_id: str, model_file: str, built_at: float) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE projects SET model_file = ?, last_build = ?, last_update = ? WHERE project_id = ?",
                       (model_file, built_at, built_at, project_id))

    def delete(self, project_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM projects WHERE project_id = ?", (project_id,))
