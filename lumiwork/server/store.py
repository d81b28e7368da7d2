"""SQLite persistence: accounts, users, tokens, projects, documents, topics,
ignore lists, jobs and usage. Built models live as files beside the database;
the database records which file is the project's current model."""
from __future__ import annotations

import json
import os
import secrets
import sqlite3
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import orjson

from ..engine import ALL_SUBSET
from . import auth

SCHEMA = """
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
"""

TOPIC_COLORS = ("#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b",
                "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


class StorageFull(Exception):
    """The disk (or the database's size limit) is full; the write was rolled back."""


class DataDirError(OSError):
    """The data folder cannot be used; the message is one line naming it."""


SQLITE_FULL = 13
DB_NAME = "lumiwork.sqlite3"
# SQLite reads the database through a memory map of up to this many bytes
# instead of copying each page it needs out of the OS's cache: a `docs/search` at
# 100,000 documents reads ten documents, ~60 B-tree pages, and took 1.83 against
# 2.00 ms by median over HTTP (six alternating pairs of runs, 400 first-time
# queries each). Writes still go through write(), so a full disk is still an
# error SQLite reports; a failing disk under a mapped page ends the process
# instead of failing one request.
MMAP_BYTES = 1 << 30
DOC_ID_CACHE = 8  # projects whose ordered document ids are kept (as the server keeps 8 models)


def load_body(raw: str) -> dict:
    """A stored document: orjson reads one ~4x faster than json (a search reads
    ten); json takes what orjson refuses (a lone surrogate, kept as \\udxxx)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


def _prepare_private_dir(path: Path) -> None:
    """Create a folder only its owner can read, or raise DataDirError."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)
    except OSError as exc:
        raise DataDirError(f"cannot use data folder {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise DataDirError(f"cannot use data folder {path}: it is not writable")


class Store:
    """All persistent state of one server; safe to share between threads.

    The folder is 0700 and the database 0600: it holds password and token
    hashes and the users' documents.
    """

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.models_dir = self.data_dir / "models"
        _prepare_private_dir(self.data_dir)
        _prepare_private_dir(self.models_dir)
        self.db_path = db_path = self.data_dir / DB_NAME
        self._lock = threading.RLock()
        self._doc_ids: dict[str, tuple[float | None, list[str]]] = {}  # see doc_ids
        try:
            # SQLite gives its -wal and -shm files the database file's mode.
            os.close(os.open(db_path, os.O_CREAT | os.O_RDWR, 0o600))
            db_path.chmod(0o600)
            self._db = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
            self._db.row_factory = sqlite3.Row
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
            self._db.executescript(SCHEMA)
            self._migrate()
        except (OSError, sqlite3.Error) as exc:
            raise DataDirError(f"cannot open the database in {self.data_dir}: "
                               f"{getattr(exc, 'strerror', None) or exc}") from None
        self.secret = self._load_secret()
        self.removed_files = self._remove_orphaned_model_files()

    def _load_secret(self) -> bytes:
        """The server's key for deriving long-lived tokens (a 0600 file, kept
        apart from the database so a copy of the database reveals no token)."""
        path = self.data_dir / "secret.key"
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        except FileExistsError:
            return path.read_bytes()
        with os.fdopen(fd, "wb") as handle:
            handle.write(secrets.token_bytes(32))
            handle.flush()
            os.fsync(handle.fileno())
        return path.read_bytes()

    def _migrate(self) -> None:
        """Bring a database made by an older lumiwork up to this schema."""
        user_columns = {row[1] for row in self._db.execute("PRAGMA table_info(users)")}
        if "admin" not in user_columns:
            self._db.execute("ALTER TABLE users ADD COLUMN name TEXT NOT NULL DEFAULT ''")
            self._db.execute("ALTER TABLE users ADD COLUMN admin INTEGER NOT NULL DEFAULT 0")
            self._db.execute("ALTER TABLE users ADD COLUMN must_reset_password INTEGER NOT NULL DEFAULT 0")
            self._db.execute("UPDATE users SET admin = 1 WHERE rowid = (SELECT MIN(rowid) FROM users)")
        project_columns = {row[1] for row in self._db.execute("PRAGMA table_info(projects)")}
        if "language" not in project_columns:
            self._db.execute("ALTER TABLE projects ADD COLUMN language TEXT NOT NULL DEFAULT 'en'")
        job_columns = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
        for column, kind in (("stage", "TEXT"), ("stage_index", "INTEGER"), ("stage_count", "INTEGER")):
            if column not in job_columns:
                self._db.execute(f"ALTER TABLE jobs ADD COLUMN {column} {kind}")
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(tokens)")}
        if "token_id" not in columns:
            self._db.execute("ALTER TABLE tokens ADD COLUMN token_id TEXT")
            for (token_hash,) in self._db.execute("SELECT token_hash FROM tokens").fetchall():
                self._db.execute("UPDATE tokens SET token_id = ? WHERE token_hash = ?",
                                 (auth.random_id(12), token_hash))

    def _remove_orphaned_model_files(self) -> list[str]:
        """Temporary files of killed builds, and model files no project uses
        (a build that died between writing its file and recording it)."""
        in_use = {row["model_file"] for row in
                  self._query("SELECT model_file FROM projects WHERE model_file IS NOT NULL")}
        removed = []
        for path in self.models_dir.iterdir():
            if path.name.endswith(".tmp.npz") or (path.suffix == ".npz" and path.name not in in_use):
                path.unlink(missing_ok=True)
                removed.append(path.name)
        return removed

    def close(self):
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self):
        """One atomic unit: everything inside is stored, or nothing is.
        A full disk raises StorageFull after the rollback."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                except BaseException:
                    if self._db.in_transaction:  # SQLite has already rolled back on some errors
                        self._db.execute("ROLLBACK")
                    raise
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:  # a failed COMMIT must not leave the connection mid-transaction
                    self._db.execute("ROLLBACK")
                if getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL:
                    raise StorageFull(str(exc)) from None
                raise

    def create_tables(self, schema: str) -> None:
        """Run CREATE ... IF NOT EXISTS statements (a module's own tables)."""
        with self._lock:
            self._db.executescript(schema)

    def query(self, sql: str, params=()) -> list[sqlite3.Row]:
        """Rows of a read-only statement (for the Compass store, which shares this database)."""
        return self._query(sql, params)

    def one(self, sql: str, params=()):
        return self._one(sql, params)

    def _query(self, sql: str, params=()) -> list[sqlite3.Row]:
        with self._lock:
            return self._db.execute(sql, params).fetchall()

    def _one(self, sql: str, params=()):
        rows = self._query(sql, params)
        return rows[0] if rows else None

    # ---- accounts and users --------------------------------------------------------
    def create_account(self, name: str) -> str:
        account_id = auth.random_id(8)
        with self.transaction() as db:
            db.execute("INSERT INTO accounts VALUES (?, ?)", (account_id, name))
        return account_id

    def create_user(self, username: str, password: str, account_id: str | None,
                    permissions=auth.PERMISSIONS, admin: bool = False) -> None:
        with self.transaction() as db:
            # The first user is the site admin (Compass: only site admins create
            # accounts and users).
            first = db.execute("SELECT 1 FROM users LIMIT 1").fetchone() is None
            db.execute("INSERT INTO users (username, password_hash, default_account, admin) "
                       "VALUES (?, ?, ?, ?)",
                       (username, auth.hash_password(password), account_id, int(admin or first)))
            if account_id is not None:
                db.execute("INSERT OR REPLACE INTO memberships VALUES (?, ?, ?)",
                           (account_id, username, json.dumps(list(permissions))))

    def has_users(self) -> bool:
        return self._one("SELECT 1 FROM users LIMIT 1") is not None

    def user(self, username: str):
        return self._one("SELECT * FROM users WHERE username = ?", (username,))

    def first_user(self):
        return self._one("SELECT * FROM users ORDER BY rowid LIMIT 1")

    def set_password(self, username: str, password: str) -> None:
        """New password; every token issued before it stops working."""
        with self.transaction() as db:
            db.execute("UPDATE users SET password_hash = ?, must_reset_password = 0 WHERE username = ?",
                       (auth.hash_password(password), username))
            db.execute("DELETE FROM tokens WHERE username = ?", (username,))

    def users(self) -> list[sqlite3.Row]:
        return self._query("SELECT * FROM users ORDER BY rowid")

    def update_user(self, username: str, /, **fields) -> None:
        """Change name, default_account, admin or the user name itself (email),
        carrying memberships and tokens along."""
        new_name = fields.pop("username", None)
        with self.transaction() as db:
            if fields:
                assignments = ", ".join(f"{column} = ?" for column in fields)
                db.execute(f"UPDATE users SET {assignments} WHERE username = ?", (*fields.values(), username))
            if new_name and new_name != username:
                for table in ("users", "memberships", "tokens"):
                    db.execute(f"UPDATE {table} SET username = ? WHERE username = ?", (new_name, username))

    def delete_user(self, username: str) -> None:
        with self.transaction() as db:
            for table in ("users", "memberships", "tokens"):
                db.execute(f"DELETE FROM {table} WHERE username = ?", (username,))

    def reset_password(self, username: str, password: str) -> None:
        """A temporary password the user must change; every token stops working."""
        self.set_password(username, password)
        with self.transaction() as db:
            db.execute("UPDATE users SET must_reset_password = 1 WHERE username = ?", (username,))

    def memberships(self, account_ids: list[str] | None = None) -> list[dict]:
        """Each (account, user, permissions) with a stable id (the row's rowid)."""
        sql, params = "SELECT rowid AS id, account_id, username, permissions FROM memberships", []
        if account_ids is not None:
            sql += f" WHERE account_id IN ({','.join('?' * len(account_ids))})"
            params = list(account_ids)
        return [{**dict(r), "permissions": json.loads(r["permissions"])}
                for r in self._query(sql + " ORDER BY rowid", params)]

    def delete_membership(self, account_id: str, username: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM memberships WHERE account_id = ? AND username = ?", (account_id, username))

    def accounts(self) -> list[sqlite3.Row]:
        return self._query("SELECT * FROM accounts ORDER BY rowid")

    def rename_account(self, account_id: str, name: str) -> None:
        with self.transaction() as db:
            db.execute("UPDATE accounts SET name = ? WHERE account_id = ?", (name, account_id))

    def delete_account(self, account_id: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM accounts WHERE account_id = ?", (account_id,))
            db.execute("DELETE FROM memberships WHERE account_id = ?", (account_id,))
            db.execute("UPDATE users SET default_account = NULL WHERE default_account = ?", (account_id,))

    def account(self, account_id: str):
        return self._one("SELECT * FROM accounts WHERE account_id = ?", (account_id,))

    def user_accounts(self, username: str) -> list[dict]:
        rows = self._query(
            "SELECT a.account_id, a.name, m.permissions FROM memberships m "
            "JOIN accounts a USING (account_id) WHERE m.username = ? ORDER BY a.rowid", (username,))
        return [{"account_id": r["account_id"], "account_name": r["name"],
                 "permissions": json.loads(r["permissions"])} for r in rows]

    def permissions(self, username: str, account_id: str) -> list[str]:
        row = self._one("SELECT permissions FROM memberships WHERE username = ? AND account_id = ?",
                        (username, account_id))
        return json.loads(row["permissions"]) if row else []

    def members(self, account_id: str) -> dict[str, list[str]]:
        rows = self._query("SELECT username, permissions FROM memberships WHERE account_id = ? "
                           "ORDER BY username", (account_id,))
        return {r["username"]: json.loads(r["permissions"]) for r in rows}

    def set_member(self, account_id: str, username: str, permissions: list[str], reset: bool):
        with self.transaction() as db:
            row = db.execute("SELECT permissions FROM memberships WHERE account_id = ? AND "
                             "username = ?", (account_id, username)).fetchone()
            if row and not reset:
                permissions = sorted(set(json.loads(row["permissions"])) | set(permissions),
                                     key=auth.PERMISSIONS.index)
            db.execute("INSERT OR REPLACE INTO memberships VALUES (?, ?, ?)",
                       (account_id, username, json.dumps(permissions)))

    # ---- tokens --------------------------------------------------------------------
    def issue_token(self, username: str, token_type: str) -> dict:
        """A new token; its clear text is returned once and stored only hashed.
        `token_id` names it in listings and revocations without revealing it."""
        token_id = auth.random_id(12)
        token = (auth.derived_token(self.secret, token_id) if token_type == "long_lived"
                 else auth.new_token())
        now = time.time()
        expiration = now + auth.SHORT_LIVED_SECONDS if token_type == "short_lived" else None
        with self.transaction() as db:
            db.execute("INSERT INTO tokens (token_hash, username, type, expiration, created, "
                       "token_id) VALUES (?, ?, ?, ?, ?, ?)",
                       (auth.hash_token(token), username, token_type, expiration, now, token_id))
        return {"token": token, "token_id": token_id, "type": token_type, "expiration": expiration}

    def token_user(self, token: str) -> str | None:
        """The user a token belongs to, or None if it is unknown or expired."""
        owner = self.token_owner(token)
        return owner[0] if owner else None

    def token_owner(self, token: str) -> tuple[str, bool] | None:
        """(user, whether they must change a temporary password) of an unexpired
        token, in one lookup: every authenticated request asks both."""
        row = self._one("SELECT t.username, t.expiration, u.must_reset_password FROM tokens t "
                        "JOIN users u USING (username) WHERE t.token_hash = ?", (auth.hash_token(token),))
        if row is None or (row["expiration"] is not None and row["expiration"] < time.time()):
            return None
        return row["username"], bool(row["must_reset_password"])

    def revoke_token(self, token: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM tokens WHERE token_hash = ?", (auth.hash_token(token),))

    def add_token(self, username: str, token: str, token_id: str, token_type: str,
                  expiration: float | None) -> None:
        with self.transaction() as db:
            db.execute("INSERT INTO tokens (token_hash, username, type, expiration, created, token_id) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (auth.hash_token(token), username, token_type, expiration, time.time(), token_id))

    def long_lived_token(self, token: dict) -> str | None:
        """The clear text of a listed long-lived token (None for short-lived
        ones, and for tokens made before tokens were derived)."""
        if token["type"] != "long_lived" or not token["token_id"]:
            return None
        clear = auth.derived_token(self.secret, token["token_id"])
        return clear if auth.hash_token(clear) == token["token_hash"] else None

    def revoke_token_id(self, username: str, token_id: str) -> bool:
        """Revoke one of a user's tokens by its id; False if there is none."""
        with self.transaction() as db:
            cursor = db.execute("DELETE FROM tokens WHERE username = ? AND token_id = ?",
                                (username, token_id))
            return cursor.rowcount > 0

    def user_tokens(self, username: str) -> list[dict]:
        """The user's unexpired tokens (the clear text is never stored)."""
        rows = self._query("SELECT * FROM tokens WHERE username = ? AND (expiration IS NULL OR "
                           "expiration >= ?) ORDER BY created", (username, time.time()))
        return [{"token_id": r["token_id"], "token_hash": r["token_hash"], "type": r["type"],
                 "expiration": r["expiration"], "created": r["created"]} for r in rows]

    # ---- projects ------------------------------------------------------------------
    def create_project(self, account_id: str, name: str, creator: str, description: str = "",
                       language: str = "en") -> str:
        project_id = auth.random_id(6)
        now = time.time()
        with self.transaction() as db:
            db.execute("INSERT INTO projects (project_id, account_id, name, description, creator, "
                       "creation_date, last_update, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                       (project_id, account_id, name, description, creator, now, now, language))
        return project_id

    def project_language(self, project_id: str) -> str:
        row = self._one("SELECT language FROM projects WHERE project_id = ?", (project_id,))
        return row["language"] if row else "en"

    def project(self, account_id: str, project_id: str):
        return self._one("SELECT * FROM projects WHERE account_id = ? AND project_id = ?",
                         (account_id, project_id))

    def projects(self, account_ids: list[str], name: str | None = None) -> list[sqlite3.Row]:
        marks = ",".join("?" * len(account_ids))
        sql = f"SELECT * FROM projects WHERE account_id IN ({marks})"
        params = list(account_ids)
        if name is not None:
            sql += " AND name = ?"
            params.append(name)
        return self._query(sql + " ORDER BY creation_date", params)

    def update_project(self, project_id: str, **fields) -> None:
        assignments = ", ".join(f"{column} = ?" for column in fields)
        with self.transaction() as db:
            db.execute(f"UPDATE projects SET {assignments}, last_update = ? WHERE project_id = ?",
                       (*fields.values(), time.time(), project_id))

    def delete_project(self, project_id: str) -> None:
        with self.transaction() as db:
            for table in ("projects", "docs", "subset_counts", "topics", "ignorelist", "jobs"):
                db.execute(f"DELETE FROM {table} WHERE project_id = ?", (project_id,))
        for path in self.models_dir.glob(f"{project_id}-*.npz"):
            path.unlink(missing_ok=True)

    def subset_counts(self, project_id: str) -> dict[str, int]:
        """Documents per subset, ``__all__`` included (kept up to date on upload,
        so listing projects never reads the documents)."""
        rows = self._query("SELECT subset, count FROM subset_counts WHERE project_id = ? "
                           "ORDER BY subset", (project_id,))
        return {r["subset"]: r["count"] for r in rows}

    def document_count(self, project_id: str) -> int:
        """How many documents a project holds (from the upkept counts: no scan)."""
        row = self._one("SELECT count FROM subset_counts WHERE project_id = ? AND subset = ?",
                        (project_id, ALL_SUBSET))
        return row["count"] if row else 0

    def project_space(self, project_id: str) -> int:
        row = self._one("SELECT COALESCE(SUM(LENGTH(body)), 0) AS size FROM docs "
                        "WHERE project_id = ?", (project_id,))
        return int(row["size"])

    # ---- documents -----------------------------------------------------------------
    def add_docs(self, project_id: str, docs: list[dict]) -> list[str]:
        """Store documents (each with its `_id`) in one transaction."""
        with self.transaction() as db:
            row = db.execute("SELECT COALESCE(MAX(seq), 0) FROM docs WHERE project_id = ?",
                             (project_id,)).fetchone()
            seq = row[0]
            added: dict[str, int] = {}
            for doc in docs:
                seq += 1
                db.execute("INSERT INTO docs VALUES (?, ?, ?, ?)",
                           (project_id, seq, doc["_id"], json.dumps(doc)))
                for subset in {ALL_SUBSET, *doc.get("subsets", ())}:
                    added[subset] = added.get(subset, 0) + 1
            db.executemany("INSERT INTO subset_counts VALUES (?, ?, ?) ON CONFLICT "
                           "(project_id, subset) DO UPDATE SET count = count + excluded.count",
                           [(project_id, subset, n) for subset, n in added.items()])
            db.execute("UPDATE projects SET last_update = ? WHERE project_id = ?",
                       (time.time(), project_id))
        return [doc["_id"] for doc in docs]

    def delete_docs(self, project_id: str, doc_ids: list[str]) -> list[str]:
        """Delete documents by id in one transaction; returns the ids that did not
        exist, in which case nothing is deleted."""
        with self.transaction() as db:
            bodies = {}
            for doc_id in dict.fromkeys(doc_ids):
                row = db.execute("SELECT body FROM docs WHERE project_id = ? AND doc_id = ?",
                                 (project_id, doc_id)).fetchone()
                if row is not None:
                    bodies[doc_id] = load_body(row["body"])
            missing = [doc_id for doc_id in doc_ids if doc_id not in bodies]
            if missing:
                return missing
            removed: dict[str, int] = {}
            for doc_id, doc in bodies.items():
                db.execute("DELETE FROM docs WHERE project_id = ? AND doc_id = ?", (project_id, doc_id))
                for subset in {ALL_SUBSET, *doc.get("subsets", ())}:
                    removed[subset] = removed.get(subset, 0) + 1
            db.executemany("UPDATE subset_counts SET count = count - ? WHERE project_id = ? AND "
                           "subset = ?", [(n, project_id, subset) for subset, n in removed.items()])
            db.execute("DELETE FROM subset_counts WHERE project_id = ? AND count <= 0 AND "
                       "subset != ?", (project_id, ALL_SUBSET))
            db.execute("UPDATE projects SET last_update = ? WHERE project_id = ?",
                       (time.time(), project_id))
        return []

    def docs(self, project_id: str, limit: int | None = None, offset: int = 0) -> list[dict]:
        rows = self._query("SELECT body FROM docs WHERE project_id = ? ORDER BY seq "
                           "LIMIT ? OFFSET ?", (project_id, -1 if limit is None else limit, offset))
        return [load_body(r["body"]) for r in rows]

    def doc_ids(self, project_id: str, limit: int | None = None, offset: int = 0) -> list[str]:
        """The ids of `docs(project_id, limit, offset)`, in that order, without reading
        the bodies. A project's whole list is kept until its `last_update` changes
        (every added or deleted document changes it), so paging through 100,000
        documents reads it once."""
        with self._lock:  # one connection: no write lands between the two reads
            row = self._one("SELECT last_update FROM projects WHERE project_id = ?", (project_id,))
            version = row["last_update"] if row else None
            cached = self._doc_ids.get(project_id)
            if cached is None or cached[0] != version:
                ids = [r[0] for r in self._query("SELECT doc_id FROM docs WHERE project_id = ? "
                                                 "ORDER BY seq", (project_id,))]
                cached = self._doc_ids[project_id] = (version, ids)
                while len(self._doc_ids) > DOC_ID_CACHE:
                    self._doc_ids.pop(next(iter(self._doc_ids)))
        return cached[1][offset:None if limit is None else offset + limit]

    def docs_by_id(self, project_id: str, doc_ids: list[str]) -> dict[str, dict]:
        found = {}
        for start in range(0, len(doc_ids), 500):
            chunk = doc_ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self._query(f"SELECT body FROM docs WHERE project_id = ? AND doc_id IN "
                                   f"({marks})", (project_id, *chunk)):
                doc = load_body(row["body"])
                found[doc["_id"]] = doc
        return found

    def doc_count(self, project_id: str) -> int:
        return self._one("SELECT COUNT(*) AS n FROM docs WHERE project_id = ?", (project_id,))["n"]

    # ---- topics --------------------------------------------------------------------
    def add_topic(self, project_id: str, name: str, text: str, color: str | None) -> str:
        topic_id = str(uuid.uuid4())
        with self.transaction() as db:
            # MAX + 1, not COUNT: after a delete, COUNT would repeat a position and colour
            seq = db.execute("SELECT COALESCE(MAX(seq) + 1, 0) FROM topics WHERE project_id = ?",
                             (project_id,)).fetchone()[0]
            color = color or TOPIC_COLORS[seq % len(TOPIC_COLORS)]
            db.execute("INSERT INTO topics VALUES (?, ?, ?, ?, ?, ?)",
                       (project_id, seq, topic_id, name, text, color))
        return topic_id

    def topics(self, project_id: str) -> list[dict]:
        rows = self._query("SELECT topic_id, name, text, color FROM topics WHERE project_id = ? "
                           "ORDER BY seq", (project_id,))
        return [{"_id": r["topic_id"], "name": r["name"], "text": r["text"], "color": r["color"]}
                for r in rows]

    def topic(self, project_id: str, topic_id: str) -> dict | None:
        return next((t for t in self.topics(project_id) if t["_id"] == topic_id), None)

    def update_topic(self, project_id: str, topic_id: str, **fields) -> None:
        assignments = ", ".join(f"{column} = ?" for column in fields)
        with self.transaction() as db:
            db.execute(f"UPDATE topics SET {assignments} WHERE project_id = ? AND topic_id = ?",
                       (*fields.values(), project_id, topic_id))

    def delete_topic(self, project_id: str, topic_id: str) -> None:
        with self.transaction() as db:
            db.execute("DELETE FROM topics WHERE project_id = ? AND topic_id = ?",
                       (project_id, topic_id))

    # ---- ignore list ---------------------------------------------------------------
    def ignorelist(self, project_id: str) -> dict[str, list[str]]:
        result: dict[str, list[str]] = {"fullstring": [], "substring": []}
        for row in self._query("SELECT term, kind FROM ignorelist WHERE project_id = ? "
                               "ORDER BY rowid", (project_id,)):
            result[row["kind"]].append(row["term"])
        return result

    def set_ignored(self, project_id: str, term: str, kind: str, ignored: bool) -> None:
        with self.transaction() as db:
            if ignored:
                db.execute("INSERT OR IGNORE INTO ignorelist VALUES (?, ?, ?)",
                           (project_id, term, kind))
            else:
                db.execute("DELETE FROM ignorelist WHERE project_id = ? AND term = ? AND kind = ?",
                           (project_id, term, kind))

    # ---- jobs ----------------------------------------------------------------------
    def start_job(self, project_id: str, source_type: str = "recalculator") -> int:
        with self.transaction() as db:
            job_id = db.execute("SELECT COALESCE(MAX(job_id), 0) + 1 FROM jobs WHERE "
                                "project_id = ?", (project_id,)).fetchone()[0]
            db.execute("INSERT INTO jobs (project_id, job_id, source_type, start_time) "
                       "VALUES (?, ?, ?, ?)", (project_id, job_id, source_type, time.time()))
        return job_id

    def set_job_stage(self, project_id: str, job_id: int, stage: str, index: int, count: int) -> None:
        """Record the stage a running job has reached (`index` of `count`, from 1)."""
        with self.transaction() as db:
            db.execute("UPDATE jobs SET stage = ?, stage_index = ?, stage_count = ? WHERE "
                       "project_id = ? AND job_id = ? AND stop_time IS NULL",
                       (stage, index, count, project_id, job_id))

    def finish_job(self, project_id: str, job_id: int, success: bool, message: str | None = None,
                   model_file: str | None = None) -> None:
        """Close a job; on success switch the project to its new model in the same
        transaction, so a crash leaves either the old model or the new one."""
        now = time.time()
        with self.transaction() as db:
            db.execute("UPDATE jobs SET stop_time = ?, success = ?, message = ? WHERE "
                       "project_id = ? AND job_id = ?", (now, int(success), message, project_id, job_id))
            if success and model_file:
                db.execute("UPDATE projects SET model_file = ?, last_build = ?, last_update = ? "
                           "WHERE project_id = ?", (model_file, now, now, project_id))

    def job(self, project_id: str, job_id: int) -> dict | None:
        row = self._one("SELECT * FROM jobs WHERE project_id = ? AND job_id = ?", (project_id, job_id))
        return _job_dict(row) if row else None

    def jobs(self, project_id: str, running_only: bool) -> list[dict]:
        sql = "SELECT * FROM jobs WHERE project_id = ?"
        if running_only:
            sql += " AND stop_time IS NULL"
        return [_job_dict(r) for r in self._query(sql + " ORDER BY job_id", (project_id,))]

    def fail_interrupted_jobs(self) -> int:
        """Jobs left running by a server that died can never finish: mark them failed."""
        with self.transaction() as db:
            cursor = db.execute("UPDATE jobs SET stop_time = ?, success = 0, message = ? "
                                "WHERE stop_time IS NULL",
                                (time.time(), "interrupted: the server stopped during this job"))
            return cursor.rowcount

    # ---- usage ---------------------------------------------------------------------
    def add_usage(self, counts: dict[tuple[str, str, str], int]) -> None:
        """Add call counts keyed by (account, "YYYY-MM", kind); accounts that do
        not exist (a request naming a made-up account) are not recorded."""
        with self.transaction() as db:
            db.executemany(
                "INSERT INTO usage SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM accounts WHERE "
                "account_id = ?1) ON CONFLICT (account_id, period, kind) DO UPDATE SET "
                "count = count + excluded.count",
                [(account, period, kind, n) for (account, period, kind), n in counts.items()])

    def usage(self, account_id: str, year: int, month: int) -> dict[str, int]:
        rows = self._query("SELECT kind, count FROM usage WHERE account_id = ? AND period = ?",
                           (account_id, f"{year:04d}-{month:02d}"))
        return {r["kind"]: r["count"] for r in rows}


def _job_dict(row) -> dict:
    success = None if row["success"] is None else bool(row["success"])
    job = {"job_id": row["job_id"], "source_type": row["source_type"],
           "start_time": row["start_time"], "stop_time": row["stop_time"], "success": success}
    if row["message"]:
        job["message"] = row["message"]
    # Extra fields (the official client reads only the ones above): how far the job got
    # (a stage of None: not started yet). LuminosoClient.wait_for takes them to mean that
    # this server knows jobs/id/<n>/?wait=.
    job["stage"] = row["stage"]
    if row["stage"] is not None:
        job["progress"] = {"stage": row["stage_index"], "stages": row["stage_count"]}
    return job
