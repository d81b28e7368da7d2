"""Compass classifiers and their topics (one resource: a classifier with its topics)."""
from __future__ import annotations

import json
import time
from typing import Any

from .database import Database


def next_topic_id(tx) -> int:
    """The next topic id, after every id either kind of topic has ever had:
    Compass's documents address classifier topics and project topics alike at
    p/topics/<id>/, so an id names one topic, and a deleted one's id is never
    given again (both tables are AUTOINCREMENT: sqlite_sequence keeps their
    highest). Called inside the writing transaction, which no other write interleaves."""
    row = tx.execute("SELECT MAX(id) FROM (SELECT seq AS id FROM sqlite_sequence WHERE name IN "
                     "('compass_topics', 'compass_classifier_topics') UNION ALL SELECT MAX(id) FROM "
                     "compass_topics UNION ALL SELECT MAX(id) FROM compass_classifier_topics)").fetchone()
    return int(row[0] or 0) + 1


def _classifier(row) -> dict | None:
    if row is None:
        return None
    record = dict(row)
    record["info"] = json.loads(record["info"])
    record["state"] = json.loads(record["state"]) if record["state"] else None
    return record


class ClassifierRepository:
    def __init__(self, db: Database):
        self.db = db

    def create(self, project_id: str, name: str, kind: str, status: str, info: dict, dataset: str | None,
               topics: list[dict]) -> int:
        now = time.time()
        with self.db.transaction() as tx:
            cursor = tx.execute(
                "INSERT INTO compass_classifiers (project_id, name, type, status, building_state, info, "
                "dataset, created, last_update) VALUES (?, ?, ?, ?, 'building', ?, ?, ?, ?)",
                (project_id, name, kind, status, json.dumps(info), dataset, now, now))
            classifier_id = int(cursor.lastrowid or 0)
            for topic in topics:
                tx.execute("INSERT INTO compass_classifier_topics (id, classifier_id, project_id, title, info, "
                           "status, blocking) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           (next_topic_id(tx), classifier_id, project_id, topic["title"], topic.get("info", ""),
                            topic.get("status", "active"), int(topic.get("blocking", False))))
        return classifier_id

    def get(self, project_id: str, classifier_id: int) -> dict | None:
        return _classifier(self.db.read_one("SELECT * FROM compass_classifiers WHERE project_id = ? AND id = ?",
                                            (project_id, classifier_id)))

    def find(self, project_id: str, name: str | None = None) -> list[dict]:
        sql = "SELECT * FROM compass_classifiers WHERE project_id = ?"
        params: list[Any] = [project_id]
        if name is not None:
            sql += " AND name = ?"
            params.append(name)
        return [c for c in (_classifier(r) for r in self.db.read(sql + " ORDER BY id", params)) if c]

    def update(self, classifier_id: int, **fields: Any) -> None:
        for key in ("info", "state"):
            if key in fields and not isinstance(fields[key], str) and fields[key] is not None:
                fields[key] = json.dumps(fields[key])
        fields["last_update"] = time.time()
        assignments = ", ".join(f"{column} = ?" for column in fields)
        with self.db.transaction() as tx:
            tx.execute(f"UPDATE compass_classifiers SET {assignments} WHERE id = ?", (*fields.values(), classifier_id))

    def delete(self, classifier_id: int) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM compass_classifiers WHERE id = ?", (classifier_id,))
            tx.execute("DELETE FROM compass_classifier_topics WHERE classifier_id = ?", (classifier_id,))

    def model_files(self) -> set[str]:
        """The space files every classifier version was built on."""
        return {json.loads(r["state"])["model_file"] for r in
                self.db.read("SELECT state FROM compass_classifiers WHERE state IS NOT NULL")}

    # ---- topics --------------------------------------------------------------------------------
    def topics(self, classifier_id: int) -> list[dict]:
        rows = self.db.read("SELECT * FROM compass_classifier_topics WHERE classifier_id = ? ORDER BY id",
                            (classifier_id,))
        return [dict(r) for r in rows]

    def topic(self, project_id: str, topic_id: int) -> dict | None:
        row = self.db.read_one("SELECT * FROM compass_classifier_topics WHERE project_id = ? AND id = ?",
                               (project_id, topic_id))
        return dict(row) if row is not None else None

    def add_topic(self, classifier_id: int, project_id: str, title: str, info: str, status: str = "active",
                  blocking: bool = False) -> int:
        with self.db.transaction() as tx:
            cursor = tx.execute("INSERT INTO compass_classifier_topics (id, classifier_id, project_id, title, info, "
                                "status, blocking) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (next_topic_id(tx), classifier_id, project_id, title, info, status, int(blocking)))
        return int(cursor.lastrowid or 0)

    def set_topic_titles(self, classifier_id: int, project_id: str, titles: list[str]) -> None:
        """Replace a classifier's topics by these titles, keeping the ids of those kept."""
        with self.db.transaction() as tx:
            existing = {r["title"]: r["id"] for r in tx.execute(
                "SELECT id, title FROM compass_classifier_topics WHERE classifier_id = ?", (classifier_id,))}
            for title, topic_id in existing.items():
                if title not in titles:
                    tx.execute("DELETE FROM compass_classifier_topics WHERE id = ?", (topic_id,))
            for title in titles:
                if title not in existing:
                    tx.execute("INSERT INTO compass_classifier_topics (id, classifier_id, project_id, title) "
                               "VALUES (?, ?, ?, ?)", (next_topic_id(tx), classifier_id, project_id, title))

    def replace_topics(self, classifier_id: int, project_id: str, topics: list[dict]) -> None:
        """A topic-based classifier's topics become `topics` [{title, info}], in one transaction."""
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM compass_classifier_topics WHERE classifier_id = ?", (classifier_id,))
            for topic in topics:
                tx.execute("INSERT INTO compass_classifier_topics (id, classifier_id, project_id, title, info) "
                           "VALUES (?, ?, ?, ?, ?)", (next_topic_id(tx), classifier_id, project_id, topic["title"],
                                                      topic["info"]))

    def update_topic(self, topic_id: int, **fields: Any) -> None:
        assignments = ", ".join(f"{column} = ?" for column in fields)
        with self.db.transaction() as tx:
            tx.execute(f"UPDATE compass_classifier_topics SET {assignments} WHERE id = ?",
                       (*fields.values(), topic_id))

    def delete_topic(self, topic_id: int) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM compass_classifier_topics WHERE id = ?", (topic_id,))

    def delete_project(self, project_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM compass_classifiers WHERE project_id = ?", (project_id,))
            tx.execute("DELETE FROM compass_classifier_topics WHERE project_id = ?", (project_id,))
