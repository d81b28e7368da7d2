"""exports/: headless runs of a dashboard (an export now, or a schedule's run),
their status and their files."""
from __future__ import annotations

import mimetypes
import re

from starlette.routing import Route

from ..core.dialect import Answer
from ..core.errors import ApiError, bad_parameter
from ..core.pipeline import Call, endpoint
from .lookups import get_dashboard, own_dashboard_ids, when
from .runs import run_folder

FORMATS = ("html", "pdf", "png", "csv")


def run_record(run: dict) -> dict:
    return {"run_id": run["run_id"], "dashboard_id": run["dashboard_id"], "schedule_id": run["schedule_id"],
            "format": run["format"], "status": run["status"], "slot": when(run["slot"]),
            "created": when(run["created"]), "started": when(run["started"]), "finished": when(run["finished"]),
            "message": run["message"], "files": run["files"]}


def export_format(call: Call, default: str | None = None) -> str:
    value = call.params.string("format", default)
    if value not in FORMATS:
        raise bad_parameter("format", f"must be one of {', '.join(FORMATS)}")
    return value


def create_export(call: Call) -> Answer:
    dashboard = get_dashboard(call, call.params.string("dashboard", required=True, allow_empty=False))
    run = call.store.runs.create(dashboard["dashboard_id"], call.username, export_format(call, "html"))
    call.server.sharing_runs.wake()
    return Answer(run_record(run), status=202)


def get_run(call: Call) -> dict:
    run = call.store.runs.get(call.path["run"])
    if run is None or run["dashboard_id"] not in own_dashboard_ids(call):
        raise ApiError(404, "NOT_FOUND", f"no run {call.path['run'][:40]!r}; GET exports/ lists them")
    return run


def read_run(call: Call) -> dict:
    return run_record(get_run(call))


def list_runs(call: Call) -> list[dict]:
    ids = own_dashboard_ids(call)
    dashboard = call.params.string("dashboard")
    if dashboard is not None:
        ids = [get_dashboard(call, dashboard)["dashboard_id"]]
    return [run_record(run) for run in call.store.runs.find(ids, call.params.string("schedule"))]


def run_file(call: Call) -> Answer:
    run = get_run(call)
    name = call.path["name"]
    if name not in run["files"] or not re.fullmatch(r"[\w.-]+", name):
        raise ApiError(404, "NOT_FOUND", f"run {run['run_id']} has no file {name[:60]!r}; it has {run['files']}")
    path = run_folder(call.store, run) / name
    if not path.is_file():
        raise ApiError(404, "NOT_FOUND", f"the file {name!r} of run {run['run_id']} is gone")
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    return Answer(path.read_bytes(), media_type=media_type,
                  headers={"Content-Disposition": f"attachment; filename=\"{name}\""})


routes = [
    Route("/exports/", endpoint(list_runs), methods=["GET"]),
    Route("/exports/", endpoint(create_export), methods=["POST"]),
    Route("/exports/{run}/", endpoint(read_run), methods=["GET"]),
    Route("/exports/{run}/files/{name}/", endpoint(run_file), methods=["GET"]),
]
