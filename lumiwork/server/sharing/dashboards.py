"""dashboards/: publish a notebook as a dashboard bound to one project, list, read, unpublish.

Publishing freezes a copy of the notebook (outputs cleared) in the data
folder and gives the dashboard its own read-only token for its project: its
kernels can read that project and nothing else."""
from __future__ import annotations

import json
import os
import shutil

import nbformat
from starlette.routing import Route

from ..core.auth import random_id
from ..core.dialect import Answer
from ..core.errors import ApiError
from ..core.pipeline import Call, endpoint
from ..db.paths import prepare_private_dir
from .lookups import get_dashboard, own_dashboard_ids, when

NOTEBOOK_FILE = "dashboard.ipynb"


def dashboard_record(call: Call, dashboard: dict) -> dict:
    latest = call.store.runs.latest_done(dashboard["dashboard_id"])
    return {"dashboard_id": dashboard["dashboard_id"], "name": dashboard["name"],
            "project": dashboard["project_name"], "project_id": dashboard["project_id"],
            "account_id": dashboard["account_id"], "owner": dashboard["owner"],
            "created": when(dashboard["created"]),
            "snapshot_run": latest["run_id"] if latest else None}


def read_notebook(value) -> nbformat.NotebookNode:
    """The posted notebook (a JSON object or its text), validated, outputs cleared."""
    try:
        text = value if isinstance(value, str) else json.dumps(value)
        nb = nbformat.reads(text, as_version=4)
        nbformat.validate(nb)
    except Exception as exc:  # nbformat raises several unrelated types for a bad notebook
        reason = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
        raise ApiError(400, "INVALID_NOTEBOOK", f"the notebook cannot be read: {reason}") from None
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return nb


def notebook_title(nb: nbformat.NotebookNode) -> str | None:
    """The notebook's first level-one heading, what its readers see as its title."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# ") and line[2:].strip():
                    return line[2:].strip()[:200]
    return None


def find_project(call: Call, name: str):
    """The caller's API v4 project of that name (the newest if several), else 404."""
    readable = [a["account_id"] for a in call.store.accounts.user_accounts(call.username) if "read" in a["permissions"]]
    found = sorted(call.store.projects.find(readable, name), key=lambda p: p["creation_date"])
    if not found:
        raise ApiError(404, "NOT_FOUND", f"no project named {name[:100]!r} that you can read")
    return found[-1]


def publish(call: Call) -> Answer:
    if "notebook" not in call.params:
        raise ApiError(400, "MISSING_PARAMETER", "parameter 'notebook' is required (the notebook's JSON)")
    nb = read_notebook(call.params.values["notebook"])
    project_name = call.params.string("project", required=True, limit="project name", allow_empty=False)
    project = find_project(call, project_name)
    name = call.params.string("name", limit="project name") or notebook_title(nb) or project_name
    token_id = call.store.tokens.issue_project_scoped(call.username, project["project_id"])
    dashboard_id = random_id(10)
    folder = call.store.dashboards_dir / dashboard_id / "notebook"
    prepare_private_dir(call.store.dashboards_dir)
    prepare_private_dir(folder.parent)
    prepare_private_dir(folder)
    path = folder / NOTEBOOK_FILE
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        nbformat.write(nb, handle)
    dashboard = call.store.dashboards.create(
        name, call.username, project["account_id"], project["project_id"], project["name"],
        str(path.relative_to(call.store.data_dir)), token_id, dashboard_id=dashboard_id)
    return Answer(dashboard_record(call, dashboard), status=201)


def list_dashboards(call: Call) -> list[dict]:
    return [dashboard_record(call, d) for d in (call.store.dashboards.get(i) for i in own_dashboard_ids(call)) if d]


def read_dashboard(call: Call) -> dict:
    return dashboard_record(call, get_dashboard(call, call.path["dashboard"]))


def unpublish(call: Call) -> Answer:
    dashboard = get_dashboard(call, call.path["dashboard"])
    call.store.delete_dashboard(dashboard["dashboard_id"])
    shutil.rmtree(call.store.dashboards_dir / dashboard["dashboard_id"], ignore_errors=True)
    return Answer(status=204)


routes = [
    Route("/dashboards/", endpoint(list_dashboards), methods=["GET"]),
    Route("/dashboards/", endpoint(publish, kind="big"), methods=["POST"]),
    Route("/dashboards/{dashboard}/", endpoint(read_dashboard), methods=["GET"]),
    Route("/dashboards/{dashboard}/", endpoint(unpublish), methods=["DELETE"]),
]
