"""What the sharing resources share: the caller's dashboards and parameters."""
from __future__ import annotations

from ...wire.dates import iso
from ...wire.durations import parse_duration
from ..core.errors import ApiError, bad_parameter
from ..core.pipeline import Call


def get_dashboard(call: Call, dashboard_id: str) -> dict:
    """One of the caller's dashboards (a site admin's: any), else 404."""
    dashboard = call.store.dashboards.get(dashboard_id)
    if dashboard is None or (dashboard["owner"] != call.username and not call.admin):
        raise ApiError(404, "NOT_FOUND", f"no dashboard {dashboard_id[:40]!r}; GET dashboards/ lists yours")
    return dashboard


def own_dashboard_ids(call: Call) -> list[str]:
    dashboards = call.store.dashboards.all() if call.admin else call.store.dashboards.of_owner(call.username)
    return [d["dashboard_id"] for d in dashboards]


def duration(call: Call, name: str) -> float | None:
    """A duration parameter (7d, 2h, 90) in seconds, or None when absent."""
    value = call.params.values.get(name)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise bad_parameter(name, "must be a duration such as 30m, 2h or 7d")
    try:
        seconds = parse_duration(value)
    except ValueError as exc:
        raise bad_parameter(name, str(exc)) from None
    if not 0 < seconds < 10 * 365 * 86400:
        raise bad_parameter(name, "must be above zero and under ten years")
    return seconds


def when(seconds: float | None) -> str | None:
    return iso(seconds)
