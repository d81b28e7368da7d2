"""CompassClient: the Compass API from Python, with one-line errors and pages
followed for you."""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

import requests

from ..client import (
    LuminosoAuthError,
    LuminosoClientError,
    LuminosoConnectionError,
    LuminosoError,
    LuminosoServerError,
    LuminosoTimeoutError,
)
from ..config import DEFAULT_HOST, DEFAULT_PORT, read_tokens

DEFAULT_TIMEOUT = 60.0


def local_compass_url(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
    return f"http://{host}:{port}/compass/api/"


def describe(body: Any) -> str:
    """One line from a Compass error body: {"detail": ...} or field errors."""
    if isinstance(body, dict):
        if "detail" in body:
            return str(body["detail"])
        return "; ".join(f"{field}: {' '.join(map(str, messages)) if isinstance(messages, list) else messages}"
                         for field, messages in body.items())
    if isinstance(body, list):
        parts = [f"item {i}: {describe(item)}" for i, item in enumerate(body) if item]
        return "; ".join(parts) or "invalid items"
    return str(body)[:300]


def _error_class(status: int) -> type[LuminosoError]:
    if status in (401, 403):
        return LuminosoAuthError
    if 400 <= status < 500:
        return LuminosoClientError
    return LuminosoServerError


class CompassClient:
    """Requests to one Compass server (``.../compass/api/``) with one user's token."""

    def __init__(self, url: str, token: str, timeout: float = DEFAULT_TIMEOUT):
        self.url = url.rstrip("/") + "/"
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def __repr__(self) -> str:
        return f"<CompassClient for {self.url}>"

    @classmethod
    def connect(cls, url: str | None = None, username: str | None = None, password: str | None = None,
                token: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> CompassClient:
        """Log in with a token ($LUMIWORK_COMPASS_TOKEN), a username and password, or the
        token `lumiwork serve` saved for that server, at `url` ($LUMIWORK_COMPASS_URL).
        Without either, the Compass API beside $LUMIWORK_URL with $LUMIWORK_TOKEN
        (lumiwork's servers speak both APIs and share users and tokens), else the
        local server."""
        analytics = os.environ.get("LUMIWORK_URL", "")
        beside_analytics = not url and not os.environ.get("LUMIWORK_COMPASS_URL") and "/api/v4" in analytics
        url = (url or os.environ.get("LUMIWORK_COMPASS_URL")
               or (analytics.split("/api/v4")[0] + "/compass/api/" if beside_analytics else local_compass_url()))
        token = token or os.environ.get("LUMIWORK_COMPASS_TOKEN")
        if token is None and beside_analytics and username is None:
            token = os.environ.get("LUMIWORK_TOKEN")  # a lumiwork server's tokens work for both APIs
        if token is None and username is None:
            token = read_tokens().get(urlparse(url).netloc)
        if token is None:
            if username is None:
                raise LuminosoAuthError(f"no token for {url}: give a token or a username, set "
                                        "LUMIWORK_COMPASS_TOKEN, or start the server with `lumiwork serve`")
            if password is None:
                from getpass import getpass

                password = getpass(f"Password for {username} at {url}: ")
            anonymous = cls(url, "", timeout)
            anonymous.session.headers.pop("Authorization")
            token = anonymous.post("login/", username=username, password=password)["token"]
        return cls(url, token, timeout)

    # ---- requests ----------------------------------------------------------------------------
    def request(self, method: str, path: str, params: dict | None = None, json: Any = None) -> Any:
        """The decoded answer (None for 204); LuminosoError subclasses with one line
        otherwise, naming the server."""
        url = path if path.startswith("http") else self.url + path.lstrip("/")
        try:
            response = self.session.request(method, url, params=params, json=json, timeout=self.timeout)
        except requests.Timeout as exc:
            raise LuminosoTimeoutError(f"no answer from {self.url} within {self.timeout:g} s "
                                       f"({method} {path})") from exc
        except requests.RequestException as exc:
            raise LuminosoConnectionError(f"cannot reach {self.url}: start the server with `lumiwork serve`, "
                                          "or set LUMIWORK_COMPASS_URL") from exc
        if response.status_code >= 400:
            try:
                body = response.json()
            except ValueError:
                body = response.text
            raise _error_class(response.status_code)(
                {"code": f"HTTP_{response.status_code}", "message": f"{method} {path}: {describe(body)}"},
                response.status_code)
        return response.json() if response.content else None

    def get(self, path: str, **params) -> Any:
        return self.request("GET", path, params=params or None)

    def post(self, path: str, body: Any = None, **fields) -> Any:
        return self.request("POST", path, json=body if body is not None else fields)

    def put(self, path: str, body: Any = None, **fields) -> Any:
        return self.request("PUT", path, json=body if body is not None else fields)

    def delete(self, path: str) -> None:
        self.request("DELETE", path)

    def iterate(self, path: str, **params) -> Iterator[dict]:
        """Every item of a paginated list, following `next`."""
        page = self.get(path, **params)
        while True:
            yield from page["results"]
            if not page.get("next"):
                return
            page = self.request("GET", page["next"])

    # ---- conveniences ------------------------------------------------------------------------
    def project_path(self, project_id: str) -> str:
        return f"projects/{project_id}/p/"

    def default_account(self) -> str:
        """The first account the user can see (on a lumiwork server, the one made at its first start)."""
        for account in self.iterate("accounts/"):
            return account["id"]
        raise LuminosoClientError(f"the user has no account at {self.url}")

    def fresh_project(self, name: str, account: str | None = None, language: str = "en") -> str:
        """A new, empty project named `name` (older projects of that name are deleted
        first, so a notebook can be run again); returns its id."""
        for old in list(self.iterate("projects/")):
            if old["name"] == name:
                self.delete(f"projects/{old['id']}/")
        project = self.post("projects/", name=name, account=account or self.default_account(), language=language)
        from .. import remember_connection

        remember_connection(self.url, name, project["id"])
        return project["id"]

    def wait_for_classifiers(self, project_id: str, timeout: float = 120, interval: float = 0.25) -> list[dict]:
        """The project's classifiers once none is building; LuminosoTimeoutError after `timeout` s."""
        deadline = time.monotonic() + timeout
        while True:
            classifiers = list(self.iterate(self.project_path(project_id) + "classifiers/"))
            if all(c["building_state"] != "building" for c in classifiers):
                return classifiers
            if time.monotonic() > deadline:
                raise LuminosoTimeoutError(f"classifiers of project {project_id} still building after {timeout} s")
            time.sleep(interval)
