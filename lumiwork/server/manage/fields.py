"""Fields the management API's resources share: URLs, durations, numbers,
and finding a channel or a project by id or name."""
from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from ...wire.durations import parse_duration
from ..core.errors import ApiError
from ..core.params import FieldErrors
from ..core.pipeline import Call
from .access import readable_accounts, require
from .dialect import not_found

MAX_URL = 2000


def url_field(errors: FieldErrors, values: dict, name: str, required: bool = False) -> str | None:
    """An http(s) URL with a host and without credentials (a receiver checks the
    signature instead; a password in a URL would be stored and shown in clear)."""
    value = values.get(name)
    if value is None or value == "":
        if required:
            errors.add(name, "This field is required.")
        return None
    if not isinstance(value, str) or len(value) > MAX_URL or any(c.isspace() for c in value):
        errors.add(name, f"Expected an http:// or https:// URL of at most {MAX_URL} characters, without spaces.")
        return None
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 (raises ValueError for a port that is not a number)
    except ValueError as exc:
        errors.add(name, f"Not a valid URL: {exc}.")
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors.add(name, "Expected an http:// or https:// URL with a host name.")
        return None
    if parts.username is not None or parts.password is not None:
        errors.add(name, "Leave credentials out of the URL: every POST is signed with the channel's secret, "
                         "which the receiver checks.")
        return None
    return value


def duration_field(errors: FieldErrors, values: dict, name: str, default: float | None, least: float,
                   most: float) -> float | None:
    """Seconds from a number or a duration like "5m" (wire/durations.py), in [least, most]."""
    if values.get(name) in (None, ""):
        if default is None:
            errors.add(name, "This field is required.")
        return default
    try:
        seconds = parse_duration(values[name])
    except ValueError as exc:
        errors.add(name, str(exc)[0].upper() + str(exc)[1:] + ".")
        return None
    if not least <= seconds <= most:
        errors.add(name, f"Expected between {least:g} and {most:g} seconds.")
        return None
    return seconds


def number_field(errors: FieldErrors, values: dict, name: str) -> float | None:
    value = values.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = float(value) if value.strip().isascii() else math.nan
        except ValueError:
            value = math.nan
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        errors.add(name, "A finite number is required.")
        return None
    return float(value)


def find_channel(call: Call, ref: str, account_id: str | None = None) -> dict:
    """A channel by id, or by name in `account_id` (else in any account the user
    reads, if only one has it); 404 or 400 saying why not."""
    channel = call.store.channels.get(ref)
    if channel is not None:
        require(call, channel["account_id"], "read", f"channel {ref!r}")
        return channel
    if account_id is not None:
        channel = call.store.channels.by_name(account_id, ref)
        if channel is None:
            raise not_found(f"no channel {ref!r} in account {account_id}: `lumiwork channel list` shows them")
        require(call, account_id, "read", f"channel {ref!r}")
        return channel
    found = call.store.channels.find(readable_accounts(call), name=ref)
    if not found:
        raise not_found(f"no channel {ref!r}: `lumiwork channel list` shows them")
    if len(found) > 1:
        raise ApiError(400, "AMBIGUOUS", f"{len(found)} accounts have a channel named {ref!r}: name the account "
                       f"(account: {', '.join(c['account_id'] for c in found)})")
    return found[0]


def find_compass_project(call: Call, ref: str) -> dict:
    """A Compass project by id, or by name among the projects the user reads."""
    project = call.store.compass_projects.get(ref)
    if project is not None:
        require(call, project["account_id"], "read", f"Compass project {ref!r}")
        return project
    found = [p for p in call.store.compass_projects.find(readable_accounts(call)) if p["name"] == ref]
    if not found:
        raise not_found(f"no Compass project {ref!r} (by id or name)")
    if len(found) > 1:
        raise ApiError(400, "AMBIGUOUS", f"{len(found)} Compass projects are named {ref!r}: give the project's id "
                       f"({', '.join(p['project_id'] for p in found)})")
    return found[0]


def find_v5_project(call: Call, ref: str):
    """An API v4/v5 project by id, or by name among the projects the user reads."""
    project = call.store.projects.by_id(ref)
    if project is not None:
        require(call, project["account_id"], "read", f"project {ref!r}")
        return project
    accounts = readable_accounts(call)
    if accounts is None:  # a site admin reads every account
        accounts = [a["account_id"] for a in call.store.accounts.all()]
    found = call.store.projects.find(accounts, ref)
    if not found:
        raise not_found(f"no project {ref!r} (by id or name)")
    if len(found) > 1:
        raise ApiError(400, "AMBIGUOUS", f"{len(found)} projects are named {ref!r}: give the project's id "
                       f"({', '.join(p['project_id'] for p in found)})")
    return found[0]


def limit_param(call: Call, default: int = 50, most: int = 1000) -> int:
    return call.params.integer("limit", default, minimum=1, maximum=most)


def account_param(call: Call) -> str | None:
    value: Any = call.params.values.get("account")
    return value if isinstance(value, str) and value else None
