"""Recalculation builds in a child process at low CPU priority.

A build holds the GIL for long stretches of Python and numpy; on a server
thread it made every query wait (20 clients, 2 cores, 100,000 documents: p99
0.6 s and up to 1 s during a recalculation, with one BLAS thread). In a child
process at nice 10 (and SCHED_BATCH where Linux has it) the kernel gives
queries the CPU first and the build gets what they leave: p99 0.19 s, max
0.27 s, while the build takes about 40 s instead of 8.

The child reads the project's documents itself (read-only SQLite), loads the
background space from its cache, builds, writes the model file (atomically,
Model.save) and reports its stages and its outcome over a socket. The parent
then loads the file: see `Recalculator.run` in jobs.py.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from .. import build_process
from ..build_process import BuildOrder
from .store import StorageFull

log = logging.getLogger(__name__)

# A fresh interpreter, not fork: the server has threads (uvicorn's, the thread
# pool's), and a forked child would inherit their locks in whatever state. Nor
# multiprocessing's "spawn": it re-imports the parent's main script, and a
# script or notebook that starts the embedded server without an
# `if __name__ == "__main__"` guard would run again in the child.
CHILD_COMMAND = "from lumiwork.build_process import child_entry; child_entry()"


@dataclass(frozen=True)
class BuildReport:
    """How a finished build ran: the child's pid and niceness, for logs and tests."""

    pid: int
    niceness: int
    seconds: float


STOPPED = "interrupted: the server stopped during this job"


class BuildFailed(Exception):
    """A build did not produce a model; the message is for the user (no paths)."""


def failure_message(exc: BaseException) -> str:
    """What a failed job tells the user: the engine's own explanation, or a
    plain sentence; never a server path or a traceback."""
    if isinstance(exc, StorageFull):
        return build_process.DISK_FULL
    return build_process.failure_message(exc)


def died_message(exitcode: int | None) -> str:
    """The job's message when the child ended without reporting (killed, out of memory)."""
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        how = f"was killed ({name}{', perhaps for lack of memory' if name == 'SIGKILL' else ''})"
    else:
        how = f"ended unexpectedly (exit code {exitcode})"
    return f"the recalculation's process {how}; the previous model keeps answering"


class ProcessBuilder:
    """Runs one build at a time in a child process; `terminate` stops it."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._stopping = False
        self.last_report: BuildReport | None = None

    @property
    def current_pid(self) -> int | None:
        """The running build's process id (None when no build runs)."""
        with self._lock:
            return self._process.pid if self._process is not None else None

    def build(self, order: BuildOrder, progress: Callable[[str], None]) -> BuildReport:
        """Run `order` in a child; call `progress` with each stage; raise BuildFailed
        with the user's message unless the model file was written."""
        ours, theirs = socket.socketpair()
        with self._lock:
            if self._stopping:
                ours.close()
                theirs.close()
                raise BuildFailed(STOPPED)
            self._idle.clear()
            try:
                process = start_child(theirs.fileno())
            except BaseException:
                self._idle.set()
                ours.close()
                raise
            finally:
                theirs.close()  # the child holds the only other end: its exit is our EOF
            self._process = process
        connection = Connection(ours.detach())
        outcome: tuple | None = None
        try:
            connection.send((order, os.getpid()))
            while outcome is None:
                message = connection.recv()
                if message[0] == "stage":
                    progress(message[1])
                else:
                    outcome = message
        except (EOFError, OSError):  # the child died
            pass
        finally:
            connection.close()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # reported, but hangs on its way out
                process.kill()
                process.wait()
            with self._lock:
                self._process = None
                stopping = self._stopping
            self._idle.set()
        if outcome is None:
            raise BuildFailed(STOPPED if stopping else died_message(process.returncode))
        if outcome[0] == "failed":
            raise BuildFailed(outcome[1])
        report = BuildReport(*outcome[1])
        self.last_report = report
        return report

    def terminate(self, timeout: float = 10) -> None:
        """Refuse new builds and stop the running one (the server is stopping):
        SIGTERM, then SIGKILL if it has not ended within `timeout` seconds."""
        for kill in (False, True):
            with self._lock:
                self._stopping = True
                if self._process is None:
                    return
                # Popen signals no process it has already reaped.
                self._process.kill() if kill else self._process.terminate()
            if self._idle.wait(timeout):
                return


def start_child(fd: int) -> subprocess.Popen:
    """A fresh interpreter running `child_entry` on the connection `fd`, importing
    this same lumiwork (the one whose folder is put first on its path)."""
    root = Path(__file__).resolve().parents[2]
    # From a checkout, its folder goes first; an installed lumiwork is found as
    # usual (its site-packages first on the path would shadow the standard library).
    first = str(root) if (root / "pyproject.toml").is_file() else None
    path = os.pathsep.join(p for p in (first, os.environ.get("PYTHONPATH")) if p)
    return subprocess.Popen([sys.executable, "-c", CHILD_COMMAND, str(fd)], pass_fds=(fd,),
                            stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": path})
