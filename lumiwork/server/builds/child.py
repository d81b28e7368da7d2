"""The build's own process: builds one semantic space (an API v4 project's, or
a Compass project's) at low CPU priority and reports to the server over a
connection (see parent.py, which starts it).

It imports the engine and the database layer, and nothing of the web stack: a
fresh interpreter pays for every import before the build starts. The engine
is imported only once the priority is lowered, so the imports, and the
threads numpy's BLAS starts, run at the build's priority too. It reads the
documents itself, through the same repositories as the server, on a
read-only connection: it never takes the server's write lock.
"""
from __future__ import annotations

import ctypes
import errno
import logging
import os
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path

log = logging.getLogger(__name__)

#: How much lower than the server the build runs (nice(1): 0 is normal, 19 is lowest).
BUILD_NICENESS = 10
DISK_FULL = "the server's disk is full; the previous model keeps answering"
FAILED = "the recalculation failed on the server (see its log); the previous model keeps answering"


#: What a build reads: an API v4 project's documents, or a Compass project's
#: documents and messages (at most `texts` of them).
PROJECT, COMPASS = "project", "compass"


@dataclass(frozen=True)
class BuildOrder:
    """What the child needs, all plain values (it is pickled)."""

    db_path: str
    project_id: str
    language: str
    model_path: str
    # The folder of the background cache to use, or None to build from the
    # project's own text only (background turned off or unavailable).
    background_dir: str | None
    wordnet_dir: str = "/usr/share/wordnet"
    kind: str = PROJECT
    texts: int = 0  # a Compass space: at most this many texts
    # How the counting stage runs (lumiwork.settings: counting, dask_scheduler).
    counting: str = "local"
    dask_scheduler: str = "local"


def failure_message(exc: BaseException) -> str:
    """What a failed build tells the user: the engine's own explanation, or a
    plain sentence; never a server path or a traceback."""
    from ...engine import BuildError

    if isinstance(exc, BuildError):
        return str(exc)
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return DISK_FULL
    return FAILED


def read_documents(order: BuildOrder) -> list[dict]:
    """The documents a build order names, as the build needs them (``_id``,
    ``text``, ``subsets``), through the server's repositories on a read-only
    connection of this process."""
    from ..db.compass_documents import CompassDocumentRepository
    from ..db.compass_messages import MessageRepository
    from ..db.database import Database
    from ..db.documents import DocumentRepository
    from ..db.projects import ProjectRepository

    db = Database(Path(order.db_path), read_only=True)
    try:
        if order.kind == PROJECT:
            return DocumentRepository(db, ProjectRepository(db)).for_build(order.project_id)
        texts = compass_texts(CompassDocumentRepository(db), MessageRepository(db, None, None),  # type: ignore[arg-type]
                              order.project_id, order.texts)
        return [{"_id": str(i), "text": text} for i, text in enumerate(texts)]
    finally:
        db.close()


def compass_texts(documents, messages, project_id: str, limit: int) -> list[str]:
    """The texts a Compass project's space is built from, at most `limit`: its
    documents; a project without any, its newest messages. Not both: a space that
    took in the messages stored when it happened to be built would place the
    same messages differently from one run to the next (words the documents
    never use still have vectors, from general knowledge)."""
    texts = documents.texts(project_id, limit) or messages.texts(project_id, limit)
    return [text for text in texts if text.strip()]


@dataclass(frozen=True)
class Reserve:
    """Sent to a waiting build process: have this much memory ready for the build."""

    megabytes: int


# How much memory to have ready for a build of N documents, and at most: a build's
# peak at 100,000 documents was 0.7 GB, at 1M 3.0 GB.
RESERVE_BYTES_PER_DOCUMENT = 6_400
RESERVE_MAX_MEGABYTES = 2_000
# Below this there is too little to gain.
RESERVE_MIN_MEGABYTES = 64
# A reserve nobody has used for this long goes back to the system.
RESERVE_IDLE_SECONDS = 600
_BLOCK_MEGABYTES = 16  # below glibc's largest mmap threshold: such blocks come from the heap
_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt(3)


def reserve_megabytes(documents: int) -> int:
    """The reserve for a project of `documents` documents (0: none)."""
    megabytes = min(documents * RESERVE_BYTES_PER_DOCUMENT >> 20, RESERVE_MAX_MEGABYTES)
    return megabytes if megabytes >= RESERVE_MIN_MEGABYTES else 0


class MemoryReserve:
    """Heap memory touched in advance, which the build then reuses instead of
    faulting in fresh pages (glibc only; elsewhere it does nothing).

    A fresh process takes every page it allocates from the kernel, zeroed, and
    those page faults are a noticeable part of a build's time. Touched while the
    process waits, the pages are there when the build starts, and it finishes
    sooner (CHANGELOG.md). glibc keeps freed heap
    memory when told to (M_TRIM_THRESHOLD) and serves blocks below
    M_MMAP_THRESHOLD (at most 32 MB) from the heap, so the build's many
    sub-32 MB arrays land on pages already there.
    """

    def __init__(self) -> None:
        self.megabytes = 0
        self._libc = _glibc()
        if self._libc is not None:
            self._libc.mallopt(_M_MMAP_THRESHOLD, 32 << 20)
            # (an int: the largest one, so a freed reserve of up to 2 GB stays)
            self._libc.mallopt(_M_TRIM_THRESHOLD, 2 ** 31 - 1)

    def grow(self, megabytes: int, interrupted: Callable[[], bool] = lambda: False) -> None:
        """Touch heap memory until `megabytes` have been, then free it to the heap.
        Stops early once `interrupted()` (checked every block): a build order
        must not wait for its own reserve."""
        if self._libc is None or megabytes <= self.megabytes:
            return
        import numpy as np

        blocks: list[np.ndarray] = []
        while len(blocks) * _BLOCK_MEGABYTES < megabytes and not interrupted():
            blocks.append(np.ones((_BLOCK_MEGABYTES << 20) // 8))
        self.megabytes = max(self.megabytes, len(blocks) * _BLOCK_MEGABYTES)
        del blocks

    def release(self) -> None:
        """Give the reserve back to the system (the process waited too long)."""
        if self._libc is not None and self.megabytes:
            self._libc.malloc_trim(0)
            self.megabytes = 0


def _glibc():
    """glibc, if this process uses it (Linux, not musl)."""
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def wait_for_order(connection: Connection) -> BuildOrder | None:
    """The build order, growing the memory reserve as Reserve messages ask; None
    if the server closed the connection (it stopped, or wants no spare)."""
    reserve = MemoryReserve()
    try:
        while True:
            if not connection.poll(RESERVE_IDLE_SECONDS):
                reserve.release()
                continue
            message = connection.recv()
            if isinstance(message, Reserve):
                reserve.grow(message.megabytes, interrupted=lambda: connection.poll(0))
            else:
                return message
    except (EOFError, OSError):
        return None


def child_entry() -> None:
    """`python -c "...; child_entry()" <fd> <server pid>`: get ready, then wait
    for one order on the connection and build it.

    The server starts this process before it is needed (a spare, see
    ProcessBuilder.prepare in parent.py), so the interpreter's start, the
    engine's imports and the English word lists are paid while it waits, not
    while a user waits for a recalculation; so is touching the
    memory the build will use (see MemoryReserve).
    """
    lower_priority(BUILD_NICENESS)  # first: the imports below take a lot of CPU
    die_with_parent(int(sys.argv[2]))
    warm_up()
    connection = Connection(int(sys.argv[1]))
    order = wait_for_order(connection)
    if order is None:
        return
    started = time.perf_counter()
    build(order, connection, started)
    connection.close()
    # Reported: skip the interpreter's teardown, which frees the build's
    # objects one by one while the server waits to reap this process before it
    # records the job as done.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def warm_up() -> None:
    """Import the engine (its package imports every stage) and load what every
    English build reads first."""
    from ...engine import text

    text.warm_up("en")


def build(order: BuildOrder, pipe: Connection, started: float) -> None:
    """Build, write the model file, report ("done", (pid, niceness, seconds)) or
    ("failed", message); stages are reported as ("stage", name) as they start."""
    from ...engine import background as background_space
    from ...engine import build_model

    model_path = Path(order.model_path)
    try:
        background = (background_space.load_or_build(Path(order.background_dir), language=order.language,
                                                     wordnet_dir=Path(order.wordnet_dir))
                      if order.background_dir is not None else None)
        documents = read_documents(order)
        model = build_model(documents, progress=lambda stage: pipe.send(("stage", stage)),
                            background=background, language=order.language, counting=order.counting,
                            dask_scheduler=order.dask_scheduler)
        model.save(model_path)
    except Exception as exc:  # reported as the job's message; the details go to the server's log
        log.exception("recalculation of %s failed", order.project_id)
        model_path.with_suffix(".tmp.npz").unlink(missing_ok=True)
        pipe.send(("failed", failure_message(exc)))
        return
    finally:
        if "lumiwork.engine.dask_counting" in sys.modules:  # a LocalCluster of this build's own
            sys.modules["lumiwork.engine.dask_counting"].close_shared_clients()
    pipe.send(("done", (os.getpid(), os.getpriority(os.PRIO_PROCESS, 0),
                        time.perf_counter() - started)))


def lower_priority(niceness: int) -> None:
    """Nice `niceness` and SCHED_BATCH for every thread of this process.

    On Linux both are per thread: threads started later (numpy's BLAS starts
    its own when imported) inherit them from the thread that starts them, and
    any already running are set by their thread ids.
    """
    try:
        threads = [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:
        threads = [0]
    for tid in threads:
        try:
            os.setpriority(os.PRIO_PROCESS, tid, max(niceness, os.getpriority(os.PRIO_PROCESS, tid)))
        except (OSError, AttributeError):  # not permitted, or not a Unix
            pass
        if hasattr(os, "SCHED_BATCH"):
            try:
                os.sched_setscheduler(tid, os.SCHED_BATCH, os.sched_param(0))
            except OSError:
                pass


def die_with_parent(parent_pid: int) -> None:
    """End this process soon after the server dies (SIGKILL, OOM), so an orphaned
    build neither burns CPU nor writes a model file no server will record."""
    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="lumiwork-build-watchdog", daemon=True).start()
