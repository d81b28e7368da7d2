"""Tokens: stored only as hashes; long-lived ones derived from the server's key."""
from __future__ import annotations

import time

from ..core import auth
from .database import Database


class TokenRepository:
    def __init__(self, db: Database, secret: bytes):
        self.db = db
        self.secret = secret

    def issue(self, username: str, token_type: str) -> dict:
        """A new token; its clear text is returned once and stored only hashed.
        `token_id` names it in listings and revocations without revealing it."""
        token_id = auth.random_id(12)
        token = auth.derived_token(self.secret, token_id) if token_type == "long_lived" else auth.new_token()
        now = time.time()
        expiration = now + auth.SHORT_LIVED_SECONDS if token_type == "short_lived" else None
        self.add(username, token, token_id, token_type, expiration, now)
        return {"token": token, "token_id": token_id, "type": token_type, "expiration": expiration}

    def add(self, username: str, token: str, token_id: str, token_type: str, expiration: float | None,
            created: float | None = None) -> None:
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO tokens (token_hash, username, type, expiration, created, token_id) "
                       "VALUES (?, ?, ?, ?, ?, ?)",
                       (auth.hash_token(token), username, token_type, expiration,
                        time.time() if created is None else created, token_id))

    def issue_project_scoped(self, username: str, project_id: str) -> str:
        """A read-only token for one project of the user (what a dashboard's kernels
        hold): derived from its id, so the dashboard server can give it to them
        without it being stored anywhere in clear. Returns its id."""
        token_id = auth.random_id(12)
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO tokens (token_hash, username, type, expiration, created, token_id, project_id, "
                       "read_only) VALUES (?, ?, 'project_read', NULL, ?, ?, ?, 1)",
                       (auth.hash_token(auth.derived_token(self.secret, token_id)), username, time.time(),
                        token_id, project_id))
        return token_id

    def scoped_token(self, token_id: str) -> str:
        """The clear text of a project-scoped token, from its id and the server's key."""
        return auth.derived_token(self.secret, token_id)

    def revoke_scoped(self, token_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM tokens WHERE token_id = ? AND project_id IS NOT NULL", (token_id,))

    def owner(self, token: str) -> dict | None:
        """The user of an unexpired token, with what every authenticated request
        asks of them (username, admin, must_reset_password, and the one project
        a scoped token may read), in one read."""
        row = self.db.read_one("SELECT t.username, t.expiration, t.project_id, t.read_only, u.admin, "
                               "u.must_reset_password FROM tokens t "
                               "JOIN users u USING (username) WHERE t.token_hash = ?", (auth.hash_token(token),))
        if row is None or (row["expiration"] is not None and row["expiration"] < time.time()):
            return None
        scoped = row["project_id"] is not None
        return {"username": row["username"], "admin": bool(row["admin"]) and not scoped,
                "must_reset_password": bool(row["must_reset_password"]),
                "project_scope": row["project_id"], "read_only": bool(row["read_only"])}

    def user(self, token: str) -> str | None:
        owner = self.owner(token)
        return owner["username"] if owner else None

    def revoke(self, token: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM tokens WHERE token_hash = ?", (auth.hash_token(token),))

    def revoke_id(self, username: str, token_id: str) -> bool:
        """Revoke one of a user's tokens by its id; False if there is none."""
        with self.db.transaction() as tx:
            cursor = tx.execute("DELETE FROM tokens WHERE username = ? AND token_id = ?", (username, token_id))
            return cursor.rowcount > 0

    def long_lived_token(self, token: dict) -> str | None:
        """The clear text of a listed long-lived token (None for short-lived
        ones, and for tokens made before tokens were derived)."""
        if token["type"] != "long_lived" or not token["token_id"]:
            return None
        return self.derived(token)

    def derived(self, token: dict) -> str | None:
        """The clear text of a token made from its id and the server's key, or None."""
        clear = auth.derived_token(self.secret, token["token_id"])
        return clear if auth.hash_token(clear) == token["token_hash"] else None

    def user_tokens(self, username: str) -> list[dict]:
        """The user's unexpired tokens (the clear text is never stored)."""
        rows = self.db.read("SELECT * FROM tokens WHERE username = ? AND project_id IS NULL AND (expiration IS NULL "
                            "OR expiration >= ?) ORDER BY created", (username, time.time()))
        return [{"token_id": r["token_id"], "token_hash": r["token_hash"], "type": r["type"],
                 "expiration": r["expiration"], "created": r["created"]} for r in rows]

    def delete_for_user(self, username: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM tokens WHERE username = ?", (username,))

    def rename_user(self, old: str, new: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE tokens SET username = ? WHERE username = ?", (new, old))
