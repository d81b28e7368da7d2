"""SharingClient: the sharing API (dashboards, share links, exports, schedules)
from Python, on the transport every lumiwork client shares."""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from ..settings import Settings
from ..wire.names import local_url
from ..wire.tokens import read_tokens
from .errors import LuminosoAuthError, LuminosoClientError, LuminosoTimeoutError
from .transport import DEFAULT_TIMEOUT, Transport, loads

SHARING_ROOT = "/api/sharing/"


def sharing_url(api_url: str) -> str:
    """The sharing API beside an API v4 root (http://host:port/api/v4/ -> .../api/sharing/)."""
    parsed = urlparse(api_url)
    return f"{parsed.scheme}://{parsed.netloc}{SHARING_ROOT}"


class SharingClient:
    """Requests to one server's sharing API with one user's token."""

    def __init__(self, url: str, token: str | None, timeout: float = DEFAULT_TIMEOUT):
        self.url = url.rstrip("/") + "/"
        self.timeout = timeout
        self.transport = Transport(token)

    def __repr__(self) -> str:
        return f"<SharingClient for {self.url}>"

    @classmethod
    def connect(cls, url: str | None = None, token: str | None = None) -> SharingClient:
        """The sharing API of the server at `url` (an API v4 root or the sharing
        root; default $LUMIWORK_URL, else the local server), with `token`, else
        $LUMIWORK_TOKEN, else the token `lumiwork serve` saved for it."""
        settings = Settings.from_environment()
        api = url or settings.url or local_url()
        root = api if SHARING_ROOT in api else sharing_url(api)
        token = token or settings.token or read_tokens().get(urlparse(root).netloc)
        if token is None:
            raise LuminosoAuthError(f"no token for {root}: start the server with `lumiwork serve` (it saves "
                                    "one), or set LUMIWORK_TOKEN")
        return cls(root, token)

    def request(self, method: str, path: str, params: dict | None = None, json_body: Any = None) -> Any:
        response = self.transport.send(method, self.url + path.lstrip("/"), self.timeout, params=params,
                                       json_body=json_body)
        return loads(response.data) if response.data else None

    # ---- dashboards ----------------------------------------------------------------------------
    def publish(self, notebook: str | Path, project: str, name: str | None = None) -> dict:
        """Freeze a copy of `notebook` as a dashboard bound to `project` (by name)."""
        path = Path(notebook)
        if not path.is_file():
            raise LuminosoClientError({"code": "NOT_FOUND", "message": f"no notebook at {path}"})
        try:
            content = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise LuminosoClientError({"code": "INVALID_NOTEBOOK",
                                       "message": f"{path} is not a notebook: {exc}"}) from None
        body = {"notebook": content, "project": project, **({"name": name} if name else {})}
        return self.request("POST", "dashboards/", json_body=body)

    def dashboards(self) -> list[dict]:
        return self.request("GET", "dashboards/")

    def unpublish(self, dashboard: str) -> None:
        self.request("DELETE", f"dashboards/{dashboard}/")

    # ---- share links ---------------------------------------------------------------------------
    def share(self, dashboard: str, expires: str | float = "7d", inactivity: str | float | None = None,
              snapshot: bool = False, params: dict[str, str] | None = None, max_viewers: int | None = None) -> dict:
        """A new share link to `dashboard`; its address is in "url" (shown once)."""
        body: dict[str, Any] = {"dashboard": dashboard, "expires": expires, "snapshot": snapshot,
                                "params": params or {}}
        if inactivity is not None:
            body["inactivity"] = inactivity
        if max_viewers is not None:
            body["max_viewers"] = max_viewers
        return self.request("POST", "shares/", json_body=body)

    def shares(self, dashboard: str | None = None) -> list[dict]:
        return self.request("GET", "shares/", params={"dashboard": dashboard} if dashboard else None)

    def revoke(self, share: str) -> dict:
        return self.request("DELETE", f"shares/{share}/")

    # ---- exports and schedules -----------------------------------------------------------------
    def export(self, dashboard: str, format: str = "html") -> dict:
        """Start a headless run of `dashboard` making `format`; returns the run."""
        return self.request("POST", "exports/", json_body={"dashboard": dashboard, "format": format})

    def run(self, run_id: str) -> dict:
        return self.request("GET", f"exports/{run_id}/")

    def wait(self, run_id: str, timeout: float = 900, progress: Callable[[dict], None] | None = None) -> dict:
        """The run once it has finished (done or failed)."""
        deadline = time.monotonic() + timeout
        while True:
            run = self.run(run_id)
            if progress is not None:
                progress(run)
            if run["status"] in ("done", "failed"):
                return run
            if time.monotonic() > deadline:
                raise LuminosoTimeoutError(f"run {run_id} did not finish within {timeout:g} s")
            time.sleep(1.0)

    def download(self, run_id: str, name: str, target: str | Path) -> Path:
        response = self.transport.send("GET", f"{self.url}exports/{run_id}/files/{name}", self.timeout)
        target = Path(target)
        target.write_bytes(response.data)
        return target

    def schedule(self, dashboard: str, cron: str, tz: str = "UTC", format: str = "pdf",
                 channel: str | None = None) -> dict:
        body = {"dashboard": dashboard, "cron": cron, "tz": tz, "format": format}
        if channel:
            body["channel"] = channel
        return self.request("POST", "schedules/", json_body=body)

    def schedules(self) -> list[dict]:
        return self.request("GET", "schedules/")

    def runs(self, dashboard: str | None = None, schedule: str | None = None) -> list[dict]:
        params = {k: v for k, v in (("dashboard", dashboard), ("schedule", schedule)) if v}
        return self.request("GET", "exports/", params=params or None)

    def unschedule(self, schedule: str) -> None:
        self.request("DELETE", f"schedules/{schedule}/")
