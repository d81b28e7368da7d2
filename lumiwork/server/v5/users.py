"""login/, tokens/, logout/, profile/ and workspaces/: the same users, tokens
and accounts (v5's workspaces) as API v4 and Compass."""
from __future__ import annotations

from starlette.routing import Route

from ..core import auth
from ..core.errors import ApiError
from ..core.pipeline import Call, endpoint
from ..v4.lookups import current_user
from ..v4.users import login as v4_login
from .lookups import require_workspace
from .serializers import project_record


def login(call: Call) -> dict:
    """{token, token_id, type, expiration}: a short-lived token, exactly as API v4's
    login (the same throttle of failed attempts)."""
    return v4_login(call)


def create_token(call: Call) -> dict:
    """A long-lived token, for the password given again (as lumi-save-token sends it)."""
    password = call.params.string("password", required=True)
    description = call.params.string("description", "", limit="project description", multiline=True)
    if not auth.check_password(password, current_user(call)["password_hash"]):
        raise ApiError(401, "AUTH_CREDS_INVALID", "the password is not this user's password")
    return {**call.store.tokens.issue(call.username, "long_lived"), "description": description}


def list_tokens(call: Call) -> list[dict]:
    """The user's tokens by token_id (never their text): type, created, expiration."""
    return [{key: token[key] for key in ("token_id", "type", "created", "expiration")}
            for token in call.store.tokens.user_tokens(call.username)]


def revoke_token(call: Call) -> dict:
    if not call.store.tokens.revoke_id(call.username, call.path["token_id"]):
        raise ApiError(404, "NOT_FOUND", f"you have no token with id {call.path['token_id'][:100]!r}")
    return {}


def logout(call: Call) -> dict:
    call.store.tokens.revoke(call.token)
    return {}


def _workspace(call: Call, account: dict) -> dict:
    return {"workspace_id": account["account_id"], "name": account["account_name"],
            "permissions": account["permissions"]}


def profile(call: Call) -> dict:
    user = current_user(call)
    return {"username": user["username"], "email": user["username"], "name": user["name"],
            "default_workspace": user["default_account"],
            "workspaces": [_workspace(call, a) for a in call.store.accounts.user_accounts(call.username)]}


def workspaces(call: Call) -> list[dict]:
    return [_workspace(call, a) for a in call.store.accounts.user_accounts(call.username)]


def workspace(call: Call) -> dict:
    workspace_id = call.path["workspace"]
    require_workspace(call, workspace_id, "read")
    account = next(a for a in call.store.accounts.user_accounts(call.username) if a["account_id"] == workspace_id)
    projects = [project_record(call.store, call.username, p) for p in call.store.projects.find([workspace_id])]
    return {**_workspace(call, account), "projects": projects}


routes = [
    Route("/login/", endpoint(login, public=True), methods=["POST"]),
    Route("/logout/", endpoint(logout, allowed_before_reset=True), methods=["POST"]),
    Route("/tokens/", endpoint(list_tokens), methods=["GET"]),
    Route("/tokens/", endpoint(create_token), methods=["POST"]),
    Route("/tokens/{token_id}/", endpoint(revoke_token), methods=["DELETE"]),
    Route("/profile/", endpoint(profile), methods=["GET"]),
    Route("/workspaces/", endpoint(workspaces), methods=["GET"]),
    Route("/workspaces/{workspace}/", endpoint(workspace), methods=["GET"]),
]
