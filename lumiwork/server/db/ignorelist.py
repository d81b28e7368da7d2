"""API v4 ignore lists: terms left out of top terms and term search."""
from __future__ import annotations

from .database import Database


class IgnoreListRepository:
    def __init__(self, db: Database):
        self.db = db

    def get(self, project_id: str) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {"fullstring": [], "substring": []}
        for row in self.db.read("SELECT term, kind FROM ignorelist WHERE project_id = ? ORDER BY rowid",
                                (project_id,)):
            result[row["kind"]].append(row["term"])
        return result

    def set(self, project_id: str, term: str, kind: str, ignored: bool) -> None:
        with self.db.transaction() as tx:
            if ignored:
                tx.execute("INSERT OR IGNORE INTO ignorelist VALUES (?, ?, ?)", (project_id, term, kind))
            else:
                tx.execute("DELETE FROM ignorelist WHERE project_id = ? AND term = ? AND kind = ?",
                           (project_id, term, kind))

    def delete_project(self, project_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM ignorelist WHERE project_id = ?", (project_id,))
