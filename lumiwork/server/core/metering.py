"""Bookkeeping and pacing shared by every API: call counts per account
(`Meter`) and how many authenticated reads run at once (`ReadLimiter`)."""
from __future__ import annotations

import logging
import os
import threading
import time
from typing import TYPE_CHECKING

import anyio

if TYPE_CHECKING:
    from ..db import Store

log = logging.getLogger(__name__)


# ---- concurrency ------------------------------------------------------------------------

#: Authenticated reads (searches, statistics, lists) running at once; more wait their turn.
READ_THREADS = max(2, os.cpu_count() or 2)


class ReadLimiter:
    """How many authenticated GETs run at once: READ_THREADS, where everything
    else shares Starlette's pool of 40 threads.

    The reads are CPU-bound, and with 20 of them sharing the GIL the event loop
    and every request waited on each other. Limited to READ_THREADS at a time,
    they serve more requests a second and the slowest answers come sooner
    (CHANGELOG.md), since a request now waits in line instead of being sliced
    against 19 others. Writes and public endpoints (ping/) stay outside, so a
    long upload neither takes a turn nor waits for one. The cost: as many long
    reads at once as there are turns (whole-project document downloads) hold
    the other reads until one ends.
    """

    def __init__(self, threads: int = READ_THREADS):
        self.threads = threads
        self._limiter: anyio.CapacityLimiter | None = None

    def __call__(self) -> anyio.CapacityLimiter:
        # Made on first use: a CapacityLimiter belongs to the running event loop.
        if self._limiter is None:
            self._limiter = anyio.CapacityLimiter(self.threads)
        return self._limiter


# ---- metering ---------------------------------------------------------------------------

class Meter:
    """Call counts per account and month, kept in memory and written in batches.

    Bookkeeping must never fail a request: a write that fails (a full disk)
    keeps the counts for the next flush and is only logged.
    """

    def __init__(self, store: Store):

        self.store = store
        self._pending: dict[tuple[str, str, str], int] = {}
        self._lock = threading.Lock()

    def record(self, account_id: str, kind: str) -> None:
        period = time.strftime("%Y-%m", time.gmtime())
        kinds = (kind,) if kind == "failed" else (kind, "billable")
        keys = [(account_id, period, name) for name in kinds]
        with self._lock:
            counted_before = all(key in self._pending for key in keys)
        # `account_id` is whatever the request's path names. The store drops the counts
        # of accounts that do not exist when it flushes, but while flushes fail (a full
        # disk) made-up names would pile up here without end: only real accounts are
        # counted (one look-up per account and flush).
        if not counted_before and not self._account_exists(account_id):
            return
        with self._lock:
            for key in keys:
                self._pending[key] = self._pending.get(key, 0) + 1

    def _account_exists(self, account_id: str) -> bool:
        try:
            return self.store.accounts.get(account_id) is not None
        except Exception:  # bookkeeping must never fail the request it counts
            log.warning("could not check account %r for usage counting", account_id[:100], exc_info=True)
            return False

    def pending(self, account_id: str, period: str) -> dict[str, int]:
        with self._lock:
            return {kind: n for (account, month, kind), n in self._pending.items()
                    if account == account_id and month == period}

    def flush(self) -> None:
        with self._lock:
            counts, self._pending = self._pending, {}
        if not counts:
            return
        try:
            self.store.usage.add(counts)
        except Exception:
            log.warning("could not record usage counts; keeping them for later", exc_info=True)
            with self._lock:
                for key, n in counts.items():
                    self._pending[key] = self._pending.get(key, 0) + n
