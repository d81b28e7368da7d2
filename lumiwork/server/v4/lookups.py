"""Permission checks and lookups shared by the v4 routes: each raises ApiError
(403/404/400) naming what is missing."""
from __future__ import annotations

import sqlite3

from ...engine import Model
from ..core.errors import ApiError
from ..core.pipeline import Call
from ..models.cache import current_model


def current_user(call: Call) -> sqlite3.Row:
    """The caller's own record (gone if the user was deleted since the token was checked)."""
    user = call.store.users.get(call.username)
    if user is None:
        raise ApiError(401, "AUTH_TOKEN_INVALID", "the token is unknown, expired or revoked")
    return user


def require_account(call: Call, account_id: str, permission: str) -> None:
    if call.store.accounts.get(account_id) is None:
        raise ApiError(404, "NOT_FOUND", f"no account {account_id!r}")
    if permission not in call.store.accounts.permissions(call.username, account_id):
        raise ApiError(403, "FORBIDDEN", f"user {call.username!r} lacks {permission!r} "
                       f"permission on account {account_id!r}")


def get_project(call: Call, permission: str = "read") -> sqlite3.Row:
    account_id, project_id = call.path["account"], call.path["project"]
    require_account(call, account_id, permission)
    project = call.store.projects.get(account_id, project_id)
    if project is None:
        raise ApiError(404, "NOT_FOUND", f"no project {project_id!r} in account {account_id!r}")
    return project


def loaded_model(call: Call, project) -> Model | None:
    """The project's current model (None before its first recalculation)."""
    return current_model(call.store, call.server.models, project)


def get_model(call: Call, project) -> Model:
    model = loaded_model(call, project)
    if model is None:
        raise ApiError(400, "NO_ASSOC", f"project {project['project_id']!r} has not been "
                       "recalculated yet: POST docs/recalculate/ and wait for the job")
    return model


def get_topic(call: Call, project, topic_id: str) -> dict:
    topic = call.store.topics.get(project["project_id"], topic_id)
    if topic is None:
        raise ApiError(404, "NOT_FOUND", f"no topic {topic_id!r} in this project")
    return topic


def check_subset(model: Model, subset: str | None) -> None:
    if subset is not None and subset not in model.subset_index:
        raise ApiError(404, "NOT_FOUND", f"no subset {subset!r} in the last recalculation")


def ignored_terms(call: Call, project) -> set[str]:
    return set(call.store.ignorelist.get(project["project_id"])["fullstring"])
