"""Compass project topics: made by users, or proposed (pending) by clustering;
ended topics stay as the project's history."""
from __future__ import annotations

import json
import time
from collections.abc import Sequence
from typing import Any

from .compass_classifiers import next_topic_id
from .compass_messages import MessageRepository
from .compass_projects import CompassProjectRepository
from .database import Database


def _topic(row) -> dict | None:
    if row is None:
        return None
    record = dict(row)
    record["info"] = json.loads(record["info"])
    record["clusters"] = json.loads(record["clusters"])
    record["blocking"] = bool(record["blocking"])
    return record


class CompassTopicRepository:
    def __init__(self, db: Database, projects: CompassProjectRepository, messages: MessageRepository):
        self.db = db
        self.projects = projects
        self.messages = messages

    def create(self, project_id: str, title: str, status: str, info: dict, blocking: bool = False,
               clusters: list | None = None) -> int:
        with self.db.transaction() as tx:
            cursor = tx.execute("INSERT INTO compass_topics (id, project_id, title, status, blocking, info, clusters, "
                                "created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                                (next_topic_id(tx), project_id, title, status, int(blocking), json.dumps(info),
                                 json.dumps(clusters or []), time.time()))
        return int(cursor.lastrowid or 0)

    def get(self, project_id: str, topic_id: int, include_deleted: bool = False) -> dict | None:
        sql = "SELECT * FROM compass_topics WHERE project_id = ? AND id = ?"
        if not include_deleted:
            sql += " AND deleted = 0"
        return _topic(self.db.read_one(sql, (project_id, topic_id)))

    def find(self, project_id: str, status: str | None = None, blocking: bool | None = None,
             include_deleted: bool = False) -> list[dict]:
        sql = "SELECT * FROM compass_topics WHERE project_id = ?"
        params: list[Any] = [project_id]
        if not include_deleted:
            sql += " AND deleted = 0"
        if status is not None:
            sql += " AND status = ?"
            params.append(status)
        if blocking is not None:
            sql += " AND blocking = ?"
            params.append(int(blocking))
        return [t for t in (_topic(r) for r in self.db.read(sql + " ORDER BY id", params)) if t]

    def update(self, topic_id: int, **fields: Any) -> None:
        for key in ("info", "clusters"):
            if key in fields:
                fields[key] = json.dumps(fields[key])
        assignments = ", ".join(f"{column} = ?" for column in fields)
        if fields.get("status") == "inactive":  # ended: when it became inactive (the first time)
            assignments += ", ended = COALESCE(ended, ?)"
            fields["_ended"] = time.time()
        elif fields.get("status") in ("active", "pending"):  # back in use: it has not ended
            assignments += ", ended = NULL"
        with self.db.transaction() as tx:
            tx.execute(f"UPDATE compass_topics SET {assignments} WHERE id = ?", (*fields.values(), topic_id))

    def replace_pending(self, project_id: str, ended: list[int], new_topics: list[dict],
                        places: Sequence[tuple[int | str | None, float | None, int]] = ()) -> list[int]:
        """One clustering's result, in one transaction so that no reader sees half of it:
        the `ended` topics go to history, each of `new_topics` ({title, info, clusters})
        becomes a pending topic, and messages take their `places` (topic, centrality,
        message id), where a topic is an existing id, "new:<k>" for new_topics[k], or
        None. Returns the new topic ids."""
        now = time.time()
        new_ids = []
        with self.db.transaction() as tx:
            tx.executemany("UPDATE compass_topics SET deleted = 1, ended = COALESCE(ended, ?) WHERE id = ?",
                           [(now, topic_id) for topic_id in ended])
            self.messages.leave_topics(ended)
            for topic in new_topics:
                cursor = tx.execute("INSERT INTO compass_topics (id, project_id, title, status, info, clusters, "
                                    "created) VALUES (?, ?, ?, 'pending', ?, ?, ?)",
                                    (next_topic_id(tx), project_id, topic["title"], json.dumps(topic["info"]),
                                     json.dumps(topic["clusters"]), now))
                new_ids.append(int(cursor.lastrowid or 0))
            if places:
                def topic_id(ref: int | str | None) -> int | None:
                    return new_ids[int(ref[4:])] if isinstance(ref, str) else ref

                self.messages.set_memberships(project_id, [(topic_id(ref), value, message_id)
                                                           for ref, value, message_id in places])
            self.projects.set_clustered(project_id, now, self.messages.count(project_id))
            self.projects.bump_messages(project_id)
        return new_ids

    def end(self, project_id: str, topic_ids: list[int]) -> None:
        """Topics leave the current list (deleted, or replaced pending clusters) but
        stay in the project's history with the time they ended."""
        now = time.time()
        with self.db.transaction() as tx:
            tx.executemany("UPDATE compass_topics SET deleted = 1, ended = COALESCE(ended, ?) WHERE id = ?",
                           [(now, topic_id) for topic_id in topic_ids])
            self.messages.leave_topics(topic_ids)
            self.projects.bump_messages(project_id)

    def delete_project(self, project_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM compass_topics WHERE project_id = ?", (project_id,))
