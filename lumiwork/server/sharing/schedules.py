"""schedules/: run a dashboard on a cron schedule in a time zone."""
from __future__ import annotations

import time

from starlette.routing import Route

from ..core.dialect import Answer
from ..core.errors import ApiError, bad_parameter
from ..core.pipeline import Call, endpoint
from .exports import export_format
from .lookups import get_dashboard, own_dashboard_ids, when
from .runs import ScheduleError, check_cron, next_slots


def schedule_record(schedule: dict) -> dict:
    upcoming = next_slots(schedule["cron"], schedule["tz"], max(schedule["last_slot"], time.time()), 3)
    return {"schedule_id": schedule["schedule_id"], "dashboard_id": schedule["dashboard_id"],
            "cron": schedule["cron"], "tz": schedule["tz"], "format": schedule["format"],
            "channel": schedule["channel"], "created": when(schedule["created"]),
            "last_slot": when(schedule["last_slot"]), "next_runs": [when(t) for t in upcoming]}


def create_schedule(call: Call) -> Answer:
    dashboard = get_dashboard(call, call.params.string("dashboard", required=True, allow_empty=False))
    cron = " ".join(call.params.string("cron", required=True, allow_empty=False).split())
    tz = call.params.string("tz", "UTC").strip() or "UTC"
    try:
        check_cron(cron, tz)
    except ScheduleError as exc:
        raise bad_parameter("tz" if "time zone" in str(exc) else "cron", str(exc)) from None
    channel = call.params.string("channel") or None
    if channel is not None and call.store.channels.by_name(dashboard["account_id"], channel) is None:
        raise bad_parameter("channel", f"names no channel of account {dashboard['account_id']} "
                            "(`lumiwork channel create NAME --webhook URL`)")
    # Nothing runs for the slots before the schedule existed.
    schedule = call.store.schedules.create(dashboard["dashboard_id"], call.username, cron, tz,
                                           export_format(call, "pdf"), channel, time.time())
    call.server.sharing_runs.wake()
    return Answer(schedule_record(schedule), status=201)


def list_schedules(call: Call) -> list[dict]:
    ids = set(own_dashboard_ids(call))
    return [schedule_record(s) for s in call.store.schedules.all() if s["dashboard_id"] in ids]


def delete_schedule(call: Call) -> Answer:
    schedule = call.store.schedules.get(call.path["schedule"])
    if schedule is None or schedule["dashboard_id"] not in own_dashboard_ids(call):
        raise ApiError(404, "NOT_FOUND", f"no schedule {call.path['schedule'][:40]!r}; GET schedules/ lists yours")
    call.store.schedules.delete(schedule["schedule_id"])
    return Answer(status=204)


routes = [
    Route("/schedules/", endpoint(list_schedules), methods=["GET"]),
    Route("/schedules/", endpoint(create_schedule), methods=["POST"]),
    Route("/schedules/{schedule}/", endpoint(delete_schedule), methods=["DELETE"]),
]
