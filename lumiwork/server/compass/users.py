"""accounts/, users/ and permissions/: shared with API v4's user directory.
Only site admins create accounts and users."""
from __future__ import annotations

import re

from starlette.routing import Route

from ..core import auth
from ..core.dialect import Answer
from ..core.params import FieldErrors, boolean_field, text_field
from ..core.pipeline import Call, endpoint
from .access import (
    LEVEL_PERMISSIONS,
    issue_token,
    level_of,
    readable_accounts,
    require_admin,
    require_level,
    token_record,
    user_level,
)
from .dialect import LEVELS, absolute, detail, not_found, page

EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


# ---- records --------------------------------------------------------------------------------

def account_record(call: Call, account) -> dict:
    return {"url": absolute(call, f"accounts/{account['account_id']}/"), "id": account["account_id"],
            "name": account["name"]}


def permission_record(call: Call, membership: dict) -> dict:
    return {"url": absolute(call, f"permissions/{membership['id']}/"), "id": membership["id"],
            "user": membership["username"], "account": membership["account_id"],
            "level": level_of(membership["permissions"])}


def user_record(call: Call, user) -> dict:
    memberships = [m for m in call.store.accounts.memberships() if m["username"] == user["username"]]
    return {
        "url": absolute(call, f"users/{user['username']}/"), "email": user["username"],
        "name": user["name"], "default_account": user["default_account"],
        "must_reset_password": bool(user["must_reset_password"]), "admin": bool(user["admin"]),
        "permissions": [permission_record(call, m) for m in memberships if level_of(m["permissions"])],
    }


# ---- accounts -------------------------------------------------------------------------------

def list_accounts(call: Call) -> dict:
    readable = readable_accounts(call)
    accounts = [a for a in call.store.accounts.all() if readable is None or a["account_id"] in readable]
    return page(call, accounts, lambda a: account_record(call, a))


def create_account(call: Call) -> Answer:
    require_admin(call)
    errors = FieldErrors()
    name = text_field(errors, call.params.values, "name", required=True, limit="project name")
    errors.raise_if_any()
    account_id = call.store.accounts.create(name or "")
    return Answer(account_record(call, call.store.accounts.get(account_id)), 201)


def _account(call: Call, needed: str):
    account_id = call.path["account_id"]
    require_level(call, account_id, needed)
    return call.store.accounts.get(account_id)


def get_account(call: Call) -> dict:
    return account_record(call, _account(call, "read"))


def update_account(call: Call) -> dict:
    account = _account(call, "manage")
    errors = FieldErrors()
    name = text_field(errors, call.params.values, "name", limit="project name")
    errors.raise_if_any()
    if name:
        call.store.accounts.rename(account["account_id"], name)
    return account_record(call, call.store.accounts.get(account["account_id"]))


def delete_account(call: Call) -> Answer:
    """An account that still owns projects (Compass or API v4) is not deleted:
    deleting it would orphan them."""
    account = _account(call, "manage")
    owned = (len(call.store.compass_projects.find([account["account_id"]]))
             + len(call.store.projects.find([account["account_id"]])))
    if owned:
        raise detail(400, f"The account still owns {owned} project(s); delete them first.")
    call.store.delete_account(account["account_id"])
    return Answer(status=204)


# ---- users ----------------------------------------------------------------------------------

def _managed_accounts(call: Call) -> set[str]:
    return {a["account_id"] for a in call.store.accounts.all() if user_level(call, a["account_id"]) == "manage"}


def _visible_users(call: Call) -> list:
    users = call.store.users.all()
    if call.admin:
        return list(users)
    managed = _managed_accounts(call)
    managed_users = {m["username"] for m in call.store.accounts.memberships(sorted(managed))} if managed else set()
    return [u for u in users if u["username"] == call.username or u["username"] in managed_users]


def list_users(call: Call) -> dict:
    return page(call, _visible_users(call), lambda u: user_record(call, u))


def create_user(call: Call) -> Answer:
    """A site admin creates a user with a temporary password, shown once in the
    answer ("password"); the user must change it before doing anything else."""
    require_admin(call)
    errors = FieldErrors()
    values = call.params.values
    name = text_field(errors, values, "name", required=True, limit="project name")
    email = text_field(errors, values, "email", required=True, limit="project name")
    default_account = text_field(errors, values, "default_account")
    admin = boolean_field(errors, values, "admin")
    if email and not EMAIL.fullmatch(email):
        errors.add("email", "Enter a valid email address.")
    elif email and call.store.users.get(email) is not None:
        errors.add("email", "A user with that email already exists.")
    if default_account and call.store.accounts.get(default_account) is None:
        errors.add("default_account", f"Invalid pk \"{default_account}\" - object does not exist.")
    errors.raise_if_any()
    assert email is not None
    password = auth.new_password()
    with call.store.db.transaction():
        call.store.create_user(email, password, None, admin=admin)
        call.store.users.update(email, name=name or "", default_account=default_account, must_reset_password=1)
    return Answer({**user_record(call, call.store.users.get(email)), "password": password}, 201)


def _user(call: Call):
    user = call.store.users.get(call.path["email"])
    if user is None or user["username"] not in {u["username"] for u in _visible_users(call)}:
        raise not_found()
    return user


def get_user(call: Call) -> dict:
    return user_record(call, _user(call))


def update_user(call: Call) -> dict:
    user = _user(call)
    if user["username"] != call.username and not call.admin:
        raise detail(403, "You do not have permission to perform this action.")
    errors = FieldErrors()
    values = call.params.values
    changes: dict = {}
    name = text_field(errors, values, "name", limit="project name")
    email = text_field(errors, values, "email", limit="project name")
    default_account = text_field(errors, values, "default_account")
    if name is not None:
        changes["name"] = name
    if email is not None and email != user["username"]:
        if not EMAIL.fullmatch(email):
            errors.add("email", "Enter a valid email address.")
        elif call.store.users.get(email) is not None:
            errors.add("email", "A user with that email already exists.")
        changes["username"] = email
    if default_account is not None:
        if call.store.accounts.get(default_account) is None or user_level(call, default_account) is None:
            errors.add("default_account", f"Invalid pk \"{default_account}\" - object does not exist.")
        changes["default_account"] = default_account
    if "admin" in values:
        if not call.admin:
            errors.add("admin", "Only site admins may change this field.")
        changes["admin"] = int(boolean_field(errors, values, "admin"))
    errors.raise_if_any()
    new_name = changes.pop("username", None)
    with call.store.db.transaction():
        call.store.users.update(user["username"], **changes)
        if new_name:
            call.store.rename_user(user["username"], new_name)
    return user_record(call, call.store.users.get(new_name or user["username"]))


def delete_user(call: Call) -> Answer:
    require_admin(call)
    user = _user(call)
    call.store.delete_user(user["username"])
    return Answer(status=204)


def change_password(call: Call) -> dict:
    user = _user(call)
    if user["username"] != call.username:
        raise detail(403, "You do not have permission to perform this action.")
    errors = FieldErrors()
    values = call.params.values
    password = text_field(errors, values, "password", required=True)
    old_password = text_field(errors, values, "old_password", required=True)
    if password is not None and len(password) < 8:
        errors.add("password", "Ensure this field has at least 8 characters.")
    if old_password is not None and not auth.check_password(old_password, user["password_hash"]):
        errors.add("old_password", "Wrong password.")
    errors.raise_if_any()
    call.store.set_password(user["username"], password or "")
    token = issue_token(call.store, user["username"])
    return {**token_record(token, user["username"]), "user": user_record(call, call.store.users.get(user["username"]))}


def reset_password(call: Call) -> dict:
    require_admin(call)
    user = _user(call)
    password = auth.new_password()
    call.store.set_password(user["username"], password, must_reset=True)
    return {"password": password}


# ---- permissions ----------------------------------------------------------------------------

def list_permissions(call: Call) -> dict:
    managed = None if call.admin else sorted(_managed_accounts(call))
    if managed == []:
        raise detail(403, "You do not have permission to perform this action.")
    memberships = [m for m in call.store.accounts.memberships(managed) if level_of(m["permissions"])]
    wanted_user, wanted_level = call.params.string("user"), call.params.string("level")
    memberships = [m for m in memberships if (not wanted_user or m["username"] == wanted_user)
                   and (not wanted_level or level_of(m["permissions"]) == wanted_level)]
    return page(call, memberships, lambda m: permission_record(call, m))


def create_permission(call: Call) -> Answer:
    """A user has at most one permission per account: a new one replaces the old."""
    errors = FieldErrors()
    values = call.params.values
    username = text_field(errors, values, "user", required=True)
    account_id = text_field(errors, values, "account", required=True)
    level = text_field(errors, values, "level", required=True, choices=LEVELS)
    errors.raise_if_any()
    assert username and account_id and level
    # Permission first: otherwise the answers would tell anyone which users exist.
    require_level(call, account_id, "manage")
    if call.store.users.get(username) is None:
        errors.add("user", f"Invalid pk \"{username}\" - object does not exist.")
    errors.raise_if_any()
    call.store.accounts.set_member(account_id, username, LEVEL_PERMISSIONS[level], reset=True)
    created = next(m for m in call.store.accounts.memberships([account_id]) if m["username"] == username)
    return Answer(permission_record(call, created), 201)


def _permission(call: Call) -> dict:
    wanted = call.path["permission_id"]
    for membership in call.store.accounts.memberships():
        if str(membership["id"]) == wanted and level_of(membership["permissions"]):
            if (membership["username"] == call.username
                    or user_level(call, membership["account_id"]) == "manage"):
                return membership
    raise not_found()


def get_permission(call: Call) -> dict:
    return permission_record(call, _permission(call))


def delete_permission(call: Call) -> Answer:
    membership = _permission(call)
    require_level(call, membership["account_id"], "manage")
    call.store.accounts.delete_membership(membership["account_id"], membership["username"])
    return Answer(status=204)


routes = [
    Route("/accounts/", endpoint(list_accounts), methods=["GET"]),
    Route("/accounts/", endpoint(create_account), methods=["POST"]),
    Route("/accounts/{account_id}/", endpoint(get_account), methods=["GET"]),
    Route("/accounts/{account_id}/", endpoint(update_account), methods=["PUT", "PATCH"]),
    Route("/accounts/{account_id}/", endpoint(delete_account), methods=["DELETE"]),
    Route("/users/", endpoint(list_users), methods=["GET"]),
    Route("/users/", endpoint(create_user), methods=["POST"]),
    Route("/users/{email}/", endpoint(get_user, allowed_before_reset=True), methods=["GET"]),
    Route("/users/{email}/", endpoint(update_user), methods=["PUT", "PATCH"]),
    Route("/users/{email}/", endpoint(delete_user), methods=["DELETE"]),
    Route("/users/{email}/password/", endpoint(change_password, allowed_before_reset=True), methods=["PUT"]),
    Route("/users/{email}/password/reset/", endpoint(reset_password), methods=["POST"]),
    Route("/permissions/", endpoint(list_permissions), methods=["GET"]),
    Route("/permissions/", endpoint(create_permission), methods=["POST"]),
    Route("/permissions/{permission_id}/", endpoint(get_permission), methods=["GET"]),
    Route("/permissions/{permission_id}/", endpoint(delete_permission), methods=["DELETE"]),
]
