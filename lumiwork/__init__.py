"""lumiwork: a notebook workbench for semantic text analytics on the Luminoso
Analytics API v4, with an embedded local server."""
from __future__ import annotations

import os

from .client import (LuminosoAPIError, LuminosoAuthError, LuminosoClient, LuminosoClientError,
                     LuminosoError, LuminosoLoginError, LuminosoServerError, LuminosoTimeoutError)

__version__ = "0.1.0"
LOCAL_URL = "http://127.0.0.1:8765/api/v4/"

_embedded = None  # the server this process started, if any


def _local_server_url() -> str:
    """URL of the local server, starting one in this process if none answers."""
    global _embedded
    import requests

    try:
        if requests.get(LOCAL_URL + "ping/", timeout=2).ok:
            return LOCAL_URL
    except requests.RequestException:
        pass
    if _embedded is None:
        from .server import DEFAULT_PORT, EmbeddedServer

        _embedded = EmbeddedServer(port=DEFAULT_PORT)
    return _embedded.url


def connect(project: str | None = None, url: str | None = None,
            token: str | None = None) -> LuminosoClient:
    """A client for your default account, or for the project named `project`.

    The server is `url`, else $LUMIWORK_URL (with $LUMIWORK_TOKEN), else the
    embedded local server on 127.0.0.1:8765, started if it is not running.
    """
    url = url or os.environ.get("LUMIWORK_URL") or _local_server_url()
    token = token or os.environ.get("LUMIWORK_TOKEN")
    client = LuminosoClient.connect(url, token=token)
    account = client.change_path(f"/projects/{client._default_account()}/")
    if project is None:
        return account
    matches = account.get("", name=project)
    if not matches:
        names = sorted({p["name"] for p in account.get("")})
        raise LuminosoClientError({"code": "NOT_FOUND",
                                   "message": f"no project named {project!r}; projects: {names}"})
    return account.change_path(matches[-1]["project_id"])


__all__ = ["connect", "LuminosoClient", "LuminosoError", "LuminosoAuthError",
           "LuminosoLoginError", "LuminosoClientError", "LuminosoServerError",
           "LuminosoAPIError", "LuminosoTimeoutError"]
