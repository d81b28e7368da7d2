"""One server per data folder: a lock file the running server holds.

Two servers on one folder would each clean up the other's unfinished model
files and race on their caches; the second one to start says so in one line
instead. The lock is the operating system's (flock), so a server that dies,
even by SIGKILL, releases it at once.
"""
from __future__ import annotations

import fcntl
import os
from pathlib import Path

from .database import DataDirError
from .paths import prepare_private_dir

LOCK_NAME = "server.lock"


class DataDirBusy(DataDirError):
    """Another server uses the data folder."""


class DataDirLock:
    """Held while a server uses `data_dir`; `release()` (or exit) lets it go."""

    def __init__(self, data_dir: Path):
        self._fd: int | None = None
        prepare_private_dir(Path(data_dir))
        self.path = Path(data_dir) / LOCK_NAME
        self._fd = os.open(self.path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(self._fd, 200, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(self._fd)
            self._fd = None
            raise DataDirBusy(f"the data folder {data_dir} is in use by another lumiwork server ({holder}): "
                              "stop it, or give this one another --data-dir (or LUMIWORK_DATA_DIR)") from None
        self.note("")

    def note(self, address: str) -> None:
        """Say in the lock file who holds it (shown to a second server)."""
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            os.pwrite(self._fd, f"pid {os.getpid()}{', ' + address if address else ''}".encode(), 0)

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        self.release()
