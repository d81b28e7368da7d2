"""accounts/: the user's accounts, their members and their usage."""
from __future__ import annotations

import time

from starlette.routing import Route

from ..core import auth
from ..core.errors import ApiError
from ..core.pipeline import Call, endpoint
from .lookups import current_user, require_account


def accounts(call: Call) -> dict:
    user = current_user(call)
    return {"accounts": call.store.accounts.user_accounts(call.username),
            "default_account": user["default_account"]}


def account_users(call: Call) -> dict:
    require_account(call, call.path["account"], "read")
    return {"members": call.store.accounts.members(call.path["account"]), "guests": {}}


def set_account_user(call: Call) -> dict:
    account_id, email = call.path["account"], call.path["email"]
    require_account(call, account_id, "account_manage")
    if call.store.users.get(email) is None:
        raise ApiError(404, "NOT_FOUND", f"no user {email!r}")
    try:
        permissions = auth.check_permissions(call.params.json_value("permissions") or [])
    except ValueError as exc:
        raise ApiError(400, "INVALID_PARAMETER", str(exc)) from None
    call.store.accounts.set_member(account_id, email, permissions, call.params.boolean("reset"))
    return {"members": call.store.accounts.members(account_id), "guests": {}}


def account_usage(call: Call) -> dict:
    account_id = call.path["account"]
    require_account(call, account_id, "read")
    now = time.gmtime()
    year, month = call.params.int_pair("billing_period") or (now.tm_year, now.tm_mon)
    if not (1 <= month <= 12 and 1970 <= year <= 9999):
        raise ApiError(400, "INVALID_PARAMETER",
                       "billing_period must be [year, month] with month 1 to 12")
    period = f"{year:04d}-{month:02d}"
    counts = call.store.usage.get(account_id, year, month)
    for kind, n in call.server.meter.pending(account_id, period).items():
        counts[kind] = counts.get(kind, 0) + n
    projects = call.store.projects.find([account_id])
    running = sum(len(call.store.jobs.find(p["project_id"], running_only=True)) for p in projects)
    stamp = time.time()
    spaces = {f"{account_id}_{p['project_id']}": {"space": call.store.docs.space(p["project_id"]),
                                                  "timestamp": stamp}
              for p in projects}
    total = sum(s["space"] for s in spaces.values())
    return {
        "call_counts": {
            "billable": counts.get("billable", 0), "regular": counts.get("regular", 0),
            "big": counts.get("big", 0), "failed": counts.get("failed", 0),
            "in_progress": running,
        },
        "project_space": spaces,
        "total_space": {"total": total, "max": total, "notified": 0, "over": False,
                        "timestamp": stamp},
    }


routes = [
    Route("/accounts/", endpoint(accounts), methods=["GET"]),
    Route("/accounts/{account}/users/", endpoint(account_users), methods=["GET"]),
    Route("/accounts/{account}/users/{email}/", endpoint(set_account_user), methods=["PUT"]),
    Route("/accounts/{account}/usage/", endpoint(account_usage), methods=["GET"]),
]
