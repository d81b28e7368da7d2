"""Share links and their viewers' sessions.

A link row is the truth about a link: its dashboard, expiry, inactivity
timeout, locked parameters, viewer cap, revocation and view count. What a
viewer holds (the signed link id, then a session cookie) only points at it, so
revoking or expiring a link takes effect on the next request. Session ids are
stored hashed."""
from __future__ import annotations

import json
import time

from ..core import auth
from .database import Database

COLUMNS = ("link_id, dashboard_id, creator, created, expires, inactivity, snapshot, params, max_viewers, revoked, "
           "views, last_view")


def link_record(row) -> dict:
    record = dict(row)
    record["params"] = json.loads(record["params"])
    record["snapshot"] = bool(record["snapshot"])
    return record


class ShareLinkRepository:
    def __init__(self, db: Database):
        self.db = db

    def create(self, dashboard_id: str, creator: str, expires: float | None, inactivity: float | None,
               snapshot: bool, params: dict[str, str], max_viewers: int) -> dict:
        link_id = auth.random_id(12)
        with self.db.transaction() as tx:
            tx.execute(f"INSERT INTO share_links ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, 0, NULL)",
                       (link_id, dashboard_id, creator, time.time(), expires, inactivity, int(snapshot),
                        json.dumps(params, sort_keys=True), max_viewers))
        found = self.get(link_id)
        assert found is not None
        return found

    def get(self, link_id: str) -> dict | None:
        row = self.db.read_one(f"SELECT {COLUMNS} FROM share_links WHERE link_id = ?", (link_id,))
        return link_record(row) if row else None

    def find(self, dashboard_ids: list[str]) -> list[dict]:
        if not dashboard_ids:
            return []
        marks = ",".join("?" * len(dashboard_ids))
        rows = self.db.read(f"SELECT {COLUMNS} FROM share_links WHERE dashboard_id IN ({marks}) ORDER BY created",
                            dashboard_ids)
        return [link_record(r) for r in rows]

    def revoke(self, link_id: str) -> None:
        """Withdraw a link: its sessions end at once, since every request checks
        the link. They stay until their next request, which is then told the
        link was withdrawn (rather than asked to open a link it no longer can)."""
        with self.db.transaction() as tx:
            tx.execute("UPDATE share_links SET revoked = ? WHERE link_id = ? AND revoked IS NULL",
                       (time.time(), link_id))

    def delete_dashboard(self, dashboard_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM share_sessions WHERE link_id IN (SELECT link_id FROM share_links WHERE "
                       "dashboard_id = ?)", (dashboard_id,))
            tx.execute("DELETE FROM share_links WHERE dashboard_id = ?", (dashboard_id,))

    def count_view(self, link_id: str, at: float | None = None, add: int = 1) -> None:
        """Count a view (`add` 0: only record that the link is in use)."""
        with self.db.transaction() as tx:
            tx.execute("UPDATE share_links SET views = views + ?, last_view = ? WHERE link_id = ?",
                       (add, time.time() if at is None else at, link_id))

    # ---- sessions: what a viewer's cookie stands for -----------------------------------------
    def open_session(self, link_id: str, now: float) -> str:
        """A new session of a link; returns the cookie's value (stored only hashed)."""
        session = auth.new_token()
        with self.db.transaction() as tx:
            tx.execute("INSERT INTO share_sessions VALUES (?, ?, ?, ?)", (auth.hash_token(session), link_id, now, now))
        return session

    def session(self, session: str) -> dict | None:
        row = self.db.read_one("SELECT * FROM share_sessions WHERE session_hash = ?", (auth.hash_token(session),))
        return dict(row) if row else None

    def touch_session(self, session: str, now: float) -> None:
        with self.db.transaction() as tx:
            tx.execute("UPDATE share_sessions SET last_seen = ? WHERE session_hash = ?",
                       (now, auth.hash_token(session)))

    def end_session(self, session: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM share_sessions WHERE session_hash = ?", (auth.hash_token(session),))

    def forget_closed_sessions(self, closed_before: float) -> None:
        """Sessions of links withdrawn or expired before `closed_before`: until
        then a viewer's next request is told why the link closed."""
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM share_sessions WHERE link_id IN (SELECT link_id FROM share_links "
                       "WHERE revoked < ? OR expires < ?)", (closed_before, closed_before))
