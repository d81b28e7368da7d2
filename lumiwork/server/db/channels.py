"""Channels: where notifications go (a webhook URL), one account's each, with
their signing secret sealed (server/notify/secrets.py)."""
from __future__ import annotations

import time

from ..core.auth import random_id
from .database import Database


class ChannelRepository:
    def __init__(self, db: Database):
        self.db = db

    def create(self, account_id: str, name: str, kind: str, url: str, sealed_secret: bytes, secret_hint: str,
               creator: str) -> str:
        """The new channel's id; sqlite3.IntegrityError if the account has a channel of that name."""
        channel_id = "ch" + random_id(10)
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO channels (channel_id, account_id, name, kind, url, secret, secret_hint, "
                       "creator, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (channel_id, account_id, name, kind, url, sealed_secret, secret_hint, creator, time.time()))
        return channel_id

    def get(self, channel_id: str) -> dict | None:
        row = self.db.read_one("SELECT * FROM channels WHERE channel_id = ?", (channel_id,))
        return dict(row) if row is not None else None

    def by_name(self, account_id: str, name: str) -> dict | None:
        row = self.db.read_one("SELECT * FROM channels WHERE account_id = ? AND name = ?", (account_id, name))
        return dict(row) if row is not None else None

    def find(self, account_ids: list[str] | None, name: str | None = None) -> list[dict]:
        """Channels of these accounts (None: every account), oldest first."""
        sql, params = "SELECT * FROM channels WHERE 1 = 1", []
        if account_ids is not None:
            sql += f" AND account_id IN ({', '.join('?' * len(account_ids))})"
            params.extend(account_ids)
        if name is not None:
            sql += " AND name = ?"
            params.append(name)
        return [dict(r) for r in self.db.read(sql + " ORDER BY created, channel_id", params)]

    def delete(self, channel_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM channels WHERE channel_id = ?", (channel_id,))
