"""Compass documents: the labelled (training) and unlabelled texts of a project."""
from __future__ import annotations

from typing import Any

from .database import Database


class CompassDocumentRepository:
    def __init__(self, db: Database):
        self.db = db

    def add(self, project_id: str, documents: list[dict]) -> list[int]:
        ids = []
        with self.db.transaction() as tx:
            for doc in documents:
                cursor = tx.execute("INSERT INTO compass_documents (project_id, text, label, dataset, language) "
                                    "VALUES (?, ?, ?, ?, ?)",
                                    (project_id, doc["text"], doc.get("label"), doc.get("dataset"), doc["language"]))
                ids.append(int(cursor.lastrowid or 0))
        return ids

    def find(self, project_id: str, label: str | None = None, dataset: str | None = None,
             ids: list[int] | None = None) -> list[dict]:
        sql = "SELECT * FROM compass_documents WHERE project_id = ?"
        params: list[Any] = [project_id]
        for column, value in (("label", label), ("dataset", dataset)):
            if value is not None:
                sql += f" AND {column} = ?"
                params.append(value)
        if ids is not None:
            sql += f" AND id IN ({','.join('?' * len(ids))})"
            params += ids
        return [dict(r) for r in self.db.read(sql + " ORDER BY id", params)]

    def texts(self, project_id: str, limit: int) -> list[str]:
        """The first `limit` documents' texts, oldest first."""
        return [r[0] for r in self.db.read("SELECT text FROM compass_documents WHERE project_id = ? "
                                           "ORDER BY id LIMIT ?", (project_id, limit))]

    def count(self, project_id: str) -> int:
        row = self.db.read_one("SELECT COUNT(*) FROM compass_documents WHERE project_id = ?", (project_id,))
        return int(row[0]) if row else 0

    def delete_project(self, project_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM compass_documents WHERE project_id = ?", (project_id,))
