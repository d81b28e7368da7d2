"""Compass messages: the stream a project classifies, with each message's
topics, sentiment and place in the project's clustered topics."""
from __future__ import annotations

import json
from typing import Any

import numpy as np

from .compass_projects import CompassProjectRepository
from .compass_usage import CompassUsageRepository
from .database import Database


def message_filter(project_id: str, earliest: float | None = None, latest: float | None = None,
                   older_than_id: int | None = None, newer_than_id: int | None = None,
                   cluster_topic: int | None = None) -> tuple[str, list[Any]]:
    """The WHERE clause (and its parameters) selecting a project's messages by
    the message filters: one definition for listing them and for replacing them."""
    where = "project_id = ?"
    params: list[Any] = [project_id]
    for clause, value in (("timestamp >= ?", earliest), ("timestamp <= ?", latest),
                          ("id < ?", older_than_id), ("id > ?", newer_than_id),
                          ("cluster_topic = ?", cluster_topic)):
        if value is not None:
            where += f" AND {clause}"
            params.append(value)
    return where, params


# Every column but the vector (read only to place messages in topics).
COLUMNS = ("id, project_id, text, language, source_id, timestamp, info, sentiment, topics, weight, "
           "cluster_topic, centrality")


class MessageRepository:
    def __init__(self, db: Database, projects: CompassProjectRepository, usage: CompassUsageRepository):
        self.db = db
        self.projects = projects
        self.usage = usage

    def add(self, project_id: str, messages: list[dict], replace_matching: dict[str, Any] | None = None) -> list[int]:
        """Store messages (and count them as API usage) in one transaction. With
        `replace_matching` (filters as `list()` takes them), the project's
        messages that match those filters are deleted first, in the same
        transaction: the messages replaced are exactly those matching when the new
        ones are stored, whatever other requests stored or deleted meanwhile."""
        ids = []
        with self.db.transaction() as tx:
            if replace_matching is not None:
                where, params = message_filter(project_id, **replace_matching)
                tx.execute(f"DELETE FROM compass_messages WHERE {where}", params)
            for message in messages:
                cursor = tx.execute(
                    "INSERT INTO compass_messages (project_id, text, language, source_id, timestamp, info, "
                    "sentiment, topics, cluster_topic, centrality, vector, vector_space) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (project_id, message["text"], message["language"], message.get("source_id"),
                     message["timestamp"], json.dumps(message.get("info") or {}), message["sentiment"],
                     json.dumps(message["topics"]), message.get("cluster_topic"), message.get("centrality"),
                     message.get("vector"), message.get("vector_space")))
                ids.append(int(cursor.lastrowid or 0))
            self.projects.bump_messages(project_id)
            self.usage.count(project_id, len(messages))
        return ids

    def find(self, project_id: str, earliest: float | None = None, latest: float | None = None,
             older_than_id: int | None = None, newer_than_id: int | None = None,
             cluster_topic: int | None = None, columns: str = COLUMNS) -> list[dict]:
        """Messages, newest first."""
        where, params = message_filter(project_id, earliest, latest, older_than_id, newer_than_id, cluster_topic)
        return [dict(r) for r in self.db.read(f"SELECT {columns} FROM compass_messages WHERE {where} "
                                              "ORDER BY id DESC", params)]

    def get(self, project_id: str, message_id: int) -> dict | None:
        row = self.db.read_one(f"SELECT {COLUMNS} FROM compass_messages WHERE project_id = ? AND id = ?",
                               (project_id, message_id))
        return dict(row) if row is not None else None

    def delete(self, project_id: str, message_id: int) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM compass_messages WHERE id = ?", (message_id,))
            self.projects.bump_messages(project_id)

    def columns(self, project_id: str) -> tuple[int, list[tuple]]:
        """(version, [(timestamp, sentiment, weight, cluster_topic)]) of every message."""
        with self.db.snapshot() as snapshot:  # version and rows agree
            version = snapshot.execute("SELECT messages_version FROM compass_projects WHERE project_id = ?",
                                       (project_id,)).fetchone()
            rows = snapshot.execute("SELECT timestamp, sentiment, weight, cluster_topic FROM compass_messages "
                                    "WHERE project_id = ?", (project_id,)).fetchall()
        return (version[0] if version else -1), [tuple(r) for r in rows]

    def count(self, project_id: str) -> int:
        row = self.db.read_one("SELECT COUNT(*) AS n FROM compass_messages WHERE project_id = ?", (project_id,))
        return int(row["n"]) if row else 0

    def texts(self, project_id: str, limit: int) -> list[str]:
        """The newest `limit` messages' texts, newest first."""
        return [r[0] for r in self.db.read("SELECT text FROM compass_messages WHERE project_id = ? "
                                           "ORDER BY id DESC LIMIT ?", (project_id, limit))]

    def leave_topics(self, topic_ids: list[int]) -> None:
        """The messages of these topics belong to no topic any more."""
        with self.db.transaction() as tx:
            tx.executemany("UPDATE compass_messages SET cluster_topic = NULL, centrality = NULL "
                           "WHERE cluster_topic = ?", [(topic_id,) for topic_id in topic_ids])

    def ids(self, project_id: str, up_to: int | None = None, limit: int | None = None) -> list[int]:
        """The ids of the project's messages, newest first: those up to id `up_to`,
        at most `limit`."""
        sql = "SELECT id FROM compass_messages WHERE project_id = ?"
        params: list[Any] = [project_id]
        if up_to is not None:
            sql += " AND id <= ?"
            params.append(up_to)
        sql += " ORDER BY id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [r[0] for r in self.db.read(sql, params)]

    def vectors(self, project_id: str, space: str, dimensions: int) -> tuple[np.ndarray, np.ndarray, list[int]]:
        """(ids, (n, dimensions) float32 vectors) of the project's messages whose
        vector was made in `space`, in id order, and the ids of those without one."""
        rows = self.db.read("SELECT id, vector, vector_space FROM compass_messages WHERE project_id = ? "
                            "ORDER BY id", (project_id,))
        have = [(r[0], r[1]) for r in rows if r[2] == space and r[1] is not None]
        missing = [r[0] for r in rows if r[2] != space or r[1] is None]
        ids = np.array([i for i, _ in have], dtype=np.int64)
        matrix = (np.frombuffer(b"".join(v for _, v in have), dtype=np.float32).reshape(len(have), dimensions)
                  if have else np.zeros((0, dimensions), dtype=np.float32))
        return ids, matrix, missing

    def texts_of(self, ids: list[int]) -> list[str]:
        """The texts of messages by id, in the order given."""
        found: dict[int, str] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            marks = ", ".join("?" * len(chunk))
            found.update((r[0], r[1]) for r in self.db.read(
                f"SELECT id, text FROM compass_messages WHERE id IN ({marks})", chunk))
        return [found[i] for i in ids if i in found]

    def set_vectors(self, space: str, vectors: list[tuple[int, bytes]]) -> None:
        """Messages (id, float32 vector bytes) get vectors made in `space`."""
        with self.db.transaction() as tx:
            tx.executemany("UPDATE compass_messages SET vector = ?, vector_space = ? WHERE id = ?",
                           [(vector, space, message_id) for message_id, vector in vectors])

    def set_memberships(self, project_id: str, places: list[tuple[int | None, float | None, int]]) -> None:
        """Messages' (topic id or None, centrality or None, message id), written
        in one transaction, where they changed."""
        with self.db.transaction() as tx:
            tx.executemany("UPDATE compass_messages SET cluster_topic = ?, centrality = ? WHERE id = ? "
                           "AND (cluster_topic IS NOT ? OR centrality IS NOT ?)",
                           [(topic, value, message_id, topic, value) for topic, value, message_id in places])
            self.projects.bump_messages(project_id)

    def delete_project(self, project_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM compass_messages WHERE project_id = ?", (project_id,))
