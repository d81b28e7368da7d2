"""The servers and projects this process has connected to, newest last: a report
names the latest in its header (tools/report.py asks `lumiwork.last_connection()`)."""
from __future__ import annotations

_connections: list[dict] = []


def remember_connection(url: str, project: str | None = None, project_id: str | None = None,
                        account: str | None = None) -> None:
    """Record the server (its API root) and project a notebook works on."""
    _connections.append({"url": url, "account": account, "project": project, "project_id": project_id})


def last_connection() -> dict | None:
    """The server and project of the latest connection in this process, or None."""
    return _connections[-1] if _connections else None
