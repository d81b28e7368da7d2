"""Recalculation bookkeeping: failure messages and the model cache."""
import asyncio
import errno
import threading

import pytest

from lumiwork.engine import BuildError, build_model
from lumiwork.server.builds.parent import failure_message
from lumiwork.server.builds.watch import JobWatch
from lumiwork.server.db import StorageFull, Store
from lumiwork.server.models.cache import ModelCache


@pytest.mark.parametrize("exc", [
    OSError(errno.ENOSPC, "No space left on device", "/srv/secret/models/x.tmp.npz"),
    StorageFull("database or disk is full"),
    RuntimeError("boom in /home/someone/lumiwork/engine/space.py"),
    KeyError("/var/lib/lumiwork"),
])
def test_failure_messages_name_no_server_path(exc):
    message = failure_message(exc)
    assert "/" not in message and message


def test_build_errors_keep_their_explanation():
    assert failure_message(BuildError("no document contains any words")) == \
        "no document contains any words"


def test_model_cache_keeps_the_most_recently_used(tmp_path):
    store = Store(tmp_path / "data")
    model = build_model([{"_id": "a", "text": "river water boat"}, {"_id": "b", "text": "boat river"}],
                        dimensions=2)
    cache = ModelCache(store.models_dir, capacity=2)
    for project in ("p1", "p2", "p3"):
        cache.put(project, f"{project}-1.npz", model)
    assert len(cache) == 2
    cache.put("p2", "p2-1.npz", model)  # p2 is now the most recent; p3 is older
    cache.put("p4", "p4-1.npz", model)
    assert [p in cache for p in ("p1", "p2", "p3", "p4")] == [False, True, False, True]
    store.close()


def test_a_staged_model_answers_once_its_file_is_current_and_not_before(tmp_path):
    store = Store(tmp_path / "data")
    docs = [{"_id": "a", "text": "river water boat"}, {"_id": "b", "text": "boat river"}]
    old, new = build_model(docs, dimensions=2), build_model(docs, dimensions=2)
    cache = ModelCache(store.models_dir)
    cache.put("p", "p-1.npz", old)
    cache.stage("p", "p-2.npz", new)
    assert cache.get("p", "p-1.npz") is old  # the job has not switched the project yet
    # no p-2.npz on disk: the staged model is served without loading a file
    assert cache.get("p", "p-2.npz") is new
    assert cache.get("p", "p-2.npz") is new
    cache.stage("p", "p-3.npz", old)
    cache.unstage("p")
    with pytest.raises(FileNotFoundError):  # unstaged: only the (missing) file is left
        cache.get("p", "p-3.npz")
    store.close()


def test_the_memory_reserve_follows_the_project_size():
    from lumiwork.server.builds.child import RESERVE_MAX_MEGABYTES, reserve_megabytes

    assert reserve_megabytes(0) == reserve_megabytes(5_000) == 0  # too little to gain
    assert 550 <= reserve_megabytes(100_000) <= 650
    assert reserve_megabytes(10_000_000) == RESERVE_MAX_MEGABYTES


def test_a_memory_reserve_is_touched_then_given_back():
    """In a process of its own: the reserve changes how that process's malloc works."""
    import subprocess
    import sys

    script = (
        "import psutil, sys\n"
        "from lumiwork.server.builds.child import MemoryReserve\n"
        "me = psutil.Process(); before = me.memory_info().rss\n"
        "reserve = MemoryReserve()\n"
        "if reserve._libc is None: sys.exit(3)\n"
        "reserve.grow(256); grown = me.memory_info().rss\n"
        "reserve.release(); released = me.memory_info().rss\n"
        "asked = iter([False] * 3 + [True])\n"  # a build order arrives after 3 blocks
        "reserve.grow(1024, interrupted=lambda: next(asked))\n"
        "print(before >> 20, grown >> 20, released >> 20, reserve.megabytes)\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    if done.returncode == 3:
        pytest.skip("not glibc: the reserve does nothing here")
    assert done.returncode == 0, done.stderr
    before, grown, released, interrupted = map(int, done.stdout.split())
    assert grown - before >= 230  # touched, and kept after the blocks were freed
    assert grown - released >= 200  # given back
    assert interrupted == 48  # three 16 MB blocks, then the order came first


def test_a_job_watch_wakes_its_waiters_from_another_thread_on_any_loop():
    watch = JobWatch()

    async def wait(seconds, change_after=None):
        changed = watch.current()
        if change_after is not None:
            threading.Timer(change_after, watch.notify).start()
        try:
            await asyncio.wait_for(changed.wait(), seconds)
        except TimeoutError:
            return "no change"
        return "changed" if watch.current() is not changed else "stale event"

    # each asyncio.run is a new event loop, as a restarted server's or a test's;
    # the first waits in vain, so its event is left bound to a loop that is gone
    assert asyncio.run(wait(0.05)) == "no change"
    assert asyncio.run(wait(10, change_after=0.05)) == "changed"
    assert asyncio.run(wait(10, change_after=0.05)) == "changed"
    watch.notify()  # its loop is closed: nothing to wake, and no error
