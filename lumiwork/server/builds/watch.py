"""JobWatch: requests that wait for a job's record to change, without a thread."""
from __future__ import annotations

import asyncio


class JobWatch:
    """Lets requests wait, on the event loop and without a thread, until some
    job's record changes (a stage starts, or the job ends).

    `notify` may be called from any thread. A waiter takes `current()` before it
    reads a record, so a change made after that read still wakes it."""

    def __init__(self) -> None:
        self._loop: asyncio.AbstractEventLoop | None = None
        self._changed = asyncio.Event()

    def current(self) -> asyncio.Event:
        """The event the next change sets (call it on the event loop)."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # an event serves one loop only (a new server loop, or a test's)
            self._loop, self._changed = loop, asyncio.Event()
        return self._changed

    def notify(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self._fire)
            except RuntimeError:  # the loop closed meanwhile: nobody is waiting
                pass

    def _fire(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()
