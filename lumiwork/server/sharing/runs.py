"""Dashboard runs: exports asked for now and schedules' runs, one at a time.

A run executes the dashboard headless in a child process
(`python -m lumiwork.tools.headless`) with the dashboard's own read-only token
and project, never the analyst's, and a home of its own; its files stay in
`<data>/dashboards/<id>/runs/<run>/` and its status in the database.

Schedules are cron expressions in a time zone (cronsim: Debian cron's
behaviour, so a daily time that a spring-forward skips runs once after the
gap, and one that an autumn fall-back repeats runs once). Each schedule
keeps the last slot it ran for (UTC); a tick runs a schedule whose next slot
after that one has come, once, however many slots were missed while the
server was down, and moves its last slot to the latest slot due.
"""
from __future__ import annotations

import datetime as dt
import logging
import math
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from cronsim import CronSim, CronSimError

from ..db import Store
from ..db.paths import prepare_private_dir

log = logging.getLogger(__name__)

RUN_TIMEOUT_SECONDS = 1800
TICK_SECONDS = 5.0


class ScheduleError(ValueError):
    """A cron expression or time zone that cannot be used; the message says which."""


def zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"unknown time zone {tz[:60]!r}: use an IANA name such as Europe/Brussels or UTC") \
            from None


def check_cron(cron: str, tz: str) -> None:
    try:
        CronSim(cron, dt.datetime.now(zone(tz)))
    except CronSimError as exc:
        raise ScheduleError(f"{cron[:100]!r} is not a cron expression ({exc}); five fields, e.g. "
                            "\"0 7 * * 1-5\"") from None


def next_slots(cron: str, tz: str, after: float, count: int = 1) -> list[float]:
    """The next `count` times (Unix seconds) the expression fires after `after`, in `tz`."""
    start = dt.datetime.fromtimestamp(after, zone(tz))
    slots = CronSim(cron, start)
    return [next(slots).timestamp() for _ in range(count)]


def latest_slot(cron: str, tz: str, now: float) -> float:
    """The latest time at or before `now` the expression fires. (CronSim going
    backwards leaves out its start: from exactly 07:00 it gives yesterday's
    07:00. So start a second later and skip any slot after `now`.)"""
    slots = CronSim(cron, dt.datetime.fromtimestamp(math.floor(now) + 1, zone(tz)), reverse=True)
    slot = next(slots).timestamp()
    while slot > now:
        slot = next(slots).timestamp()
    return slot


def due(schedule: dict, now: float) -> float | None:
    """The slot a schedule should run for now (at most one, however many were
    missed), or None when its next slot has not come."""
    upcoming = next_slots(schedule["cron"], schedule["tz"], schedule["last_slot"])[0]
    if upcoming > now:
        return None
    return latest_slot(schedule["cron"], schedule["tz"], now)


def run_folder(store: Store, run: dict):
    return store.dashboards_dir / run["dashboard_id"] / "runs" / run["run_id"]


class RunQueue:
    """One thread: starts due schedules' runs, then runs queued runs one at a time."""

    def __init__(self, store: Store, api_url: Callable[[], str], clock: Callable[[], float] = time.time,
                 tick: float = TICK_SECONDS, on_failure: Callable[[dict], None] | None = None,
                 chromium: str | None = None):
        self.store = store
        self.chromium = chromium
        self.api_url = api_url
        self.clock = clock
        self.tick = tick
        self.on_failure = on_failure
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._child: subprocess.Popen | None = None

    def start(self) -> None:
        self.store.runs.fail_interrupted()
        self._thread = threading.Thread(target=self._loop, name="lumiwork-dashboard-runs", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        child = self._child
        if child is not None and child.poll() is None:
            child.terminate()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def wake(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.schedule_due()
                while not self._stop.is_set() and self.run_next():
                    pass
            except Exception:  # the loop must outlive one bad round
                log.exception("dashboard runs")
            self._wake.wait(self.tick)
            self._wake.clear()

    def schedule_due(self) -> list[dict]:
        """Queue a run for every schedule whose slot has come; returns them."""
        queued = []
        now = self.clock()
        for schedule in self.store.schedules.all():
            slot = due(schedule, now)
            if slot is None:
                continue
            with self.store.db.transaction():
                self.store.schedules.set_last_slot(schedule["schedule_id"], slot)
                queued.append(self.store.runs.create(schedule["dashboard_id"], schedule["owner"], schedule["format"],
                                                     schedule["schedule_id"], slot))
        return queued

    def run_next(self) -> bool:
        """Run the oldest queued run, if any; False when there is none."""
        row = self.store.db.read_one("SELECT run_id FROM runs WHERE status = 'queued' ORDER BY created LIMIT 1")
        if row is None:
            return False
        run = self.store.runs.get(row["run_id"])
        assert run is not None
        self.store.runs.start(run["run_id"])
        ok, message, files = self.execute(run)
        self.store.runs.finish(run["run_id"], ok, message, files)
        if not ok and self.on_failure is not None:
            finished = self.store.runs.get(run["run_id"])
            try:
                self.on_failure(finished or run)
            except Exception:
                log.exception("notifying a failed run")
        return True

    def execute(self, run: dict) -> tuple[bool, str | None, list[str]]:
        dashboard = self.store.dashboards.get(run["dashboard_id"])
        if dashboard is None:
            return False, "the dashboard was unpublished", []
        folder = run_folder(self.store, run)
        prepare_private_dir(folder.parent)
        prepare_private_dir(folder)
        home = folder.parent.parent / "home"
        prepare_private_dir(home)
        environment = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": os.environ.get("LANG", "C.UTF-8"),
            "HOME": str(home), "JUPYTER_PLATFORM_DIRS": "1",
            "LUMIWORK_URL": self.api_url(),
            "LUMIWORK_TOKEN": self.store.tokens.scoped_token(dashboard["token_id"]),
            "LUMIWORK_PROJECT": f"{dashboard['account_id']}/{dashboard['project_id']}",
            "LUMIWORK_DASHBOARD": dashboard["dashboard_id"],
            **({"LUMIWORK_CHROMIUM": self.chromium} if self.chromium else {}),
        }
        self._child = subprocess.Popen(
            [sys.executable, "-m", "lumiwork.tools.headless", str(self.store.data_dir / dashboard["notebook"]),
             run["format"], str(folder)], env=environment, cwd=folder, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
        try:
            output, _ = self._child.communicate(timeout=RUN_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            self._child.kill()
            self._child.communicate()
            return False, f"the run took longer than {RUN_TIMEOUT_SECONDS} s", []
        finally:
            code = self._child.returncode
            self._child = None
        (folder / "run.log").write_text(output, encoding="utf-8")
        lines = output.strip().splitlines()
        if code == 0 and "files:" in lines:
            return True, None, lines[lines.index("files:") + 1:]
        reason = next((line[len("error: "):] for line in reversed(lines) if line.startswith("error: ")), None)
        return False, reason or (lines[-1][:300] if lines else f"the run stopped (exit {code})"), []
