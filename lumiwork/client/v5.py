"""V5Client: API v5 (Luminoso Daylight's, and lumiwork's /api/v5/) from Python,
on the transport every lumiwork client shares: timeouts, retries of idempotent
requests, one-line errors from the one error tree, and progress bars on
uploads and builds.

Its calls follow the official 3.1.1 client's (`get`, `post`, `put`, `patch`,
`delete`, `client_for_path`, `wait_for_build`), so code written for one reads
the same with the other; parameters travel the same way (GET and DELETE in the
query, JSON-encoded when they are not strings or integers; POST, PUT and
PATCH as a JSON object body)."""
from __future__ import annotations

import json
import time
from collections.abc import Iterable, Iterator
from typing import Any
from urllib.parse import urlparse

from ..settings import Settings
from ..wire.names import V4_ROOT, V5_ROOT, local_v5_url
from ..wire.tokens import read_tokens
from .connections import remember_connection
from .errors import LuminosoAuthError, LuminosoClientError, LuminosoError, LuminosoTimeoutError
from .transport import DEFAULT_TIMEOUT, Transport, loads

#: Documents per upload request (what lumi-upload sends).
UPLOAD_BATCH = 1000
#: Documents per page when reading them all (what lumi-download asks for).
DOCS_PAGE = 1000


def query_values(params: dict) -> dict:
    """Query-string values as API v5 takes them: strings and integers as they
    are, anything else (lists, objects, floats, booleans, None) as JSON."""
    return {key: value if isinstance(value, (str, int)) and not isinstance(value, bool) else json.dumps(value)
            for key, value in params.items()}


def v5_root(url: str) -> str:
    """The API v5 root of a URL on the same server (http://host:port/api/v5/)."""
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}{V5_ROOT}"


class V5Client:
    """Requests relative to a URL under an API v5 root: the root itself, or one
    project's (``.../projects/<id>/``, see `project`), with one user's token."""

    def __init__(self, url: str, transport: Transport, timeout: float = DEFAULT_TIMEOUT):
        self.url = url.rstrip("/") + "/"
        self.root_url = v5_root(url)
        self.transport = transport
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<V5Client for {self.url}>"

    @classmethod
    def connect(cls, url: str | None = None, token: str | None = None, username: str | None = None,
                password: str | None = None, token_file: str | None = None,
                timeout: float = DEFAULT_TIMEOUT) -> V5Client:
        """Log in at `url` (an API v5 root or a project's URL) with a token, a
        username and password, or the token saved for that server in
        ~/.luminoso/tokens.json (as lumi-save-token and `lumiwork serve` save them).

        Without a URL: API v5 beside $LUMIWORK_URL with $LUMIWORK_TOKEN (lumiwork's
        servers speak v4 and v5 and share their tokens), else the local server."""
        settings = Settings.from_environment()
        analytics = settings.url or ""
        beside = not url and V4_ROOT.rstrip("/") in analytics
        url = url or (analytics.split(V4_ROOT.rstrip("/"))[0] + V5_ROOT if beside else local_v5_url())
        if token is None and beside and username is None:
            token = settings.token
        if token is None and username is None:
            token = read_tokens(token_file).get(urlparse(url).netloc)
            if token is None:
                raise LuminosoAuthError(f"no token saved for {urlparse(url).netloc}: give a token or a username, "
                                        "save one with lumi-save-token, or start the server with `lumiwork serve`")
        if token is None:
            if password is None:
                from getpass import getpass

                password = getpass(f"Password for {username} at {url}: ")
            anonymous = cls(v5_root(url), Transport(), timeout)
            token = anonymous.post("login/", username=username, password=password)["token"]
        return cls(url, Transport(token), timeout)

    # ---- requests ------------------------------------------------------------------------------
    def request(self, method: str, path: str = "", **params) -> Any:
        """The decoded JSON answer; LuminosoError subclasses with one line otherwise."""
        url = (path if path.startswith("http") else self.url + path.lstrip("/")).rstrip("/") + "/"
        if method.upper() in ("GET", "DELETE"):
            response = self.transport.send(method, url, self.timeout, params=query_values(params) or None)
        else:
            response = self.transport.send(method, url, self.timeout, json_body=params)
        try:
            return loads(response.data)
        except ValueError:
            raise LuminosoError(f"the answer to {method.upper()} {url} is not JSON") from None

    def get(self, path: str = "", **params) -> Any:
        return self.request("GET", path, **params)

    def post(self, path: str = "", **params) -> Any:
        return self.request("POST", path, **params)

    def put(self, path: str = "", **params) -> Any:
        return self.request("PUT", path, **params)

    def patch(self, path: str = "", **params) -> Any:
        return self.request("PATCH", path, **params)

    def delete(self, path: str = "", **params) -> Any:
        return self.request("DELETE", path, **params)

    def client_for_path(self, path: str) -> V5Client:
        """A client for a path: from the API root if it starts with '/', else from this client's URL."""
        url = self.root_url + path.lstrip("/") if path.startswith("/") else self.url + path
        return V5Client(url, self.transport, self.timeout)

    # ---- projects ------------------------------------------------------------------------------
    def project(self, project_id: str) -> V5Client:
        """A client for one project: its paths are relative to ``projects/<id>/``."""
        return V5Client(f"{self.root_url}projects/{project_id}/", self.transport, self.timeout)

    @property
    def project_id(self) -> str | None:
        path = self.url.removeprefix(self.root_url)
        return path.split("/")[1] if path.startswith("projects/") and path.count("/") >= 2 else None

    def find_project(self, name: str) -> dict | None:
        """The newest project called `name` that you can read, or None."""
        found = [p for p in self.client_for_path("/").get("projects") if p["name"] == name]
        return max(found, key=lambda p: p["creation_date"]) if found else None

    def open_project(self, name: str) -> V5Client:
        """A client for the newest project called `name`; LuminosoClientError naming
        the projects there when there is none."""
        found = self.find_project(name)
        if found is None:
            names = sorted({p["name"] for p in self.client_for_path("/").get("projects")})
            raise LuminosoClientError({"code": "NOT_FOUND", "message": (
                f"no project named {name!r} at {self.root_url} (there: {', '.join(map(repr, names[:10])) or 'none'})"
                ": create it with `lumiwork upload` or `lumiwork demo --reviews`")})
        remember_connection(self.root_url, found["name"], found["project_id"])
        return self.project(found["project_id"])

    def create_project(self, name: str, language: str = "en", description: str = "",
                       workspace_id: str | None = None) -> V5Client:
        fields = {"name": name, "language": language, "description": description}
        if workspace_id:
            fields["workspace_id"] = workspace_id
        record = self.client_for_path("/").post("projects", **fields)
        remember_connection(self.root_url, name, record["project_id"])
        return self.project(record["project_id"])

    def upload(self, docs: Iterable[dict], batch_size: int = UPLOAD_BATCH, progress: bool = False) -> int:
        """POST documents ({text, title?, metadata?}) to this project's upload/,
        `batch_size` at a time; returns how many were sent."""
        self._require_project("upload")
        docs = list(docs)
        from tqdm.auto import tqdm

        with tqdm(total=len(docs), unit="doc", desc="upload", disable=not progress) as bar:
            for start in range(0, len(docs), batch_size):
                batch = docs[start:start + batch_size]
                self.post("upload", docs=batch)
                bar.update(len(batch))
        return len(docs)

    def build(self) -> dict:
        """Start a build of this project; its last_build_info."""
        self._require_project("build")
        return self.post("build")["last_build_info"]

    def wait_for_build(self, timeout: float | None = None, interval: float = 0.5, progress: bool = False) -> dict:
        """Poll last_build_info until the build ends: its info when it succeeded,
        LuminosoError with the server's reason when it failed, LuminosoTimeoutError
        after `timeout` seconds, ValueError when no build was ever started."""
        self._require_project("wait_for_build")
        from tqdm.auto import tqdm

        start = time.monotonic()
        with tqdm(total=None, desc=f"build of {self.project_id}", disable=not progress,
                  bar_format="{desc} [{elapsed}]") as bar:
            while True:
                info = self.get("", fields=["last_build_info"])["last_build_info"]
                if not info:
                    raise ValueError(f"project {self.project_id} is not building: call build() first")
                if "success" in info:
                    if info["success"]:
                        bar.set_description_str(f"build of {self.project_id}: done")
                        return info
                    raise LuminosoError(info, description=f"the build of project {self.project_id} failed: "
                                        f"{info.get('reason') or 'the server gave no reason'}")
                if timeout is not None and time.monotonic() - start > timeout:
                    raise LuminosoTimeoutError(f"project {self.project_id} still building after {timeout} s")
                bar.refresh()
                time.sleep(interval)

    def iterate_docs(self, page: int = DOCS_PAGE, **params) -> Iterator[dict]:
        """Every document of this project (passing `filter`, matching `search`), page by page."""
        self._require_project("iterate_docs")
        offset = 0
        while True:
            answer = self.get("docs", offset=offset, limit=page, **params)
            yield from answer["result"]
            offset += page
            if offset >= answer["filter_count"] or not answer["result"]:
                return

    def _require_project(self, what: str) -> None:
        if self.project_id is None:
            raise TypeError(f"{what} needs a project client: client.project(project_id)")


__all__ = ["V5Client", "query_values", "v5_root"]
