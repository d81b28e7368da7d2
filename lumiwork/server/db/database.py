"""Database: one SQLite file, one writer, readers on their own connections.

Writes go through `transaction()`: one connection behind one lock, each
transaction `BEGIN IMMEDIATE` ... `COMMIT`, rolled back whole on any error (a
full disk raises StorageFull after the rollback). Transactions nest: an inner
`transaction()` on the same thread joins the outer one, so repositories compose
into one atomic unit.

Reads go through `read()`/`read_one()` on a connection of the reading thread's
own, in WAL mode, so a read never waits for the writer's lock: an upload of
100,000 documents holds the writer for its whole transaction while every
authenticated request keeps looking its token up. Each read sees the last
committed state. `snapshot()` gives several reads one consistent state.

The schema has one owner, `schema.py`, and a version (PRAGMA user_version)
that `migrate` brings up to date when the database is opened for writing.
"""
from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SQLITE_FULL = 13
# SQLite reads the database through a memory map of up to this many bytes
# instead of copying each page it needs out of the OS's cache (a search reads
# a few dozen B-tree pages for its documents). Writes still go through
# write(), so a full disk is still an error SQLite reports; a failing disk
# under a mapped page ends the process instead of failing one request.
MMAP_BYTES = 1 << 30
# How long a connection waits for another process's lock (a second server
# migrating the same new database) before SQLite reports it busy.
BUSY_TIMEOUT_MS = 30_000


class StorageFull(Exception):
    """The disk (or the database's size limit) is full; the write was rolled back."""


class DataDirError(OSError):
    """The data folder cannot be used; the message is one line naming it."""


class Database:
    """One SQLite database: a writer (unless `read_only`) and per-thread readers."""

    def __init__(self, path: Path | str, read_only: bool = False):
        self.path = Path(path)
        self.read_only = read_only
        self._lock = threading.RLock()
        self._depth = 0  # nesting of the current thread's transaction (under _lock)
        self._local = threading.local()
        self._readers: weakref.WeakSet[_Reader] = weakref.WeakSet()
        self._closed = False
        self._writer: sqlite3.Connection | None = None
        if not read_only:
            # SQLite gives its -wal and -shm files the database file's mode.
            os.close(os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600))
            self.path.chmod(0o600)
            self._writer = self._connect(self.path)
            self._writer.execute("PRAGMA journal_mode=WAL")
            self._writer.execute("PRAGMA synchronous=FULL")

    def _connect(self, target: Path | str, uri: bool = False) -> sqlite3.Connection:
        connection = sqlite3.connect(target, uri=uri, check_same_thread=False, isolation_level=None,
                                     timeout=BUSY_TIMEOUT_MS / 1000)
        connection.row_factory = sqlite3.Row
        connection.execute(f"PRAGMA mmap_size={MMAP_BYTES}")
        connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return connection

    # ---- writing -------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One atomic unit: everything inside is stored, or nothing is. Nested
        calls on the same thread join the outermost transaction."""
        if self._writer is None:
            raise sqlite3.OperationalError("this database was opened read-only")
        with self._lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self._writer
                finally:
                    self._depth -= 1
                return
            db = self._writer
            self._depth = 1
            try:
                db.execute("BEGIN IMMEDIATE")
                try:
                    yield db
                except BaseException:
                    if db.in_transaction:  # SQLite has already rolled back on some errors
                        db.execute("ROLLBACK")
                    raise
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                if db.in_transaction:  # a failed COMMIT must not leave the connection mid-transaction
                    db.execute("ROLLBACK")
                if getattr(exc, "sqlite_errorcode", None) == SQLITE_FULL:
                    raise StorageFull(str(exc)) from None
                raise
            finally:
                self._depth = 0

    def in_transaction(self) -> bool:
        """Whether the calling thread is inside `transaction()`."""
        acquired = self._lock.acquire(blocking=False)
        if not acquired:
            return False  # another thread holds the writer
        try:
            return self._depth > 0
        finally:
            self._lock.release()

    # ---- reading -------------------------------------------------------------------------------
    def _reader(self) -> sqlite3.Connection:
        """The calling thread's own read connection (the writer inside a transaction,
        so a transaction reads what it has written)."""
        if self._writer is not None and self.in_transaction():
            return self._writer
        reader: _Reader | None = getattr(self._local, "reader", None)
        if reader is None:
            if self._closed:
                raise sqlite3.ProgrammingError("the database is closed")
            uri = self.path.resolve().as_uri() + "?mode=ro"
            reader = _Reader(self._connect(uri, uri=True))
            reader.connection.execute("PRAGMA query_only=1")
            self._local.reader = reader
            self._readers.add(reader)
        return reader.connection

    def read(self, sql: str, params: Any = ()) -> list[sqlite3.Row]:
        """Rows of a read-only statement, on this thread's read connection."""
        return self._reader().execute(sql, params).fetchall()

    def read_one(self, sql: str, params: Any = ()) -> sqlite3.Row | None:
        return self._reader().execute(sql, params).fetchone()

    @contextmanager
    def snapshot(self) -> Iterator[sqlite3.Connection]:
        """A read connection inside one read transaction: every read sees the same state."""
        connection = self._reader()
        if connection is self._writer:
            yield connection
            return
        connection.execute("BEGIN")
        try:
            yield connection
        finally:
            connection.execute("COMMIT")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            for reader in list(self._readers):
                reader.connection.close()
            if self._writer is not None:
                self._writer.close()


class _Reader:
    """A thread's read connection (a class, so a WeakSet can track it)."""

    __slots__ = ("connection", "__weakref__")

    def __init__(self, connection: sqlite3.Connection):
        self.connection = connection

    def __del__(self) -> None:  # the thread ended
        try:
            self.connection.close()
        except Exception:
            pass
