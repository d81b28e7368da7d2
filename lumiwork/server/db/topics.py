"""API v4 topics: named texts whose vectors the statistics compare."""
from __future__ import annotations

import uuid

from .database import Database

COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
          "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


class TopicRepository:
    def __init__(self, db: Database):
        self.db = db

    def add(self, project_id: str, name: str, text: str, color: str | None) -> str:
        topic_id = str(uuid.uuid4())
        with self.db.transaction() as tx:
            # MAX + 1, not COUNT: after a delete, COUNT would repeat a position and colour
            seq = tx.execute("SELECT COALESCE(MAX(seq) + 1, 0) FROM topics WHERE project_id = ?",
                             (project_id,)).fetchone()[0]
            color = color or COLORS[seq % len(COLORS)]
            tx.execute("INSERT INTO topics VALUES (?, ?, ?, ?, ?, ?)", (project_id, seq, topic_id, name, text, color))
        return topic_id

    def find(self, project_id: str) -> list[dict]:
        rows = self.db.read("SELECT topic_id, name, text, color FROM topics WHERE project_id = ? ORDER BY seq",
                            (project_id,))
        return [{"_id": r["topic_id"], "name": r["name"], "text": r["text"], "color": r["color"]} for r in rows]

    def get(self, project_id: str, topic_id: str) -> dict | None:
        return next((t for t in self.find(project_id) if t["_id"] == topic_id), None)

    def update(self, project_id: str, topic_id: str, **fields) -> None:
        assignments = ", ".join(f"{column} = ?" for column in fields)
        with self.db.transaction() as tx:
            tx.execute(f"UPDATE topics SET {assignments} WHERE project_id = ? AND topic_id = ?",
                       (*fields.values(), project_id, topic_id))

    def delete(self, project_id: str, topic_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM topics WHERE project_id = ? AND topic_id = ?", (project_id, topic_id))

    def delete_project(self, project_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM topics WHERE project_id = ?", (project_id,))
