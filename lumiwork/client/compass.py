"""CompassClient: the Compass API from Python, on the transport every lumiwork
client shares (timeouts, retries of idempotent requests, one-line errors),
with pages followed for you."""
from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlparse

from ..settings import Settings
from ..wire.names import COMPASS_ROOT, V4_ROOT, local_compass_url
from ..wire.tokens import read_tokens
from .connections import remember_connection
from .errors import LuminosoAuthError, LuminosoClientError, LuminosoTimeoutError
from .transport import DEFAULT_TIMEOUT, Transport, loads


class CompassClient:
    """Requests relative to a URL of one Compass server: its API root
    (``.../compass/api/``), or one project's (``.../projects/<id>/p/``, see
    `project`), with one user's token."""

    def __init__(self, url: str, token: str | None, timeout: float = DEFAULT_TIMEOUT,
                 transport: Transport | None = None, project_id: str | None = None):
        self.url = url.rstrip("/") + "/"
        self.timeout = timeout
        self.transport = transport or Transport(token)
        self.project_id = project_id

    def __repr__(self) -> str:
        return f"<CompassClient for {self.url}>"

    @property
    def root_url(self) -> str:
        """The API root, e.g. http://127.0.0.1:8765/compass/api/."""
        return self.url.split("/projects/")[0].rstrip("/") + "/" if self.project_id else self.url

    @classmethod
    def connect(cls, url: str | None = None, username: str | None = None, password: str | None = None,
                token: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> CompassClient:
        """Log in with a token ($LUMIWORK_COMPASS_TOKEN), a username and password, or the
        token `lumiwork serve` saved for that server, at `url` ($LUMIWORK_COMPASS_URL).
        Without either, the Compass API beside $LUMIWORK_URL with $LUMIWORK_TOKEN
        (lumiwork's servers speak both APIs and share users and tokens), else the
        local server."""
        settings = Settings.from_environment()
        analytics = settings.url or ""
        beside_analytics = not url and not settings.compass_url and V4_ROOT.rstrip("/") in analytics
        url = (url or settings.compass_url
               or (analytics.split(V4_ROOT.rstrip("/"))[0] + COMPASS_ROOT if beside_analytics
                   else local_compass_url()))
        token = token or settings.compass_token
        if token is None and beside_analytics and username is None:
            token = settings.token  # a lumiwork server's tokens work for both APIs
        if token is None and username is None:
            token = read_tokens().get(urlparse(url).netloc)
        if token is None:
            if username is None:
                raise LuminosoAuthError(f"no token for {url}: give a token or a username, set "
                                        "LUMIWORK_COMPASS_TOKEN, or start the server with `lumiwork serve`")
            if password is None:
                from getpass import getpass

                password = getpass(f"Password for {username} at {url}: ")
            anonymous = cls(url, None, timeout)
            token = anonymous.post("login/", username=username, password=password)["token"]
        return cls(url, token, timeout)

    # ---- requests ----------------------------------------------------------------------------
    def request(self, method: str, path: str, params: dict | None = None, json: Any = None) -> Any:
        """The decoded answer (None for 204); LuminosoError subclasses with one line
        otherwise, naming the server."""
        url = path if path.startswith("http") else self.url + path.lstrip("/")
        response = self.transport.send(method, url, self.timeout, params=params, json_body=json)
        return loads(response.data) if response.data else None

    def get(self, path: str = "", **params) -> Any:
        return self.request("GET", path, params=params or None)

    def post(self, path: str = "", body: Any = None, **fields) -> Any:
        return self.request("POST", path, json=body if body is not None else fields)

    def put(self, path: str = "", body: Any = None, **fields) -> Any:
        return self.request("PUT", path, json=body if body is not None else fields)

    def delete(self, path: str = "") -> None:
        self.request("DELETE", path)

    def iterate(self, path: str = "", **params) -> Iterator[dict]:
        """Every item of a paginated list, following `next`."""
        page = self.get(path, **params)
        while True:
            yield from page["results"]
            if not page.get("next"):
                return
            page = self.request("GET", page["next"])

    # ---- projects ----------------------------------------------------------------------------
    def project(self, project_id: str) -> CompassClient:
        """A client for one project: its paths are relative to ``projects/<id>/p/``
        (``documents/``, ``classifiers/``, ``messages/``, ``stats/``...)."""
        return CompassClient(f"{self.root_url}projects/{project_id}/p/", None, self.timeout,
                             self.transport, project_id)

    def default_account(self) -> str:
        """The first account the user can see (on a lumiwork server, the one made at its first start)."""
        for account in CompassClient(self.root_url, None, self.timeout, self.transport).iterate("accounts/"):
            return account["id"]
        raise LuminosoClientError(f"the user has no account at {self.root_url}")

    def fresh_project(self, name: str, account: str | None = None, language: str = "en") -> CompassClient:
        """A new, empty project named `name` (older projects of that name are deleted
        first, so a notebook can be run again), as a project client."""
        root = CompassClient(self.root_url, None, self.timeout, self.transport)
        for old in list(root.iterate("projects/")):
            if old["name"] == name:
                root.delete(f"projects/{old['id']}/")
        created = root.post("projects/", name=name, account=account or self.default_account(), language=language)
        remember_connection(self.root_url, name, created["id"])
        return self.project(created["id"])

    def wait_for_classifiers(self, timeout: float = 120, interval: float = 0.25) -> list[dict]:
        """This project's classifiers once none is building; LuminosoTimeoutError after `timeout` s."""
        self._require_project("wait_for_classifiers")
        deadline = time.monotonic() + timeout
        while True:
            classifiers = list(self.iterate("classifiers/"))
            if all(c["building_state"] != "building" for c in classifiers):
                return classifiers
            if time.monotonic() > deadline:
                raise LuminosoTimeoutError(f"classifiers of project {self.project_id} still building "
                                           f"after {timeout} s")
            time.sleep(interval)

    def _require_project(self, what: str) -> None:
        if self.project_id is None:
            raise TypeError(f"{what} needs a project client: client.project(project_id)")


__all__ = ["CompassClient", "local_compass_url"]
