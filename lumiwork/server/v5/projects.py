"""projects/: list, create, read, rename and delete projects (the same
projects API v4 lists under their accounts, v5's workspaces)."""
from __future__ import annotations

from starlette.routing import Route

from ..core.errors import ApiError, bad_parameter
from ..core.pipeline import Call, endpoint
from ..v4.lookups import current_user
from ..v4.projects import change_project, project_language, remove_project
from .lookups import get_project, require_workspace
from .serializers import PROJECT_FIELDS, project_record


def _fields(call: Call) -> list[str] | None:
    fields = call.params.string_list("fields")
    unknown = sorted(set(fields or ()) - set(PROJECT_FIELDS))
    if unknown:
        raise bad_parameter("fields", f"names unknown field(s) {unknown[:5]}; known: {', '.join(PROJECT_FIELDS)}")
    return fields


def _name(call: Call) -> str:
    return call.params.string("name", required=True, limit="project name", allow_empty=False).strip()


def list_projects(call: Call) -> list[dict]:
    fields = _fields(call)
    readable = [a["account_id"] for a in call.store.accounts.user_accounts(call.username) if "read" in a["permissions"]]
    workspace = call.params.string("workspace_id", limit="project name")
    if workspace is not None:
        readable = [a for a in readable if a == workspace]
    return [project_record(call.store, call.username, p, fields) for p in call.store.projects.find(readable)]


def create_project(call: Call) -> dict:
    name = _name(call)
    workspace = (call.params.string("workspace_id", limit="project name")
                 or call.params.string("account_id", limit="project name")  # the deprecated name
                 or current_user(call)["default_account"])
    if not workspace:
        raise ApiError(400, "MISSING_PARAMETER", "parameter 'workspace_id' is required: this user has no "
                       "default workspace")
    require_workspace(call, workspace, "create")
    description = call.params.string("description", "", limit="project description", multiline=True)
    language = project_language(call.params.string("language", "en"))
    project_id = call.store.projects.create(workspace, name, call.username, description, language)
    project = call.store.projects.by_id(project_id)
    return project_record(call.store, call.username, project)


def read_project(call: Call) -> dict:
    return project_record(call.store, call.username, get_project(call), _fields(call))


def update_project(call: Call) -> dict:
    change_project(call, get_project(call, "write")["project_id"])
    return project_record(call.store, call.username, get_project(call))


def delete_project(call: Call) -> dict:
    project = get_project(call, "write")
    remove_project(call, project["project_id"])
    return {"deleted": project["project_id"]}


P = "/projects/{project}/"
routes = [
    Route("/projects/", endpoint(list_projects), methods=["GET"]),
    Route("/projects/", endpoint(create_project), methods=["POST"]),
    Route(P, endpoint(read_project), methods=["GET"]),
    Route(P, endpoint(update_project), methods=["PUT", "PATCH"]),
    Route(P, endpoint(delete_project), methods=["DELETE"]),
]
