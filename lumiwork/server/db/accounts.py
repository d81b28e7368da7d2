"""Accounts and their members (the memberships table): who may do what where."""
from __future__ import annotations

import json
import sqlite3

from ..core import auth
from .database import Database


class AccountRepository:
    def __init__(self, db: Database):
        self.db = db

    def create(self, name: str) -> str:
        account_id = auth.random_id(8)
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO accounts VALUES (?, ?)", (account_id, name))
        return account_id

    def get(self, account_id: str) -> sqlite3.Row | None:
        return self.db.read_one("SELECT * FROM accounts WHERE account_id = ?", (account_id,))

    def all(self) -> list[sqlite3.Row]:
        return self.db.read("SELECT * FROM accounts ORDER BY rowid")

    def rename(self, account_id: str, name: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE accounts SET name = ? WHERE account_id = ?", (name, account_id))

    def delete(self, account_id: str) -> None:
        """The account and its memberships (see Store.delete_account for the rest)."""
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM accounts WHERE account_id = ?", (account_id,))
            tx.execute("DELETE FROM memberships WHERE account_id = ?", (account_id,))

    # ---- members -------------------------------------------------------------------------------
    def user_accounts(self, username: str) -> list[dict]:
        rows = self.db.read(
            "SELECT a.account_id, a.name, m.permissions FROM memberships m "
            "JOIN accounts a USING (account_id) WHERE m.username = ? ORDER BY a.rowid", (username,))
        return [{"account_id": r["account_id"], "account_name": r["name"],
                 "permissions": json.loads(r["permissions"])} for r in rows]

    def permissions(self, username: str, account_id: str) -> list[str]:
        row = self.db.read_one("SELECT permissions FROM memberships WHERE username = ? AND account_id = ?",
                               (username, account_id))
        return json.loads(row["permissions"]) if row else []

    def members(self, account_id: str) -> dict[str, list[str]]:
        rows = self.db.read("SELECT username, permissions FROM memberships WHERE account_id = ? "
                            "ORDER BY username", (account_id,))
        return {r["username"]: json.loads(r["permissions"]) for r in rows}

    def set_member(self, account_id: str, username: str, permissions: list[str] | tuple[str, ...],
                   reset: bool = True) -> None:
        """Give a user `permissions` on an account: these replace the old ones
        with `reset`, else add to them."""
        with self.db.transaction() as tx:
            row = tx.execute("SELECT permissions FROM memberships WHERE account_id = ? AND "
                             "username = ?", (account_id, username)).fetchone()
            permissions = list(permissions)
            if row and not reset:
                permissions = sorted(set(json.loads(row["permissions"])) | set(permissions),
                                     key=auth.PERMISSIONS.index)
            tx.execute("INSERT OR REPLACE INTO memberships VALUES (?, ?, ?)",
                       (account_id, username, json.dumps(permissions)))

    def memberships(self, account_ids: list[str] | None = None) -> list[dict]:
        """Each (account, user, permissions) with a stable id (the row's rowid)."""
        sql, params = "SELECT rowid AS id, account_id, username, permissions FROM memberships", []
        if account_ids is not None:
            sql += f" WHERE account_id IN ({','.join('?' * len(account_ids))})"
            params = list(account_ids)
        return [{**dict(r), "permissions": json.loads(r["permissions"])}
                for r in self.db.read(sql + " ORDER BY rowid", params)]

    def delete_membership(self, account_id: str, username: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM memberships WHERE account_id = ? AND username = ?", (account_id, username))

    def rename_member(self, old: str, new: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE memberships SET username = ? WHERE username = ?", (new, old))

    def remove_member(self, username: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM memberships WHERE username = ?", (username,))
