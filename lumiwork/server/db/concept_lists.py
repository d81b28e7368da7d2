"""API v5 concept lists: named lists of concepts (texts, a name, a colour) per project."""
from __future__ import annotations

import json
import sqlite3
import time

from ..core import auth
from .database import Database


class ConceptListExists(ValueError):
    """A project already has a concept list of that name."""


def _record(row: sqlite3.Row) -> dict:
    return {"concept_list_id": row["concept_list_id"], "name": row["name"],
            "concepts": json.loads(row["concepts"]), "created": row["created"]}


class ConceptListRepository:
    def __init__(self, db: Database):
        self.db = db

    def all(self, project_id: str) -> list[dict]:
        rows = self.db.read("SELECT * FROM concept_lists WHERE project_id = ? ORDER BY created, concept_list_id",
                            (project_id,))
        return [_record(row) for row in rows]

    def get(self, project_id: str, list_id: str) -> dict | None:
        row = self.db.read_one("SELECT * FROM concept_lists WHERE project_id = ? AND concept_list_id = ?",
                               (project_id, list_id))
        return _record(row) if row else None

    def by_name(self, project_id: str, name: str) -> dict | None:
        row = self.db.read_one("SELECT * FROM concept_lists WHERE project_id = ? AND name = ?", (project_id, name))
        return _record(row) if row else None

    def create(self, project_id: str, name: str, concepts: list[dict], overwrite: bool = False) -> str:
        """A new list (its id); with `overwrite`, a list of that name is replaced,
        keeping its id. ConceptListExists otherwise."""
        with self.db.transaction() as tx:
            row = tx.execute("SELECT concept_list_id FROM concept_lists WHERE project_id = ? AND name = ?",
                             (project_id, name)).fetchone()
            if row is not None:
                if not overwrite:
                    raise ConceptListExists(name)
                tx.execute("UPDATE concept_lists SET concepts = ? WHERE project_id = ? AND concept_list_id = ?",
                           (json.dumps(concepts), project_id, row["concept_list_id"]))
                return row["concept_list_id"]
            list_id = auth.random_id(8)
            tx.execute("INSERT INTO concept_lists VALUES (?, ?, ?, ?, ?)",
                       (project_id, list_id, name, json.dumps(concepts), time.time()))
            return list_id

    def update(self, project_id: str, list_id: str, name: str | None = None,
               concepts: list[dict] | None = None) -> None:
        """Rename a list and/or replace its concepts; ConceptListExists if the
        new name is another list's."""
        with self.db.transaction() as tx:
            if name is not None:
                other = tx.execute("SELECT concept_list_id FROM concept_lists WHERE project_id = ? AND name = ?",
                                   (project_id, name)).fetchone()
                if other is not None and other["concept_list_id"] != list_id:
                    raise ConceptListExists(name)
                tx.execute("UPDATE concept_lists SET name = ? WHERE project_id = ? AND concept_list_id = ?",
                           (name, project_id, list_id))
            if concepts is not None:
                tx.execute("UPDATE concept_lists SET concepts = ? WHERE project_id = ? AND concept_list_id = ?",
                           (json.dumps(concepts), project_id, list_id))

    def delete(self, project_id: str, list_id: str) -> bool:
        with self.db.transaction() as tx:
            cursor = tx.execute("DELETE FROM concept_lists WHERE project_id = ? AND concept_list_id = ?",
                                (project_id, list_id))
            return cursor.rowcount > 0

    def delete_project(self, project_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM concept_lists WHERE project_id = ?", (project_id,))
