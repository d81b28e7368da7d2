"""Who may see and change what: the accounts' permissions, shared with API v4
and Compass (read; write to create, change or delete). Site admins may do
everything. Resources of an account the user cannot read answer 404, as if
they did not exist."""
from __future__ import annotations

from ..core import auth
from ..core.errors import ApiError
from ..core.pipeline import Call
from .dialect import not_found


def permissions(call: Call, account_id: str) -> list[str]:
    if call.admin:
        return list(auth.PERMISSIONS)
    return call.store.accounts.permissions(call.username, account_id)


def readable_accounts(call: Call) -> list[str] | None:
    """The accounts the user can read (None: every account, for a site admin)."""
    if call.admin:
        return None
    return [a["account_id"] for a in call.store.accounts.user_accounts(call.username) if "read" in a["permissions"]]


def require(call: Call, account_id: str, permission: str, what: str) -> None:
    """404 (naming `what`) when the user cannot read the account; 403 when the
    permission is missing."""
    granted = permissions(call, account_id)
    if "read" not in granted or call.store.accounts.get(account_id) is None:
        raise not_found(f"no {what}")
    if permission not in granted:
        raise ApiError(403, "PERMISSION_DENIED", f"you need the {permission!r} permission on account "
                       f"{account_id} for this")


def default_account(call: Call) -> str:
    """The account a new channel goes to when none is named: the user's default account."""
    user = call.store.users.get(call.username)
    if user is not None and user["default_account"]:
        return user["default_account"]
    readable = readable_accounts(call)
    if readable:
        return readable[0]
    raise ApiError(400, "NO_ACCOUNT", "you belong to no account: name one (account)")
