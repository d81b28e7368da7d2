"""Compass's tables, in the same SQLite database as API v4 (users, accounts and
tokens are shared). Every write is one transaction of the shared Store."""
from __future__ import annotations

import json
import time
from typing import Any

from .. import auth
from ..store import Store

SCHEMA = """
CREATE TABLE IF NOT EXISTS compass_projects (
    project_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '', language TEXT NOT NULL, status TEXT NOT NULL,
    creator TEXT NOT NULL, created REAL NOT NULL, model_file TEXT, model_built REAL,
    space_texts INTEGER NOT NULL DEFAULT 0, clustered_at REAL,
    clustered_messages INTEGER NOT NULL DEFAULT 0, messages_version INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS compass_documents (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id TEXT NOT NULL, text TEXT NOT NULL,
    label TEXT, dataset TEXT, language TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS compass_documents_by_project ON compass_documents (project_id, id);
CREATE TABLE IF NOT EXISTS compass_classifiers (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id TEXT NOT NULL, name TEXT NOT NULL,
    type TEXT NOT NULL, status TEXT NOT NULL, building_state TEXT NOT NULL, info TEXT NOT NULL,
    dataset TEXT, state TEXT, created REAL NOT NULL, last_update REAL NOT NULL,
    UNIQUE (project_id, name));
CREATE TABLE IF NOT EXISTS compass_classifier_topics (
    id INTEGER PRIMARY KEY AUTOINCREMENT, classifier_id INTEGER NOT NULL, project_id TEXT NOT NULL,
    title TEXT NOT NULL, info TEXT NOT NULL DEFAULT '', status TEXT NOT NULL DEFAULT 'active',
    blocking INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS compass_messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id TEXT NOT NULL, text TEXT NOT NULL,
    language TEXT NOT NULL, source_id TEXT, timestamp REAL NOT NULL, info TEXT NOT NULL,
    sentiment REAL NOT NULL, topics TEXT NOT NULL, weight REAL NOT NULL DEFAULT 1,
    cluster_topic INTEGER, centrality REAL);
CREATE INDEX IF NOT EXISTS compass_messages_by_time ON compass_messages (project_id, timestamp);
CREATE TABLE IF NOT EXISTS compass_topics (
    id INTEGER PRIMARY KEY AUTOINCREMENT, project_id TEXT NOT NULL, title TEXT NOT NULL,
    status TEXT NOT NULL, blocking INTEGER NOT NULL DEFAULT 0, info TEXT NOT NULL,
    clusters TEXT NOT NULL DEFAULT '[]', created REAL NOT NULL, ended REAL,
    deleted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS compass_config (
    project_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (project_id, key));
CREATE TABLE IF NOT EXISTS compass_usage (
    project_id TEXT NOT NULL, day REAL NOT NULL, source TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (project_id, day, source));
"""
DAY = 86400.0


def usage_day(moment: float) -> float:
    """Start of the usage day holding `moment`: days start at noon UTC (Compass's rule)."""
    return (moment - DAY / 2) // DAY * DAY + DAY / 2


def _row(row) -> dict | None:
    return dict(row) if row is not None else None


class CompassStore:
    """Reads and writes of Compass objects; rows come back as dicts."""

    def __init__(self, store: Store):
        self.store = store
        store.create_tables(SCHEMA)

    # ---- projects -------------------------------------------------------------------------
    def create_project(self, account_id: str, name: str, language: str, creator: str,
                       description: str = "", status: str = "active") -> str:
        project_id = auth.random_id(8)
        with self.store.transaction() as db:
            db.execute("INSERT INTO compass_projects (project_id, account_id, name, description, "
                       "language, status, creator, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (project_id, account_id, name, description, language, status, creator, time.time()))
        return project_id

    def project(self, project_id: str) -> dict | None:
        return _row(self.store.one("SELECT * FROM compass_projects WHERE project_id = ?", (project_id,)))

    def projects(self, account_ids: list[str] | None, status: str | None = None) -> list[dict]:
        sql, params = "SELECT * FROM compass_projects WHERE 1", []
        if account_ids is not None:
            sql += f" AND account_id IN ({','.join('?' * len(account_ids))})"
            params += account_ids
        if status:
            sql += " AND status = ?"
            params.append(status)
        return [dict(r) for r in self.store.query(sql + " ORDER BY created, project_id", params)]

    def update_project(self, project_id: str, **fields: Any) -> None:
        if not fields:
            return
        assignments = ", ".join(f"{column} = ?" for column in fields)
        with self.store.transaction() as db:
            db.execute(f"UPDATE compass_projects SET {assignments} WHERE project_id = ?",
                       (*fields.values(), project_id))

    def delete_project(self, project_id: str) -> None:
        with self.store.transaction() as db:
            for table in ("compass_projects", "compass_documents", "compass_classifiers",
                          "compass_classifier_topics", "compass_messages", "compass_topics",
                          "compass_config", "compass_usage"):
                db.execute(f"DELETE FROM {table} WHERE project_id = ?", (project_id,))

    # ---- documents ------------------------------------------------------------------------
    def add_documents(self, project_id: str, documents: list[dict]) -> list[int]:
        ids = []
        with self.store.transaction() as db:
            for doc in documents:
                cursor = db.execute("INSERT INTO compass_documents (project_id, text, label, dataset, "
                                    "language) VALUES (?, ?, ?, ?, ?)",
                                    (project_id, doc["text"], doc.get("label"), doc.get("dataset"),
                                     doc["language"]))
                ids.append(int(cursor.lastrowid or 0))
        return ids

    def documents(self, project_id: str, label: str | None = None, dataset: str | None = None,
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
        return [dict(r) for r in self.store.query(sql + " ORDER BY id", params)]

    # ---- classifiers ----------------------------------------------------------------------
    def create_classifier(self, project_id: str, name: str, kind: str, status: str, info: dict,
                          dataset: str | None, topics: list[dict]) -> int:
        now = time.time()
        with self.store.transaction() as db:
            cursor = db.execute(
                "INSERT INTO compass_classifiers (project_id, name, type, status, building_state, info, "
                "dataset, created, last_update) VALUES (?, ?, ?, ?, 'building', ?, ?, ?, ?)",
                (project_id, name, kind, status, json.dumps(info), dataset, now, now))
            classifier_id = int(cursor.lastrowid or 0)
            for topic in topics:
                db.execute("INSERT INTO compass_classifier_topics (classifier_id, project_id, title, info, "
                           "status, blocking) VALUES (?, ?, ?, ?, ?, ?)",
                           (classifier_id, project_id, topic["title"], topic.get("info", ""),
                            topic.get("status", "active"), int(topic.get("blocking", False))))
        return classifier_id

    def classifier(self, project_id: str, classifier_id: int) -> dict | None:
        row = self.store.one("SELECT * FROM compass_classifiers WHERE project_id = ? AND id = ?",
                             (project_id, classifier_id))
        return _classifier(row)

    def classifiers(self, project_id: str, name: str | None = None) -> list[dict]:
        sql = "SELECT * FROM compass_classifiers WHERE project_id = ?"
        params: list[Any] = [project_id]
        if name is not None:
            sql += " AND name = ?"
            params.append(name)
        return [c for c in (_classifier(r) for r in self.store.query(sql + " ORDER BY id", params)) if c]

    def update_classifier(self, classifier_id: int, **fields: Any) -> None:
        for key in ("info", "state"):
            if key in fields and not isinstance(fields[key], str) and fields[key] is not None:
                fields[key] = json.dumps(fields[key])
        fields["last_update"] = time.time()
        assignments = ", ".join(f"{column} = ?" for column in fields)
        with self.store.transaction() as db:
            db.execute(f"UPDATE compass_classifiers SET {assignments} WHERE id = ?",
                       (*fields.values(), classifier_id))

    def delete_classifier(self, classifier_id: int) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM compass_classifiers WHERE id = ?", (classifier_id,))
            db.execute("DELETE FROM compass_classifier_topics WHERE classifier_id = ?", (classifier_id,))

    def classifier_topics(self, classifier_id: int) -> list[dict]:
        rows = self.store.query("SELECT * FROM compass_classifier_topics WHERE classifier_id = ? ORDER BY id",
                                (classifier_id,))
        return [dict(r) for r in rows]

    def classifier_topic(self, project_id: str, topic_id: int) -> dict | None:
        return _row(self.store.one("SELECT * FROM compass_classifier_topics WHERE project_id = ? AND id = ?",
                                   (project_id, topic_id)))

    def add_classifier_topic(self, classifier_id: int, project_id: str, title: str, info: str,
                             status: str = "active", blocking: bool = False) -> int:
        with self.store.transaction() as db:
            cursor = db.execute("INSERT INTO compass_classifier_topics (classifier_id, project_id, title, "
                                "info, status, blocking) VALUES (?, ?, ?, ?, ?, ?)",
                                (classifier_id, project_id, title, info, status, int(blocking)))
        return int(cursor.lastrowid or 0)

    def set_classifier_topics(self, classifier_id: int, project_id: str, titles: list[str]) -> None:
        """Replace a classifier's topics by these titles, keeping the ids of those kept."""
        existing = {t["title"]: t for t in self.classifier_topics(classifier_id)}
        with self.store.transaction() as db:
            for title, topic in existing.items():
                if title not in titles:
                    db.execute("DELETE FROM compass_classifier_topics WHERE id = ?", (topic["id"],))
            for title in titles:
                if title not in existing:
                    db.execute("INSERT INTO compass_classifier_topics (classifier_id, project_id, title) "
                               "VALUES (?, ?, ?)", (classifier_id, project_id, title))

    def replace_classifier_topics(self, classifier_id: int, project_id: str, topics: list[dict]) -> None:
        """A topic-based classifier's topics become `topics` [{title, info}], in one transaction."""
        with self.store.transaction() as db:
            db.execute("DELETE FROM compass_classifier_topics WHERE classifier_id = ?", (classifier_id,))
            db.executemany("INSERT INTO compass_classifier_topics (classifier_id, project_id, title, info) "
                           "VALUES (?, ?, ?, ?)",
                           [(classifier_id, project_id, t["title"], t["info"]) for t in topics])

    def update_classifier_topic(self, topic_id: int, **fields: Any) -> None:
        assignments = ", ".join(f"{column} = ?" for column in fields)
        with self.store.transaction() as db:
            db.execute(f"UPDATE compass_classifier_topics SET {assignments} WHERE id = ?",
                       (*fields.values(), topic_id))

    def delete_classifier_topic(self, topic_id: int) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM compass_classifier_topics WHERE id = ?", (topic_id,))

    # ---- messages -------------------------------------------------------------------------
    def add_messages(self, project_id: str, messages: list[dict],
                     replace_matching: dict[str, Any] | None = None) -> list[int]:
        """Store messages (and count them as API usage) in one transaction. With
        `replace_matching` (filters as `messages()` takes them), the project's
        messages that match those filters are deleted first, in the same
        transaction: the messages replaced are exactly those matching when the new
        ones are stored, whatever other requests stored or deleted meanwhile."""
        ids = []
        with self.store.transaction() as db:
            if replace_matching is not None:
                where, params = _message_filter(project_id, **replace_matching)
                db.execute(f"DELETE FROM compass_messages WHERE {where}", params)
            for message in messages:
                cursor = db.execute(
                    "INSERT INTO compass_messages (project_id, text, language, source_id, timestamp, info, "
                    "sentiment, topics, cluster_topic, centrality) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (project_id, message["text"], message["language"], message.get("source_id"),
                     message["timestamp"], json.dumps(message.get("info") or {}), message["sentiment"],
                     json.dumps(message["topics"]), message.get("cluster_topic"), message.get("centrality")))
                ids.append(int(cursor.lastrowid or 0))
            self._bump(db, project_id)
            day = usage_day(time.time())
            db.execute("INSERT INTO compass_usage VALUES (?, ?, 'api', ?) ON CONFLICT (project_id, day, "
                       "source) DO UPDATE SET count = count + excluded.count", (project_id, day, len(messages)))
        return ids

    def messages(self, project_id: str, earliest: float | None = None, latest: float | None = None,
                 older_than_id: int | None = None, newer_than_id: int | None = None,
                 cluster_topic: int | None = None, columns: str = "*") -> list[dict]:
        where, params = _message_filter(project_id, earliest, latest, older_than_id, newer_than_id, cluster_topic)
        return [dict(r) for r in self.store.query(f"SELECT {columns} FROM compass_messages WHERE {where} "
                                                  "ORDER BY id DESC", params)]

    def message(self, project_id: str, message_id: int) -> dict | None:
        return _row(self.store.one("SELECT * FROM compass_messages WHERE project_id = ? AND id = ?",
                                   (project_id, message_id)))

    def delete_message(self, project_id: str, message_id: int) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM compass_messages WHERE id = ?", (message_id,))
            self._bump(db, project_id)

    @staticmethod
    def _bump(db, project_id: str) -> None:
        """Mark the project's messages changed (readers cache columns by this version)."""
        db.execute("UPDATE compass_projects SET messages_version = messages_version + 1 WHERE project_id = ?",
                   (project_id,))

    def message_columns(self, project_id: str) -> tuple[int, list[tuple]]:
        """(version, [(timestamp, sentiment, weight, cluster_topic)]) of every message."""
        with self.store.transaction() as db:  # one snapshot: version and rows agree
            version = db.execute("SELECT messages_version FROM compass_projects WHERE project_id = ?",
                                 (project_id,)).fetchone()
            rows = db.execute("SELECT timestamp, sentiment, weight, cluster_topic FROM compass_messages "
                              "WHERE project_id = ?", (project_id,)).fetchall()
        return (version[0] if version else -1), [tuple(r) for r in rows]

    def messages_version(self, project_id: str) -> int:
        row = self.store.one("SELECT messages_version FROM compass_projects WHERE project_id = ?", (project_id,))
        return int(row["messages_version"]) if row else -1

    def message_count(self, project_id: str) -> int:
        return int(self.store.one("SELECT COUNT(*) AS n FROM compass_messages WHERE project_id = ?",
                                  (project_id,))["n"])

    # ---- project topics ---------------------------------------------------------------------
    def create_topic(self, project_id: str, title: str, status: str, info: dict, blocking: bool = False,
                     clusters: list | None = None) -> int:
        with self.store.transaction() as db:
            cursor = db.execute("INSERT INTO compass_topics (project_id, title, status, blocking, info, "
                                "clusters, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
                                (project_id, title, status, int(blocking), json.dumps(info),
                                 json.dumps(clusters or []), time.time()))
        return int(cursor.lastrowid or 0)

    def topic(self, project_id: str, topic_id: int, include_deleted: bool = False) -> dict | None:
        sql = "SELECT * FROM compass_topics WHERE project_id = ? AND id = ?"
        if not include_deleted:
            sql += " AND deleted = 0"
        return _topic(self.store.one(sql, (project_id, topic_id)))

    def topics(self, project_id: str, status: str | None = None, blocking: bool | None = None,
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
        return [t for t in (_topic(r) for r in self.store.query(sql + " ORDER BY id", params)) if t]

    def update_topic(self, topic_id: int, **fields: Any) -> None:
        for key in ("info", "clusters"):
            if key in fields:
                fields[key] = json.dumps(fields[key])
        assignments = ", ".join(f"{column} = ?" for column in fields)
        if fields.get("status") == "inactive":  # ended: when it became inactive (the first time)
            assignments += ", ended = COALESCE(ended, ?)"
            fields["_ended"] = time.time()
        elif fields.get("status") in ("active", "pending"):  # back in use: it has not ended
            assignments += ", ended = NULL"
        with self.store.transaction() as db:
            db.execute(f"UPDATE compass_topics SET {assignments} WHERE id = ?", (*fields.values(), topic_id))

    def replace_pending_topics(self, project_id: str, ended: list[int], new_topics: list[dict]) -> list[int]:
        """One clustering's result, in one transaction so that no reader sees half of it:
        the `ended` topics go to history, each of `new_topics` ({title, info, clusters,
        members: [(message id, centrality)]}) becomes a pending topic holding its
        members. Returns the new topic ids."""
        now = time.time()
        new_ids = []
        with self.store.transaction() as db:
            for topic_id in ended:
                db.execute("UPDATE compass_topics SET deleted = 1, ended = COALESCE(ended, ?) WHERE id = ?",
                           (now, topic_id))
                db.execute("UPDATE compass_messages SET cluster_topic = NULL, centrality = NULL "
                           "WHERE cluster_topic = ?", (topic_id,))
            for topic in new_topics:
                cursor = db.execute("INSERT INTO compass_topics (project_id, title, status, info, clusters, "
                                    "created) VALUES (?, ?, 'pending', ?, ?, ?)",
                                    (project_id, topic["title"], json.dumps(topic["info"]),
                                     json.dumps(topic["clusters"]), now))
                topic_id = int(cursor.lastrowid or 0)
                new_ids.append(topic_id)
                db.executemany("UPDATE compass_messages SET cluster_topic = ?, centrality = ? WHERE id = ?",
                               [(topic_id, centrality, message_id) for message_id, centrality in topic["members"]])
            count = db.execute("SELECT COUNT(*) FROM compass_messages WHERE project_id = ?",
                               (project_id,)).fetchone()[0]
            db.execute("UPDATE compass_projects SET clustered_at = ?, clustered_messages = ? WHERE project_id = ?",
                       (now, count, project_id))
            self._bump(db, project_id)
        return new_ids

    def end_topics(self, topic_ids: list[int]) -> None:
        """Topics leave the current list (deleted, or replaced pending clusters) but
        stay in the project's history with the time they ended."""
        now = time.time()
        with self.store.transaction() as db:
            db.executemany("UPDATE compass_topics SET deleted = 1, ended = COALESCE(ended, ?) WHERE id = ?",
                           [(now, topic_id) for topic_id in topic_ids])
            db.executemany("UPDATE compass_messages SET cluster_topic = NULL, centrality = NULL "
                           "WHERE cluster_topic = ?", [(topic_id,) for topic_id in topic_ids])
            db.execute("UPDATE compass_projects SET messages_version = messages_version + 1 WHERE project_id IN "
                       f"(SELECT project_id FROM compass_topics WHERE id IN ({','.join('?' * len(topic_ids))}))",
                       list(topic_ids))

    # ---- configuration and usage ------------------------------------------------------------
    def config(self, project_id: str) -> dict[str, Any]:
        rows = self.store.query("SELECT key, value FROM compass_config WHERE project_id = ?", (project_id,))
        return {r["key"]: json.loads(r["value"]) for r in rows}

    def set_config(self, project_id: str, key: str, value: Any) -> None:
        with self.store.transaction() as db:
            db.execute("INSERT OR REPLACE INTO compass_config VALUES (?, ?, ?)",
                       (project_id, key, json.dumps(value)))

    def unset_config(self, project_id: str, key: str) -> None:
        with self.store.transaction() as db:
            db.execute("DELETE FROM compass_config WHERE project_id = ? AND key = ?", (project_id, key))

    def usage(self, project_id: str, source: str | None = None, earliest: float | None = None,
              latest: float | None = None) -> list[dict]:
        sql = "SELECT * FROM compass_usage WHERE project_id = ?"
        params: list[Any] = [project_id]
        filters: tuple[tuple[str, Any], ...] = (("source = ?", source), ("day >= ?", earliest),
                                                ("day <= ?", latest))
        for clause, value in filters:
            if value is not None:
                sql += f" AND {clause}"
                params.append(value)
        return [dict(r) for r in self.store.query(sql + " ORDER BY day, source", params)]


def _message_filter(project_id: str, earliest: float | None = None, latest: float | None = None,
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


def _classifier(row) -> dict | None:
    if row is None:
        return None
    record = dict(row)
    record["info"] = json.loads(record["info"])
    record["state"] = json.loads(record["state"]) if record["state"] else None
    return record


def _topic(row) -> dict | None:
    if row is None:
        return None
    record = dict(row)
    record["info"] = json.loads(record["info"])
    record["clusters"] = json.loads(record["clusters"])
    record["blocking"] = bool(record["blocking"])
    return record
