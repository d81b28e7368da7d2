"""ServerState: what every request of every API shares, made once per server.

Nothing here starts a thread when it is made: `start()` and `stop()` run in
the application's lifespan (app.py)."""
from __future__ import annotations

import threading

from ..settings import Settings
from ..wire.dates import iso
from .builds.queue import BuildQueue, BuildSettings
from .builds.recalculation import Recalculator
from .builds.watch import JobWatch
from .compass.work import CompassWork
from .core.auth import LoginThrottle
from .core.limits import DEFAULT_MAX_BODY
from .core.metering import Meter, ReadLimiter
from .db import Store
from .models.background import BackgroundProvider
from .models.cache import ModelCache, warm_up_process
from .notify import AlertEvaluator, Clock, Notifications, RetryPolicy
from .sharing.runs import RunQueue


class ServerState:
    """The store, the models, the build queue, the login throttle, the meter,
    and the notifications and alert evaluator (`clock`: their time, which
    tests may replace; `retry_policy`: when failed deliveries are retried)."""

    def __init__(self, store: Store, settings: Settings | None = None, max_body: int = DEFAULT_MAX_BODY,
                 clock: Clock | None = None, retry_policy: RetryPolicy | None = None):
        settings = settings or Settings.from_environment()
        self.store = store
        self.settings = settings
        self.max_body = max_body
        self.background = BackgroundProvider(settings.background_cache(store.data_dir), settings.wordnet_dir,
                                             enabled=settings.background)
        self.models = ModelCache(store.models_dir, self.background)
        self.builds = BuildQueue(store, self.background, BuildSettings(
            timeout=settings.build_timeout, counting=settings.counting, dask_scheduler=settings.dask_scheduler))
        self.job_watch = JobWatch()
        self.recalculator = Recalculator(store, self.builds, self.models, on_change=self.job_watch.notify)
        self.compass = CompassWork(store, self.builds, self.models)
        self.meter = Meter(store)
        self.read_limiter = ReadLimiter()
        self.login_throttle = LoginThrottle()
        self.api_url = ""  # this server's API v4 root, once it listens (dashboard runs read it)
        # notify(account, channel, event, payload): how any feature sends to a channel
        self.notifications = Notifications(store, clock, retry_policy)
        self.alert_evaluator = AlertEvaluator(store, self.notifications, clock, self.models)
        self.sharing_runs = RunQueue(store, lambda: self.api_url, chromium=settings.chromium,
                                     on_failure=self.notify_failed_run)
        self.requests_in_flight = 0  # requests between arrival and answer (changed on the event loop only)

    def notify_failed_run(self, run: dict) -> None:
        """A schedule's failed run, to the schedule's channel (if it names one)."""
        schedule = self.store.schedules.get(run["schedule_id"]) if run.get("schedule_id") else None
        dashboard = self.store.dashboards.get(run["dashboard_id"])
        if schedule is None or not schedule["channel"] or dashboard is None:
            return
        self.notifications.notify(dashboard["account_id"], schedule["channel"], "schedule.failed", {
            "schedule_id": schedule["schedule_id"], "dashboard_id": dashboard["dashboard_id"],
            "dashboard": dashboard["name"], "run_id": run["run_id"], "format": run["format"],
            "message": run.get("message"), "slot": iso(run.get("slot"))})

    def start(self) -> None:
        """Close what a server that died left open, load general knowledge and
        the search code in the background (so the first recalculation and the
        first query do not wait for them), and start the build queue, the
        delivery of notifications and the alert evaluator."""
        self.store.jobs.fail_interrupted()
        self.compass.remove_unfinished_files()
        threading.Thread(target=self.background.get, name="lumiwork-background", daemon=True).start()
        threading.Thread(target=warm_up_process, name="lumiwork-warm-up", daemon=True).start()
        self.builds.start()
        self.notifications.start()
        self.alert_evaluator.start()
        self.sharing_runs.start()

    def stop(self) -> None:
        self.sharing_runs.stop()
        self.alert_evaluator.stop()
        self.notifications.stop()
        self.builds.stop()
        self.meter.flush()
