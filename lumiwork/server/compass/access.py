"""Who may do what in Compass: tokens, permission levels and site admins.

Compass and API v4 share users, accounts and memberships. A Compass level maps
onto v4 permissions: read = [read]; readwrite = [read, write, create];
manage = all four (with account_manage). Site admins may do everything.
"""
from __future__ import annotations

import time

from ...wire.dates import iso
from ..core import auth
from ..core.pipeline import Call
from ..db import Store
from .dialect import LEVELS, detail, not_found

TOKEN_TYPE = "compass"
TOKEN_DAYS = 14  # a Compass token expires after two weeks
LEVEL_PERMISSIONS = {
    "read": ["read"],
    "readwrite": ["read", "write", "create"],
    "manage": list(auth.PERMISSIONS),
}


def level_of(permissions: list[str]) -> str | None:
    """The Compass level a v4 permission list amounts to."""
    if "account_manage" in permissions:
        return "manage"
    if "write" in permissions:
        return "readwrite"
    if "read" in permissions:
        return "read"
    return None


def rank(level: str | None) -> int:
    return -1 if level is None else LEVELS.index(level)


def user_level(call: Call, account_id: str) -> str | None:
    if call.admin:
        return "manage"
    return level_of(call.store.accounts.permissions(call.username, account_id))


def require_level(call: Call, account_id: str, needed: str) -> None:
    """404 for an account the user cannot see at all; 403 when the level is too low."""
    if call.store.accounts.get(account_id) is None:
        raise not_found()
    level = user_level(call, account_id)
    if level is None and not call.admin:
        raise not_found()
    if rank(level) < rank(needed):
        raise detail(403, "You do not have permission to perform this action.")


def require_admin(call: Call) -> None:
    if not call.admin:
        raise detail(403, "You do not have permission to perform this action.")


def readable_accounts(call: Call) -> list[str] | None:
    """Account ids the user can read (None: all, for a site admin)."""
    if call.admin:
        return None
    return [a["account_id"] for a in call.store.accounts.user_accounts(call.username) if level_of(a["permissions"])]


# ---- tokens -----------------------------------------------------------------------------------

def current_token(store: Store, username: str) -> dict | None:
    """The user's unexpired Compass token (there is at most one), with its clear text."""
    for token in store.tokens.user_tokens(username):
        if token["type"] == TOKEN_TYPE:
            return {**token, "token": auth.derived_token(store.secret, token["token_id"])}
    return None


def issue_token(store: Store, username: str) -> dict:
    """The user's token: the current one, or a new one valid for two weeks."""
    existing = current_token(store, username)
    if existing is not None:
        return existing
    token_id = auth.random_id(12)
    token = auth.derived_token(store.secret, token_id)
    store.tokens.add(username, token, token_id, TOKEN_TYPE, time.time() + TOKEN_DAYS * 86400)
    return current_token(store, username) or {"token": token}


def token_record(token: dict, username: str) -> dict:
    return {"token": token["token"], "user": username, "expiration": iso(token["expiration"])}
