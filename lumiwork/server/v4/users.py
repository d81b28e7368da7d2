"""user/: login, logout, tokens and passwords."""
from __future__ import annotations

from starlette.routing import Route

from ..core import auth
from ..core.errors import ApiError
from ..core.pipeline import Call, endpoint
from .lookups import current_user


def login(call: Call) -> dict:
    username = call.params.string("username", required=True)
    password = call.params.string("password", required=True)
    throttle = call.server.login_throttle
    wait = throttle.retry_after(username, call.client_address)
    if wait:
        raise ApiError(429, "TOO_MANY_ATTEMPTS", f"too many failed logins; try again in {wait} s",
                       headers={"Retry-After": str(wait)})
    user = call.store.users.get(username)
    if not auth.verify_login(password, user["password_hash"] if user else None):
        throttle.failed(username, call.client_address)
        raise ApiError(401, "AUTH_CREDS_INVALID",
                       "User credentials invalid (incorrect username and/or password).")
    throttle.succeeded(username)
    return call.store.tokens.issue(username, "short_lived")


def logout(call: Call) -> bool:
    call.store.tokens.revoke(call.token)
    return True


def list_tokens(call: Call) -> list[dict]:
    """Every unexpired token of the user, named by its `token_id`, the one this
    request used first. Long-lived tokens are shown in clear (derived from the
    server's key, see auth.derived_token); a short-lived one only when it is
    the request's own. The official client's save_token() takes the first
    long-lived token listed."""
    own = auth.hash_token(call.token)
    listed = []
    for token in call.store.tokens.user_tokens(call.username):
        record = {"token_id": token["token_id"], "type": token["type"],
                  "created": token["created"], "expiration": token["expiration"],
                  "current": token["token_hash"] == own}
        clear = call.token if record["current"] else call.store.tokens.long_lived_token(token)
        if clear is not None:
            record["token"] = clear
        listed.append(record)
    listed.sort(key=lambda record: (not record["current"], "token" not in record))
    return listed


def create_token(call: Call) -> dict:
    return call.store.tokens.issue(call.username, "long_lived")


def revoke_token(call: Call) -> bool:
    token_id = call.path["token_id"]
    if not call.store.tokens.revoke_id(call.username, token_id):
        raise ApiError(404, "NOT_FOUND", f"you have no token with id {token_id!r}")
    return True


def change_password(call: Call) -> str:
    old = call.params.string("old_password", required=True)
    new = call.params.string("new_password", required=True)
    user = current_user(call)
    if not auth.check_password(old, user["password_hash"]):
        raise ApiError(401, "AUTH_CREDS_INVALID", "old_password is not the current password")
    if len(new) < 8:
        raise ApiError(400, "INVALID_PARAMETER", "new_password must have at least 8 characters")
    call.store.set_password(call.username, new)
    return "Password changed; tokens issued before now no longer work."


routes = [
    Route("/user/login/", endpoint(login, public=True), methods=["POST"]),
    Route("/user/logout/", endpoint(logout, allowed_before_reset=True), methods=["POST"]),
    Route("/user/tokens/", endpoint(list_tokens), methods=["GET"]),
    Route("/user/tokens/", endpoint(create_token), methods=["POST"]),
    Route("/user/tokens/{token_id}/", endpoint(revoke_token), methods=["DELETE"]),
    Route("/user/password/", endpoint(change_password, allowed_before_reset=True), methods=["PUT", "POST"]),
]
