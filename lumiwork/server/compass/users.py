"""accounts/, users/ and permissions/: shared with API v4's user directory.
Only site admins create accounts and users."""
from __future__ import annotations

import re

from starlette.routing import Route

from .. import auth
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
from .http import (
    LEVELS,
    Answer,
    CompassCall,
    FieldErrors,
    boolean_field,
    compass_endpoint,
    detail,
    not_found,
    text_field,
)

EMAIL = re.compile(r"[^@\s]+@[^@\s]+")


# ---- records --------------------------------------------------------------------------------

def account_record(call: CompassCall, account) -> dict:
    return {"url": call.absolute(f"accounts/{account['account_id']}/"), "id": account["account_id"],
            "name": account["name"]}


def permission_record(call: CompassCall, membership: dict) -> dict:
    return {"url": call.absolute(f"permissions/{membership['id']}/"), "id": membership["id"],
            "user": membership["username"], "account": membership["account_id"],
            "level": level_of(membership["permissions"])}


def user_record(call: CompassCall, user) -> dict:
    memberships = [m for m in call.store.memberships() if m["username"] == user["username"]]
    return {
        "url": call.absolute(f"users/{user['username']}/"), "email": user["username"],
        "name": user["name"], "default_account": user["default_account"],
        "must_reset_password": bool(user["must_reset_password"]), "admin": bool(user["admin"]),
        "permissions": [permission_record(call, m) for m in memberships if level_of(m["permissions"])],
    }


# ---- accounts -------------------------------------------------------------------------------

def list_accounts(call: CompassCall) -> dict:
    readable = readable_accounts(call)
    accounts = [a for a in call.store.accounts() if readable is None or a["account_id"] in readable]
    return call.page(accounts, lambda a: account_record(call, a))


def create_account(call: CompassCall) -> Answer:
    require_admin(call)
    errors = FieldErrors()
    name = text_field(errors, call.params.values, "name", required=True, limit="project name")
    errors.raise_if_any()
    account_id = call.store.create_account(name or "")
    return Answer(account_record(call, call.store.account(account_id)), 201)


def _account(call: CompassCall, needed: str):
    account_id = call.path["account_id"]
    require_level(call, account_id, needed)
    return call.store.account(account_id)


def get_account(call: CompassCall) -> dict:
    return account_record(call, _account(call, "read"))


def update_account(call: CompassCall) -> dict:
    account = _account(call, "manage")
    errors = FieldErrors()
    name = text_field(errors, call.params.values, "name", limit="project name")
    errors.raise_if_any()
    if name:
        call.store.rename_account(account["account_id"], name)
    return account_record(call, call.store.account(account["account_id"]))


def delete_account(call: CompassCall) -> Answer:
    """An account that still owns projects (Compass or API v4) is not deleted:
    deleting it would orphan them."""
    account = _account(call, "manage")
    owned = (len(call.compass.store.projects([account["account_id"]]))
             + len(call.store.projects([account["account_id"]])))
    if owned:
        raise detail(400, f"The account still owns {owned} project(s); delete them first.")
    call.store.delete_account(account["account_id"])
    return Answer(status=204)


# ---- users ----------------------------------------------------------------------------------

def _managed_accounts(call: CompassCall) -> set[str]:
    return {a["account_id"] for a in call.store.accounts() if user_level(call, a["account_id"]) == "manage"}


def _visible_users(call: CompassCall) -> list:
    users = call.store.users()
    if call.is_admin:
        return list(users)
    managed = _managed_accounts(call)
    managed_users = {m["username"] for m in call.store.memberships(sorted(managed))} if managed else set()
    return [u for u in users if u["username"] == call.username or u["username"] in managed_users]


def list_users(call: CompassCall) -> dict:
    return call.page(_visible_users(call), lambda u: user_record(call, u))


def create_user(call: CompassCall) -> Answer:
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
    elif email and call.store.user(email) is not None:
        errors.add("email", "A user with that email already exists.")
    if default_account and call.store.account(default_account) is None:
        errors.add("default_account", f"Invalid pk \"{default_account}\" - object does not exist.")
    errors.raise_if_any()
    assert email is not None
    password = auth.new_password()
    call.store.create_user(email, password, None, admin=admin)
    call.store.update_user(email, name=name or "", default_account=default_account, must_reset_password=1)
    return Answer({**user_record(call, call.store.user(email)), "password": password}, 201)


def _user(call: CompassCall):
    user = call.store.user(call.path["email"])
    if user is None or user["username"] not in {u["username"] for u in _visible_users(call)}:
        raise not_found()
    return user


def get_user(call: CompassCall) -> dict:
    return user_record(call, _user(call))


def update_user(call: CompassCall) -> dict:
    user = _user(call)
    if user["username"] != call.username and not call.is_admin:
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
        elif call.store.user(email) is not None:
            errors.add("email", "A user with that email already exists.")
        changes["username"] = email
    if default_account is not None:
        if call.store.account(default_account) is None or user_level(call, default_account) is None:
            errors.add("default_account", f"Invalid pk \"{default_account}\" - object does not exist.")
        changes["default_account"] = default_account
    if "admin" in values:
        if not call.is_admin:
            errors.add("admin", "Only site admins may change this field.")
        changes["admin"] = int(boolean_field(errors, values, "admin"))
    errors.raise_if_any()
    call.store.update_user(user["username"], **changes)
    return user_record(call, call.store.user(changes.get("username", user["username"])))


def delete_user(call: CompassCall) -> Answer:
    require_admin(call)
    user = _user(call)
    call.store.delete_user(user["username"])
    return Answer(status=204)


def change_password(call: CompassCall) -> dict:
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
    return {**token_record(token, user["username"]), "user": user_record(call, call.store.user(user["username"]))}


def reset_password(call: CompassCall) -> dict:
    require_admin(call)
    user = _user(call)
    password = auth.new_password()
    call.store.reset_password(user["username"], password)
    return {"password": password}


# ---- permissions ----------------------------------------------------------------------------

def list_permissions(call: CompassCall) -> dict:
    managed = None if call.is_admin else sorted(_managed_accounts(call))
    if managed == []:
        raise detail(403, "You do not have permission to perform this action.")
    memberships = [m for m in call.store.memberships(managed) if level_of(m["permissions"])]
    wanted_user, wanted_level = call.params.string("user"), call.params.string("level")
    memberships = [m for m in memberships if (not wanted_user or m["username"] == wanted_user)
                   and (not wanted_level or level_of(m["permissions"]) == wanted_level)]
    return call.page(memberships, lambda m: permission_record(call, m))


def create_permission(call: CompassCall) -> Answer:
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
    if call.store.user(username) is None:
        errors.add("user", f"Invalid pk \"{username}\" - object does not exist.")
    errors.raise_if_any()
    call.store.set_member(account_id, username, LEVEL_PERMISSIONS[level], reset=True)
    created = next(m for m in call.store.memberships([account_id]) if m["username"] == username)
    return Answer(permission_record(call, created), 201)


def _permission(call: CompassCall) -> dict:
    wanted = call.path["permission_id"]
    for membership in call.store.memberships():
        if str(membership["id"]) == wanted and level_of(membership["permissions"]):
            if (membership["username"] == call.username
                    or user_level(call, membership["account_id"]) == "manage"):
                return membership
    raise not_found()


def get_permission(call: CompassCall) -> dict:
    return permission_record(call, _permission(call))


def delete_permission(call: CompassCall) -> Answer:
    membership = _permission(call)
    require_level(call, membership["account_id"], "manage")
    call.store.delete_membership(membership["account_id"], membership["username"])
    return Answer(status=204)


routes = [
    Route("/accounts/", compass_endpoint(list_accounts), methods=["GET"]),
    Route("/accounts/", compass_endpoint(create_account), methods=["POST"]),
    Route("/accounts/{account_id}/", compass_endpoint(get_account), methods=["GET"]),
    Route("/accounts/{account_id}/", compass_endpoint(update_account), methods=["PUT", "PATCH"]),
    Route("/accounts/{account_id}/", compass_endpoint(delete_account), methods=["DELETE"]),
    Route("/users/", compass_endpoint(list_users), methods=["GET"]),
    Route("/users/", compass_endpoint(create_user), methods=["POST"]),
    Route("/users/{email}/", compass_endpoint(get_user), methods=["GET"]),
    Route("/users/{email}/", compass_endpoint(update_user), methods=["PUT", "PATCH"]),
    Route("/users/{email}/", compass_endpoint(delete_user), methods=["DELETE"]),
    Route("/users/{email}/password/", compass_endpoint(change_password), methods=["PUT"]),
    Route("/users/{email}/password/reset/", compass_endpoint(reset_password), methods=["POST"]),
    Route("/permissions/", compass_endpoint(list_permissions), methods=["GET"]),
    Route("/permissions/", compass_endpoint(create_permission), methods=["POST"]),
    Route("/permissions/{permission_id}/", compass_endpoint(get_permission), methods=["GET"]),
    Route("/permissions/{permission_id}/", compass_endpoint(delete_permission), methods=["DELETE"]),
]
