"""shares/: share links to a dashboard: create (the link is shown once), list with
view counts, revoke."""
from __future__ import annotations

import time

from starlette.routing import Route

from ..core.dialect import Answer
from ..core.errors import ApiError, bad_parameter
from ..core.links import sign_link
from ..core.pipeline import Call, endpoint
from .address import share_base_url
from .lookups import duration, get_dashboard, own_dashboard_ids, when

DEFAULT_EXPIRY = 7 * 86400.0
DEFAULT_MAX_VIEWERS = 5
MAX_PARAMS = 20


def share_record(link: dict) -> dict:
    return {"share_id": link["link_id"], "dashboard_id": link["dashboard_id"], "created": when(link["created"]),
            "expires": when(link["expires"]), "inactivity_seconds": link["inactivity"],
            "snapshot": link["snapshot"], "params": link["params"], "max_viewers": link["max_viewers"],
            "revoked": when(link["revoked"]), "views": link["views"], "last_view": when(link["last_view"])}


def locked_params(call: Call) -> dict[str, str]:
    value = call.params.json_value("params") if call.params.given("params") else {}
    if value is None:
        return {}
    if not isinstance(value, dict) or len(value) > MAX_PARAMS or not all(
            isinstance(k, str) and isinstance(v, (str, int, float)) and not isinstance(v, bool) and k.strip()
            and len(k) <= 100 and len(str(v)) <= 1000 for k, v in value.items()):
        raise bad_parameter("params", f"must be an object of at most {MAX_PARAMS} names and values "
                            "(e.g. {\"subset\": \"Chapter 2\"})")
    return {k: str(v) for k, v in value.items()}


def create_share(call: Call) -> Answer:
    dashboard = get_dashboard(call, call.params.string("dashboard", required=True, allow_empty=False))
    expires_in = duration(call, "expires")
    expires_in = DEFAULT_EXPIRY if expires_in is None else expires_in
    snapshot, params = call.params.boolean("snapshot"), locked_params(call)
    if snapshot and params:
        # runs are made without parameters: a locked link must not see their unfiltered data
        raise bad_parameter("params", "cannot be locked on a snapshot link (the dashboard's runs are made "
                            "without parameters); lock them on a live link, without snapshot")
    link = call.store.share_links.create(
        dashboard["dashboard_id"], call.username, time.time() + expires_in, duration(call, "inactivity"),
        snapshot, params,
        call.params.integer("max_viewers", DEFAULT_MAX_VIEWERS, minimum=1, maximum=100))
    token = sign_link(call.store.secret, link["link_id"])
    base = share_base_url(call.store.dashboards_dir, call.server.settings)
    url = f"{base}/s/{dashboard['dashboard_id']}#t={token}"
    return Answer({**share_record(link), "url": url}, status=201)


def list_shares(call: Call) -> list[dict]:
    ids = own_dashboard_ids(call)
    dashboard = call.params.string("dashboard")
    if dashboard is not None:
        ids = [get_dashboard(call, dashboard)["dashboard_id"]]
    return [share_record(link) for link in call.store.share_links.find(ids)]


def revoke_share(call: Call) -> dict:
    link = call.store.share_links.get(call.path["share"])
    if link is None or link["dashboard_id"] not in own_dashboard_ids(call):
        raise ApiError(404, "NOT_FOUND", f"no share {call.path['share'][:40]!r}; GET shares/ lists yours")
    call.store.share_links.revoke(link["link_id"])
    revoked = call.store.share_links.get(link["link_id"])
    assert revoked is not None
    return share_record(revoked)


routes = [
    Route("/shares/", endpoint(list_shares), methods=["GET"]),
    Route("/shares/", endpoint(create_share), methods=["POST"]),
    Route("/shares/{share}/", endpoint(revoke_share), methods=["DELETE"]),
]
