"""login/ and tokens/: one two-week token per user."""
from __future__ import annotations

from starlette.routing import Route

from ..core import auth
from ..core.dialect import Answer
from ..core.errors import ApiError
from ..core.params import FieldErrors, text_field
from ..core.pipeline import Call, endpoint
from .access import TOKEN_TYPE, current_token, issue_token, token_record
from .dialect import detail, not_found, page
from .users import user_record


def login(call: Call) -> dict:
    errors = FieldErrors()
    values = call.params.values
    username = text_field(errors, values, "username", required=True)
    password = text_field(errors, values, "password", required=True)
    errors.raise_if_any()
    assert username is not None and password is not None
    throttle = call.server.login_throttle
    wait = throttle.retry_after(username, call.client_address)
    if wait:
        raise ApiError(429, "TOO_MANY_ATTEMPTS", f"Request was throttled. Expected available in {wait} "
                       "seconds.", headers={"Retry-After": str(wait)})
    user = call.store.users.get(username)
    if not auth.verify_login(password, user["password_hash"] if user else None):
        throttle.failed(username, call.client_address)
        raise detail(400, "Unable to log in with provided credentials.")
    throttle.succeeded(username)
    token = issue_token(call.store, username)
    return {**token_record(token, username), "user": user_record(call, call.store.users.get(username))}


def _visible_tokens(call: Call) -> list[tuple[str, dict]]:
    if call.admin:
        wanted = call.params.string("user")
        users = [wanted] if wanted else [user["username"] for user in call.store.users.all()]
    else:
        users = [call.username]
    found = []
    for username in users:
        token = current_token(call.store, username)
        if token is not None:
            found.append((username, token))
    return found


def list_tokens(call: Call) -> dict:
    return page(call, _visible_tokens(call), lambda pair: token_record(pair[1], pair[0]))


def _owned_token(call: Call) -> dict:
    for username, token in _visible_tokens(call):
        if token["token"] == call.path["token"] and (username == call.username or call.admin):
            return {**token, "username": username}
    raise not_found()


def get_token(call: Call) -> dict:
    token = _owned_token(call)
    return token_record(token, token["username"])


def delete_token(call: Call) -> Answer:
    token = _owned_token(call)
    call.store.tokens.revoke_id(token["username"], token["token_id"])
    return Answer(status=204)


routes = [
    Route("/login/", endpoint(login, public=True), methods=["POST"]),
    Route("/tokens/", endpoint(list_tokens), methods=["GET"]),
    Route("/tokens/{token}/", endpoint(get_token), methods=["GET"]),
    Route("/tokens/{token}/", endpoint(delete_token), methods=["DELETE"]),
]

__all__ = ["routes", "TOKEN_TYPE"]
