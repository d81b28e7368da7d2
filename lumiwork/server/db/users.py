"""Users: names, password hashes, default accounts and site-admin flags."""
from __future__ import annotations

import sqlite3

from ..core import auth
from .database import Database


class UserRepository:
    def __init__(self, db: Database):
        self.db = db

    def create(self, username: str, password: str, default_account: str | None, admin: bool = False) -> None:
        """A new user; the first user is the site admin (Compass: only site
        admins create accounts and users)."""
        with self.db.transaction() as tx:
            first = tx.execute("SELECT 1 FROM users LIMIT 1").fetchone() is None
            tx.execute("INSERT INTO users (username, password_hash, default_account, admin) VALUES (?, ?, ?, ?)",
                       (username, auth.hash_password(password), default_account, int(admin or first)))

    def exists_any(self) -> bool:
        return self.db.read_one("SELECT 1 FROM users LIMIT 1") is not None

    def get(self, username: str) -> sqlite3.Row | None:
        return self.db.read_one("SELECT * FROM users WHERE username = ?", (username,))

    def first(self) -> sqlite3.Row | None:
        return self.db.read_one("SELECT * FROM users ORDER BY rowid LIMIT 1")

    def all(self) -> list[sqlite3.Row]:
        return self.db.read("SELECT * FROM users ORDER BY rowid")

    def update(self, username: str, /, **fields) -> None:
        """Change name, default_account or admin."""
        if not fields:
            return
        assignments = ", ".join(f"{column} = ?" for column in fields)
        with self.db.transaction() as tx:
            tx.execute(f"UPDATE users SET {assignments} WHERE username = ?", (*fields.values(), username))

    def rename(self, old: str, new: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE users SET username = ? WHERE username = ?", (new, old))

    def set_password(self, username: str, password: str, must_reset: bool = False) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE users SET password_hash = ?, must_reset_password = ? WHERE username = ?",
                       (auth.hash_password(password), int(must_reset), username))

    def clear_default_account(self, account_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE users SET default_account = NULL WHERE default_account = ?", (account_id,))

    def delete(self, username: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM users WHERE username = ?", (username,))
