"""API v4 recalculations: a job record, a build on the queue, and the switch
to the new model, atomic, while the previous model keeps answering."""
from __future__ import annotations

import logging
import time
from collections.abc import Callable

from ...engine import STAGES
from ..db import Store
from ..models.cache import ModelCache
from .parent import BuildFailed, failure_message
from .queue import BuildQueue, Built, remove_model_file

log = logging.getLogger(__name__)


class Recalculator:
    """Submits recalculation jobs to the build queue and records their outcome."""

    def __init__(self, store: Store, builds: BuildQueue, models: ModelCache,
                 on_change: Callable[[], None] = lambda: None):
        self.store = store
        self.builds = builds
        self.models = models
        self.on_change = on_change  # called after a job's record changes

    def submit(self, project_id: str) -> int:
        job_id = self.store.jobs.start(project_id)
        self.builds.submit(f"recalculation {job_id} of {project_id}", lambda: self.run(project_id, job_id))
        return job_id

    def prepare(self, project_id: str) -> None:
        """Get the next build's process ready for `project_id`, which has just
        received documents (a recalculation usually follows)."""
        self.builds.prepare(self.store.docs.count(project_id))

    def run(self, project_id: str, job_id: int) -> None:
        """Build in a child process, load the model file it wrote, then switch the
        project to it atomically."""
        model_file = f"{project_id}-{job_id}.npz"

        def progress(stage: str) -> None:
            try:
                self.store.jobs.set_stage(project_id, job_id, stage, STAGES.index(stage) + 1, len(STAGES))
            except Exception:  # bookkeeping (e.g. a full disk) never fails the build
                log.warning("could not record stage %s of job %s of %s", stage, job_id, project_id)
            self.on_change()

        try:
            built: Built = self.builds.build_space(project_id, self.store.projects.language(project_id),
                                                   model_file, progress=progress)
            self.models.stage(project_id, model_file, built.model)
        except Exception as exc:  # any failure must end the job, never the worker
            if isinstance(exc, BuildFailed):
                log.warning("recalculation %s of %s failed: %s", job_id, project_id, exc)
            else:
                log.exception("recalculation %s of %s failed", job_id, project_id)
            self.models.unstage(project_id)
            self._finish_failed(project_id, job_id, str(exc) if isinstance(exc, BuildFailed) else failure_message(exc))
            return
        report = built.report
        log.info("recalculation %s of %s built in %.1f s by process %s at nice %s",
                 job_id, project_id, report.seconds, report.pid, report.niceness)
        try:
            now = time.time()
            with self.store.db.transaction():  # a crash leaves either the old model or the new one
                self.store.jobs.finish(project_id, job_id, True, f"background knowledge {built.background_status}",
                                       at=now)
                self.store.projects.set_model(project_id, model_file, now)
        except Exception as exc:
            log.exception("recording recalculation %s of %s failed", job_id, project_id)
            self.models.unstage(project_id)
            remove_model_file(self.store.models_dir / model_file)
            self._finish_failed(project_id, job_id, failure_message(exc))
            return
        self.on_change()
        self.models.put(project_id, model_file, built.model)
        self._remove_old_models(project_id, keep=model_file)

    def _finish_failed(self, project_id: str, job_id: int, message: str) -> None:
        try:
            self.store.jobs.finish(project_id, job_id, False, message)
        except Exception:  # a full disk: the job is marked failed at the next start
            log.exception("could not record the failure of job %s of %s", job_id, project_id)
        self.on_change()

    def _remove_old_models(self, project_id: str, keep: str) -> None:
        for path in self.store.models_dir.glob(f"{project_id}-*.npz"):
            if path.name != keep:
                path.unlink(missing_ok=True)
