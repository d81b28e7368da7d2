"""projects/: list, create, read, rename and delete projects."""
from __future__ import annotations

from starlette.routing import Route

from ...engine.text import LANGUAGE, UnsupportedLanguage, check_language
from ..core.errors import ApiError
from ..core.pipeline import Call, endpoint
from .lookups import get_project, loaded_model, require_account
from .serializers import project_record


def _name(call: Call) -> str:
    return call.params.string("name", required=True, limit="project name", allow_empty=False).strip()


def all_projects(call: Call) -> list[dict]:
    accounts = [a["account_id"] for a in call.store.accounts.user_accounts(call.username)
                if "read" in a["permissions"]]
    name = call.params.string("name", limit="project name")
    return [project_record(call.store, call.username, p) for p in call.store.projects.find(accounts, name)]


def account_projects(call: Call) -> list[dict]:
    require_account(call, call.path["account"], "read")
    name = call.params.string("name", limit="project name")
    return [project_record(call.store, call.username, p)
            for p in call.store.projects.find([call.path["account"]], name)]


def create_project(call: Call) -> dict:
    account_id = call.path["account"]
    require_account(call, account_id, "create")
    name = _name(call)
    description = call.params.string("description", "", limit="project description",
                                     multiline=True)
    language = project_language(call.params.string("language", LANGUAGE))
    project_id = call.store.projects.create(account_id, name, call.username, description, language)
    return {"name": name, "project_id": project_id, "language": language,
            "path": f"/projects/{account_id}/{project_id}/"}


def project_language(code: str) -> str:
    """A supported language code, or a 400 naming the supported ones (never a
    silently English model)."""
    try:
        return check_language(code.strip().lower())
    except UnsupportedLanguage as exc:
        raise ApiError(400, "UNSUPPORTED_LANGUAGE", str(exc)) from None


def read_project(call: Call) -> dict:
    """The project, with its model's noise floor (None before its first
    recalculation): correlations below it are noise."""
    project = get_project(call)
    model = loaded_model(call, project)
    return {**project_record(call.store, call.username, project),
            "noise_floor": None if model is None else round(float(model.noise_floor), 4)}


def change_project(call: Call, project_id: str) -> None:
    """Store the name and description the request gives (API v4 and v5 take the same)."""
    changes = {}
    if "name" in call.params:
        changes["name"] = _name(call)
    if "description" in call.params:
        changes["description"] = call.params.string("description", "", limit="project description",
                                                    multiline=True)
    if changes:
        call.store.projects.update(project_id, **changes)


def remove_project(call: Call, project_id: str) -> None:
    """Delete a project, its documents and its models (API v4 and v5)."""
    call.store.delete_project(project_id)
    call.server.models.forget(project_id)


def update_project(call: Call) -> dict:
    change_project(call, get_project(call, "write")["project_id"])
    return project_record(call.store, call.username, get_project(call))


def delete_project(call: Call) -> bool:
    remove_project(call, get_project(call, "write")["project_id"])
    return True


P = "/projects/{account}/{project}/"
routes = [
    Route("/projects/", endpoint(all_projects), methods=["GET"]),
    Route("/projects/{account}/", endpoint(account_projects), methods=["GET"]),
    Route("/projects/{account}/", endpoint(create_project), methods=["POST"]),
    Route(P, endpoint(read_project), methods=["GET"]),
    Route(P, endpoint(update_project), methods=["PUT", "PATCH"]),
    Route(P, endpoint(delete_project), methods=["DELETE"]),
]
