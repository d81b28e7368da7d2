"""Builds run in a child process at low CPU priority, one at a time.

A build holds the GIL for long stretches of Python and numpy; on a server
thread it made every query wait behind it (CHANGELOG.md). In a child
process at nice 10 (and SCHED_BATCH where Linux has it) the kernel gives
queries the CPU first and the build gets what they leave.

The child (child.py) reads the documents itself, through the repositories on a
read-only connection, loads the background space from its cache, builds,
writes the model file (atomically, Model.save) and reports its stages and its
outcome over a socket. The parent then loads the file: see queue.py.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

from ..db import StorageFull
from . import child as build_process
from .child import BuildOrder, Reserve

log = logging.getLogger(__name__)

# A fresh interpreter, not fork: the server has threads (uvicorn's, the thread
# pool's), and a forked child would inherit their locks in whatever state. Nor
# multiprocessing's "spawn": it re-imports the parent's main script, and a
# script or notebook that starts the embedded server without an
# `if __name__ == "__main__"` guard would run again in the child.
CHILD_COMMAND = "from lumiwork.server.builds.child import child_entry; child_entry()"


@dataclass(frozen=True)
class BuildReport:
    """How a finished build ran: the child's pid and niceness, for logs and tests."""

    pid: int
    niceness: int
    seconds: float


STOPPED = "interrupted: the server stopped during this job"


def timeout_message(seconds: float) -> str:
    return (f"the recalculation took longer than {seconds:g} s (LUMIWORK_BUILD_TIMEOUT) and was stopped; "
            "the previous model keeps answering")


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


@dataclass
class Child:
    """A build process and the server's end of its connection."""

    process: subprocess.Popen
    connection: Connection
    reserved_megabytes: int = 0  # memory the waiting process was asked to have ready

    def alive(self) -> bool:
        return self.process.poll() is None


class ProcessBuilder:
    """Runs one build at a time in a child process; `terminate` stops it.

    `prepare` starts the next build's child ahead of time (the server calls it
    when documents arrive, as a recalculation usually follows); it waits, its
    imports done and the memory the build will use touched, for the order: that
    comes off the recalculation (CHANGELOG.md). A waiting spare holds
    its interpreter plus that memory (child.RESERVE_BYTES_PER_DOCUMENT per
    document, at most RESERVE_MAX_MEGABYTES, given back after
    RESERVE_IDLE_SECONDS). Each child builds once and exits, so no build
    inherits another's memory.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._idle = threading.Event()
        self._idle.set()
        self._stopping = False
        self._spare: Child | None = None
        self.last_report: BuildReport | None = None

    @property
    def current_pid(self) -> int | None:
        """The running build's process id (None when no build runs)."""
        with self._lock:
            return self._process.pid if self._process is not None else None

    @property
    def spare_pid(self) -> int | None:
        """The waiting spare's process id, if there is one."""
        with self._lock:
            return self._spare.process.pid if self._spare is not None else None

    def build(self, order: BuildOrder, progress: Callable[[str], None], timeout: float) -> BuildReport:
        """Run `order` in a child; call `progress` with each stage; raise BuildFailed
        with the user's message unless the model file was written within
        `timeout` seconds."""
        with self._lock:
            if self._stopping:
                raise BuildFailed(STOPPED)
            spare, self._spare = self._spare, None
            self._idle.clear()
            try:
                child = _running_or_new(spare)
            except BaseException:
                self._idle.set()
                raise
            self._process = child.process
        process, connection = child.process, child.connection
        outcome: tuple | None = None
        deadline = time.monotonic() + timeout
        try:
            connection.send(order)
            while outcome is None:
                if not connection.poll(max(0.0, deadline - time.monotonic())):
                    process.kill()
                    outcome = ("failed", timeout_message(timeout))
                    break
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

    def prepare(self, reserve_megabytes: int = 0) -> None:
        """Have the next build's process started and waiting, if it is not yet,
        with `reserve_megabytes` of memory ready (see build_process.MemoryReserve)."""
        with self._lock:
            if self._stopping:
                return
            try:
                self._spare = _running_or_new(self._spare)
            except OSError:  # no processes or memory to spare: the next build starts its own
                self._spare = None
                log.warning("could not start a spare build process", exc_info=True)
                return
            if reserve_megabytes > self._spare.reserved_megabytes:
                try:
                    self._spare.connection.send(Reserve(reserve_megabytes))
                except OSError:  # it just died: the next build starts its own
                    return
                self._spare.reserved_megabytes = reserve_megabytes

    def terminate(self, timeout: float = 10) -> None:
        """Refuse new builds, end the spare and stop the running build (the server
        is stopping): SIGTERM, then SIGKILL if it has not ended within `timeout` seconds."""
        with self._lock:
            self._stopping = True
            spare, self._spare = self._spare, None
        if spare is not None:
            spare.connection.close()  # its end reads EOF and returns
            try:
                spare.process.wait(timeout)
            except subprocess.TimeoutExpired:
                spare.process.kill()
                spare.process.wait()
        for kill in (False, True):
            with self._lock:
                if self._process is None:
                    return
                # Popen signals no process it has already reaped.
                self._process.kill() if kill else self._process.terminate()
            if self._idle.wait(timeout):
                return


def _running_or_new(child: Child | None) -> Child:
    """`child` if its process still runs, else a new one (a dead one's
    connection is closed first)."""
    if child is not None and child.alive():
        return child
    if child is not None:
        child.connection.close()
    return start_child()


def start_child() -> Child:
    """A fresh interpreter running `child_entry`, connected to this process by a
    socket pair and importing this same lumiwork (the one whose folder is put
    first on its path)."""
    ours, theirs = socket.socketpair()
    root = Path(__file__).resolve().parents[3]
    # From a checkout, its folder goes first; an installed lumiwork is found as
    # usual (its site-packages first on the path would shadow the standard library).
    first = str(root) if (root / "pyproject.toml").is_file() else None
    path = os.pathsep.join(p for p in (first, os.environ.get("PYTHONPATH")) if p)
    try:
        process = subprocess.Popen(
            [sys.executable, "-c", CHILD_COMMAND, str(theirs.fileno()), str(os.getpid())],
            pass_fds=(theirs.fileno(),), stdin=subprocess.DEVNULL, env={**os.environ, "PYTHONPATH": path})
    except BaseException:
        ours.close()
        raise
    finally:
        theirs.close()  # the child holds the only other end: its exit is our EOF
    return Child(process, Connection(ours.detach()))
