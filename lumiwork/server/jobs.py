"""Background recalculation: one worker builds models in turn, each in a child
process (builder.py), while the previous model of each project keeps answering
queries."""
from __future__ import annotations

import asyncio
import gc
import logging
import os
import queue
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path

from ..build_process import BuildOrder, reserve_megabytes
from ..engine import STAGES, Model, query, text
from ..engine import background as background_space
from ..engine.quantized import load_kernels
from .builder import BuildFailed, ProcessBuilder, failure_message
from .store import Store

__all__ = ["BackgroundProvider", "ModelCache", "Recalculator", "failure_message"]

log = logging.getLogger(__name__)


class BackgroundProvider:
    """The general-knowledge space for every build, loaded (or built and cached
    under the data folder) once; or the reason it cannot be had.

    Disabled with LUMIWORK_BACKGROUND=off (then projects use their own text only).
    """

    def __init__(self, data_dir: Path, enabled: bool | None = None):
        self.data_dir = Path(data_dir)
        self.enabled = (os.environ.get("LUMIWORK_BACKGROUND", "on").lower() not in ("off", "0", "false")
                        if enabled is None else enabled)
        self._background: background_space.Background | None = None
        self._problem: str | None = None if self.enabled else "turned off (LUMIWORK_BACKGROUND=off)"
        self._lock = threading.Lock()

    def get(self) -> background_space.Background | None:
        with self._lock:
            if self._background is None and self._problem is None:
                try:
                    self._background = background_space.load_or_build(self.data_dir)
                except background_space.BackgroundUnavailable as exc:
                    self._problem = str(exc)
                    log.warning("background knowledge unavailable: %s", exc)
                except Exception as exc:  # a damaged cache file: say so, keep serving
                    self._problem = f"could not be loaded ({type(exc).__name__})"
                    log.exception("background knowledge could not be loaded")
            return self._background

    def status(self) -> str:
        """One line for GET / and job logs."""
        with self._lock:
            background, problem = self._background, self._problem
        if background is not None:
            return (f"in use: {background.info.get('method', 'background space')}, "
                    f"{len(background.words):,} words (cache key {background.key})")
        if problem is not None:
            return f"unavailable, projects use their own text only: {problem}"
        return "loading (it starts with the server; recalculations wait for it)"


class ModelCache:
    """The current model of each project, loaded from its file on first use and
    kept for the `capacity` most recently used projects."""

    def __init__(self, store: Store, capacity: int = 8,
                 background: BackgroundProvider | None = None):
        self.store = store
        self.background = background
        self.capacity = capacity
        self._models: OrderedDict[str, tuple[str, Model]] = OrderedDict()
        # Models built but not yet recorded as current (see `stage`).
        self._staged: dict[str, tuple[str, Model]] = {}
        self._lock = threading.Lock()

    def get(self, project) -> Model | None:
        model_file = project["model_file"]
        if not model_file:
            return None
        project_id = project["project_id"]
        with self._lock:
            cached = self._models.get(project_id)
            if cached and cached[0] == model_file:
                self._models.move_to_end(project_id)
                return cached[1]
            staged = self._staged.get(project_id)
        if staged and staged[0] == model_file:
            self.put(project_id, model_file, staged[1])
            return staged[1]
        try:
            model = Model.load(self.store.models_dir / model_file)
        except FileNotFoundError:
            # A recalculation finished after `project` was read and removed this file:
            # the project's row now names the new one.
            fresh = self.store.project(project["account_id"], project_id)
            if fresh is None or fresh["model_file"] == model_file:
                raise
            return self.get(fresh)
        if model.background_key and self.background is not None:
            model.attach_background(self.background.get())
        self.put(project_id, model_file, model)
        return model

    def stage(self, project_id: str, model_file: str, model: Model) -> None:
        """Hold a just-built model before its job records it as current, so that
        the first query after the switch finds it here instead of loading the
        file again (that took 70 ms at 10,000 documents, 216 ms at 1M)."""
        model.memo(("prepared",), lambda: _prepare(model), keep=True)
        with self._lock:
            self._staged[project_id] = (model_file, model)

    def unstage(self, project_id: str) -> None:
        with self._lock:
            self._staged.pop(project_id, None)

    def put(self, project_id: str, model_file: str, model: Model) -> None:
        model.memo(("prepared",), lambda: _prepare(model), keep=True)
        with self._lock:
            if self._staged.get(project_id, ("",))[0] == model_file:
                del self._staged[project_id]
            self._models[project_id] = (model_file, model)
            self._models.move_to_end(project_id)
            while len(self._models) > self.capacity:
                self._models.popitem(last=False)
        # After the switch: a recalculation's job is already recorded as done,
        # and a query that comes before the search indexes are made waits for
        # the one it needs (see Model.memo). Term searches need only the first;
        # the second is made outside the GIL, so they go on meanwhile.
        query.term_search_index(model)
        query.doc_search_index(model)  # 80-95 ms at 100,000 documents, 0.9 s at 1M
        model.make_lookups()
        model.memo(("settled",), _settle, keep=True)

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, project_id: str) -> bool:
        return project_id in self._models

    def forget(self, project_id: str) -> None:
        with self._lock:
            self._models.pop(project_id, None)
            self._staged.pop(project_id, None)


def _prepare(model: Model) -> bool:
    """Work a model needs before its first query (call it once per model)."""
    # Builds run in another process, so the first query would load the language's
    # lemma dictionary and word frequencies here: 70-180 ms for one request.
    text.warm_up(model.language)
    text.remember_lemmas(model.word_forms, model.word_lemmas, model.language)
    return True


def warm_up_process() -> None:
    """Load the search code (importing numba takes ~0.3 s) and what reading
    English takes (the lemmatizer's dictionary and word frequencies: 0.1-0.15 s
    that the first recalculation's job otherwise spent before it was done),
    then settle what is loaded so far: the collection after each new model then
    walks only that model's objects (at 100,000 documents 2 ms instead of 90 ms,
    which held every query for as long, right after each recalculation)."""
    load_kernels()
    text.warm_up(text.LANGUAGE)
    _settle()


def _settle() -> bool:
    """Take a model's objects out of the garbage collector's way (once per model,
    once it answers; also once at start, see `warm_up_process`).

    A model holds hundreds of thousands of Python objects (ids, terms, their
    indexes) that live as long as it does; left to the collector, every full
    collection walks them all. Frozen, they are skipped: under 20 clients at
    100,000 documents p99 went from 127 to 77 ms (benchmarks/RESULTS.md).
    Frozen objects are still freed by reference counting when the model goes;
    collecting first keeps today's cyclic garbage out of the frozen set."""
    gc.collect()
    gc.freeze()
    return True


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


class Recalculator:
    """Runs recalculation jobs one at a time: a thread takes them in turn and
    each build runs in a child process (builder.py) while the previous model of
    the project keeps answering."""

    def __init__(self, store: Store, models: ModelCache, on_change: Callable[[], None] = lambda: None):
        self.store = store
        self.models = models
        self.on_change = on_change  # called after a job's record changes
        self.builder = ProcessBuilder()
        self._queue: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._work, name="lumiwork-recalculator", daemon=True)
        self._thread.start()

    def submit(self, project_id: str) -> int:
        job_id = self.store.start_job(project_id)
        self._queue.put((project_id, job_id))
        return job_id

    def prepare(self, project_id: str) -> None:
        """Get the next build's process ready for `project_id`, which has just
        received documents (see ProcessBuilder.prepare)."""
        self.builder.prepare(reserve_megabytes(self.store.document_count(project_id)))

    def stop(self, timeout: float = 15) -> None:
        """Stop the running build (its job is recorded as interrupted) and wait
        up to `timeout` s for the worker thread to end."""
        self._queue.put(None)
        self.builder.terminate()
        self._thread.join(timeout)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            self.run(*item)

    def run(self, project_id: str, job_id: int) -> None:
        """Build in a child process, load the model file it wrote, then switch the
        project to it atomically."""
        model_file = f"{project_id}-{job_id}.npz"
        model_path = self.store.models_dir / model_file
        provider = self.models.background
        # Loaded here too: the new model answers with it, and the child finds it cached.
        background = provider.get() if provider else None
        status = provider.status() if provider else "not configured"
        language = self.store.project_language(project_id)
        if language != "en" and background is not None:
            status = "not used: it knows English only, and this project's language is " + language
        order = BuildOrder(db_path=str(self.store.db_path), project_id=project_id, language=language,
                           model_path=str(model_path),
                           background_dir=(str(provider.data_dir) if provider and background is not None
                                           and language == "en" else None),
                           environment=BuildOrder.settings())

        def progress(stage: str) -> None:
            try:
                self.store.set_job_stage(project_id, job_id, stage, STAGES.index(stage) + 1, len(STAGES))
            except Exception:  # bookkeeping (e.g. a full disk) never fails the build
                log.warning("could not record stage %s of job %s of %s", stage, job_id, project_id)
            self.on_change()

        try:
            report = self.builder.build(order, progress)
            model = Model.load(model_path)
            model.attach_background(background)
            self.models.stage(project_id, model_file, model)
        except Exception as exc:  # any failure must end the job, never the worker
            if isinstance(exc, BuildFailed):
                log.warning("recalculation %s of %s failed: %s", job_id, project_id, exc)
            else:
                log.exception("recalculation %s of %s failed", job_id, project_id)
            self.models.unstage(project_id)
            model_path.with_suffix(".tmp.npz").unlink(missing_ok=True)
            model_path.unlink(missing_ok=True)
            self._finish_failed(project_id, job_id,
                                str(exc) if isinstance(exc, BuildFailed) else failure_message(exc))
            return
        log.info("recalculation %s of %s built in %.1f s by process %s at nice %s",
                 job_id, project_id, report.seconds, report.pid, report.niceness)
        try:
            self.store.finish_job(project_id, job_id, success=True, model_file=model_file,
                                  message=f"background knowledge {status}")
        except Exception as exc:
            log.exception("recording recalculation %s of %s failed", job_id, project_id)
            self.models.unstage(project_id)
            model_path.unlink(missing_ok=True)
            self._finish_failed(project_id, job_id, failure_message(exc))
            return
        self.on_change()
        self.models.put(project_id, model_file, model)
        self._remove_old_models(project_id, keep=model_file)

    def _finish_failed(self, project_id: str, job_id: int, message: str) -> None:
        try:
            self.store.finish_job(project_id, job_id, success=False, message=message)
        except Exception:  # a full disk: the job is marked failed at the next start
            log.exception("could not record the failure of job %s of %s", job_id, project_id)
        self.on_change()

    def _remove_old_models(self, project_id: str, keep: str) -> None:
        for path in Path(self.store.models_dir).glob(f"{project_id}-*.npz"):
            if path.name != keep:
                path.unlink(missing_ok=True)
