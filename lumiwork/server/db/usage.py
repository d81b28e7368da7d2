"""API v4 usage: call counts per account, month and kind."""
from __future__ import annotations

from .database import Database


class UsageRepository:
    def __init__(self, db: Database):
        self.db = db

    def add(self, counts: dict[tuple[str, str, str], int]) -> None:
        """Add call counts keyed by (account, "YYYY-MM", kind); accounts that do
        not exist (a request naming a made-up account) are not recorded."""
        with self.db.transaction() as tx:
            tx.executemany(
                "INSERT INTO usage SELECT ?, ?, ?, ? WHERE EXISTS (SELECT 1 FROM accounts WHERE "
                "account_id = ?1) ON CONFLICT (account_id, period, kind) DO UPDATE SET "
                "count = count + excluded.count",
                [(account, period, kind, n) for (account, period, kind), n in counts.items()])

    def get(self, account_id: str, year: int, month: int) -> dict[str, int]:
        rows = self.db.read("SELECT kind, count FROM usage WHERE account_id = ? AND period = ?",
                            (account_id, f"{year:04d}-{month:02d}"))
        return {r["kind"]: r["count"] for r in rows}
