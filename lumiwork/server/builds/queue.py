"""One build lifecycle for every API: a queue, a worker thread that runs its
tasks in turn, and `build_space`, which builds a semantic space in a child
process (parent.py) and loads the model file it wrote.

API v4 recalculations (recalculation.py) and Compass's space builds,
classifier builds and clusterings (compass/work.py) are all tasks of this one
queue, so no request thread ever builds a model, and builds never compete with
each other for the CPU the queries need.
"""
from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ...engine import Model
from ..db import Store
from ..models.background import BackgroundProvider
from .child import PROJECT, BuildOrder, reserve_megabytes
from .parent import BuildFailed, BuildReport, ProcessBuilder, failure_message

log = logging.getLogger(__name__)

Task = Callable[[], None]


@dataclass(frozen=True)
class BuildSettings:
    """What every build is given (from lumiwork.settings)."""

    timeout: float = 3600.0
    counting: str = "local"
    dask_scheduler: str = "local"


@dataclass
class Built:
    """A space just built: its model, how the build ran, and which background knowledge it used."""

    model: Model
    report: BuildReport
    background_status: str


class BuildQueue:
    """Runs tasks one at a time on one worker thread; builds in child processes."""

    def __init__(self, store: Store, background: BackgroundProvider | None,
                 settings: BuildSettings = BuildSettings()):
        self.store = store
        self.background = background
        self.settings = settings
        self.builder = ProcessBuilder()
        self._queue: queue.Queue[tuple[str, Task] | None] = queue.Queue()
        self._thread: threading.Thread | None = None

    # ---- the worker ----------------------------------------------------------------------------
    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._work, name="lumiwork-builds", daemon=True)
            self._thread.start()

    def submit(self, label: str, task: Task) -> None:
        """Run `task` after the tasks before it; a failure is logged (a task
        records its own outcome), never the end of the worker."""
        self._queue.put((label, task))

    def wait_idle(self, timeout: float = 60) -> bool:
        """Block until every task submitted so far has run (tests, notebooks)."""
        done = threading.Event()
        self.submit("mark", done.set)
        return done.wait(timeout)

    def stop(self, timeout: float = 15) -> None:
        """Stop the running build (its job is recorded as interrupted) and wait
        up to `timeout` s for the worker thread to end."""
        self._queue.put(None)
        self.builder.terminate()
        if self._thread is not None:
            self._thread.join(timeout)

    def _work(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            label, task = item
            try:
                task()
            except Exception:
                log.exception("build task %s failed", label)

    # ---- building --------------------------------------------------------------------------------
    def prepare(self, documents: int) -> None:
        """Get the next build's process ready (see ProcessBuilder.prepare): a
        project of `documents` documents has just received some."""
        self.builder.prepare(reserve_megabytes(documents))

    def build_space(self, project_id: str, language: str, model_file: str, kind: str = PROJECT,
                    texts: int = 0, progress: Callable[[str], None] = lambda stage: None) -> Built:
        """Build a space in a child process into `model_file` (under the models
        folder) and load it. On failure no file is left and BuildFailed says
        why, in words for the user. Call it from a task, on the worker."""
        model_path = self.store.models_dir / model_file
        provider = self.background
        # Loaded here too: the new model answers with it, and the child finds it cached.
        background = provider.get(language) if provider else None
        status = provider.status(language) if provider else "not configured"
        use_background = provider is not None and background is not None
        order = BuildOrder(db_path=str(self.store.db_path), project_id=project_id, language=language,
                           model_path=str(model_path),
                           background_dir=str(provider.cache_dir) if provider and use_background else None,
                           wordnet_dir=str(provider.wordnet_dir) if provider else "/usr/share/wordnet",
                           kind=kind, texts=texts, counting=self.settings.counting,
                           dask_scheduler=self.settings.dask_scheduler)
        try:
            report = self.builder.build(order, progress, self.settings.timeout)
            model = Model.load(model_path)
            model.attach_background(background)
        except Exception as exc:
            remove_model_file(model_path)
            if isinstance(exc, BuildFailed):
                raise
            log.exception("the build of %s failed", model_file)
            raise BuildFailed(failure_message(exc)) from None
        return Built(model, report, status)


def remove_model_file(path: Path) -> None:
    """A model file and its unfinished temporary file, if any."""
    path.with_suffix(".tmp.npz").unlink(missing_ok=True)
    path.unlink(missing_ok=True)
