"""The database's schema, its one owner: every table of every API, and the
migrations that bring an older database up to date.

The version is SQLite's PRAGMA user_version. `migrate` runs the steps above a
database's version in one write transaction, so two servers opening the same
new database at once do it once (the second waits for the first's lock, then
finds nothing left to do).
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable

# Version 1: the tables of API v4, Compass and the shared user directory.
TABLES_V1 = """
CREATE TABLE IF NOT EXISTS accounts (account_id TEXT PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    username TEXT PRIMARY KEY, password_hash TEXT NOT NULL, default_account TEXT,
    name TEXT NOT NULL DEFAULT '', admin INTEGER NOT NULL DEFAULT 0,
    must_reset_password INTEGER NOT NULL DEFAULT 0);
CREATE TABLE IF NOT EXISTS memberships (
    account_id TEXT NOT NULL, username TEXT NOT NULL, permissions TEXT NOT NULL,
    PRIMARY KEY (account_id, username));
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY, username TEXT NOT NULL, type TEXT NOT NULL,
    expiration REAL, created REAL NOT NULL, token_id TEXT);
CREATE TABLE IF NOT EXISTS projects (
    project_id TEXT PRIMARY KEY, account_id TEXT NOT NULL, name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '', creator TEXT, creation_date REAL NOT NULL,
    last_update REAL NOT NULL, last_build REAL, model_file TEXT, language TEXT NOT NULL DEFAULT 'en');
CREATE TABLE IF NOT EXISTS docs (
    project_id TEXT NOT NULL, seq INTEGER NOT NULL, doc_id TEXT NOT NULL, body TEXT NOT NULL,
    PRIMARY KEY (project_id, seq));
CREATE UNIQUE INDEX IF NOT EXISTS docs_by_id ON docs (project_id, doc_id);
CREATE TABLE IF NOT EXISTS subset_counts (
    project_id TEXT NOT NULL, subset TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (project_id, subset));
CREATE TABLE IF NOT EXISTS topics (
    project_id TEXT NOT NULL, seq INTEGER NOT NULL, topic_id TEXT NOT NULL,
    name TEXT NOT NULL, text TEXT NOT NULL, color TEXT NOT NULL,
    PRIMARY KEY (project_id, topic_id));
CREATE TABLE IF NOT EXISTS ignorelist (
    project_id TEXT NOT NULL, term TEXT NOT NULL, kind TEXT NOT NULL,
    PRIMARY KEY (project_id, term, kind));
CREATE TABLE IF NOT EXISTS jobs (
    project_id TEXT NOT NULL, job_id INTEGER NOT NULL, source_type TEXT NOT NULL,
    start_time REAL NOT NULL, stop_time REAL, success INTEGER, message TEXT,
    stage TEXT, stage_index INTEGER, stage_count INTEGER,
    PRIMARY KEY (project_id, job_id));
CREATE TABLE IF NOT EXISTS usage (
    account_id TEXT NOT NULL, period TEXT NOT NULL, kind TEXT NOT NULL, count INTEGER NOT NULL,
    PRIMARY KEY (account_id, period, kind));

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

# Columns that databases made before the schema had a version may lack: added
# by version 1's step (the only step that looks at what a table holds).
_COLUMNS_ADDED_BEFORE_VERSIONS = {
    "users": (("name", "TEXT NOT NULL DEFAULT ''"), ("admin", "INTEGER NOT NULL DEFAULT 0"),
              ("must_reset_password", "INTEGER NOT NULL DEFAULT 0")),
    "projects": (("language", "TEXT NOT NULL DEFAULT 'en'"),),
    "jobs": (("stage", "TEXT"), ("stage_index", "INTEGER"), ("stage_count", "INTEGER")),
    "tokens": (("token_id", "TEXT"),),
}


def _version_1(db: sqlite3.Connection) -> None:
    """Create every table; a database from before versions gets its missing
    columns (and its first user becomes the site admin, as in a new one)."""
    for table, columns in _COLUMNS_ADDED_BEFORE_VERSIONS.items():
        present = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if not present:
            continue  # a new database: created complete below
        for column, kind in columns:
            if column not in present:
                db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")
                if (table, column) == ("users", "admin"):
                    db.execute("UPDATE users SET admin = 1 WHERE rowid = (SELECT MIN(rowid) FROM users)")
                if (table, column) == ("tokens", "token_id"):
                    from ..core.auth import random_id

                    for (token_hash,) in db.execute("SELECT token_hash FROM tokens").fetchall():
                        db.execute("UPDATE tokens SET token_id = ? WHERE token_hash = ?",
                                   (random_id(12), token_hash))
    for statement in TABLES_V1.split(";"):
        if statement.strip():
            db.execute(statement)


def _version_2(db: sqlite3.Connection) -> None:
    """Compass messages keep their vector and the space it was made in: topic
    memberships are computed again whenever topics change, without reading
    every message's text again."""
    db.execute("ALTER TABLE compass_messages ADD COLUMN vector BLOB")
    db.execute("ALTER TABLE compass_messages ADD COLUMN vector_space TEXT")


#: The steps, in order: step i brings a database from version i to i + 1.
MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_version_1, _version_2)
VERSION = len(MIGRATIONS)


def version(db: sqlite3.Connection) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: sqlite3.Connection) -> int:
    """Bring the database up to VERSION in one write transaction; returns the
    version it had. A database newer than this lumiwork is left alone (and refused)."""
    db.execute("BEGIN IMMEDIATE")
    try:
        found = version(db)
        if found > VERSION:
            raise sqlite3.DatabaseError(f"the database has schema version {found}, newer than this "
                                        f"lumiwork's ({VERSION}): upgrade lumiwork")
        for step in MIGRATIONS[found:]:
            step(db)
        db.execute(f"PRAGMA user_version = {VERSION}")
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    return found
