"""LuminosoClient: an API v4 client compatible with the official `luminoso_api`
v4 client's calls, plus timeouts, polite retries and progress bars."""
from __future__ import annotations

import json
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import urlparse

import urllib3

from ..wire.tokens import read_tokens, save_token, token_file_path
from .errors import (
    LuminosoAPIError,
    LuminosoClientError,
    LuminosoConnectionError,
    LuminosoError,
    LuminosoLoginError,
    LuminosoTimeoutError,
    parse_error_body,
)
from .transport import DEFAULT_TIMEOUT, Answer, Transport, failure_reason, loads, text

DEFAULT_ROOT = "https://analytics.luminoso.com/api/v4"
# The longest wait_for asks a server to hold a job request open, in seconds.
LONG_POLL = 10.0


def get_token_filename() -> str:
    return str(token_file_path())


def get_root_url(url: str) -> str:
    parsed = urlparse(url)
    if not parsed.scheme:
        raise ValueError("Please supply a full URL, beginning with http:// or https:// .")
    return f"{parsed.scheme}://{parsed.netloc}/api/v4"


def ensure_trailing_slash(url: str) -> str:
    return url.rstrip("/") + "/"


def jsonify_parameters(params: dict) -> dict:
    """Strings and integers go as they are; everything else JSON-encoded."""
    return {key: value if isinstance(value, (str, int)) and not isinstance(value, bool)
            else json.dumps(value) for key, value in params.items()}



class LuminosoClient:
    """Requests relative to a base URL, e.g. a project's
    ``http://127.0.0.1:8765/api/v4/projects/<account>/<project>/``."""

    def __init__(self, transport: Transport, url: str, timeout: float = DEFAULT_TIMEOUT,
                 retries: int = 3, backoff: float = 0.5):
        self.transport = transport
        self.url = ensure_trailing_slash(url)
        self.root_url = get_root_url(url)
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff

    def __repr__(self):
        return f"<LuminosoClient for {self.url}>"

    @classmethod
    def connect(cls, url: str | None = None, username: str | None = None,
                password: str | None = None, token: str | None = None,
                token_file: str | None = None, timeout: float = DEFAULT_TIMEOUT,
                retries: int = 3) -> LuminosoClient:
        """Log in with a username and password, a token, or the token saved for
        this server in `token_file` (~/.luminoso/tokens.json)."""
        auto_account = url is None
        url = url or "/"
        if url.startswith("http"):
            root_url = get_root_url(url)
        else:
            root_url = DEFAULT_ROOT
            url = root_url + "/" + url.lstrip("/")
        if token is None and username is None:
            netloc = urlparse(root_url).netloc
            token = read_tokens(token_file).get(netloc)
            if token is None:
                # An unreachable server is the likelier problem; say so first.
                Transport().request("get", root_url + "/ping/", timeout)
                raise LuminosoLoginError(
                    f"no token saved for {netloc} in {token_file or get_token_filename()}: "
                    "start that server with `lumiwork serve` (it saves one), "
                    "or pass a token or a username")
        if token is None:
            if password is None:
                from getpass import getpass
                password = getpass(f"Password for {username}: ")
            token = cls._login(root_url, username or "", password, timeout)
        client = cls(Transport(token), url, timeout=timeout, retries=retries)
        if auto_account:
            client = client.change_path(f"/projects/{client.default_account()}")
        return client

    @staticmethod
    def _login(root_url: str, username: str, password: str, timeout: float) -> str:
        response = Transport().request("post", root_url + "/user/login/", timeout,
                                       data={"username": username, "password": password})
        if response.status != 200:
            raise LuminosoLoginError(parse_error_body(response.data), response.status)
        return json.loads(response.data)["result"]["token"]

    # ---- requests ----------------------------------------------------------------------
    def _request(self, method: str, url: str, **kwargs) -> Answer:
        """Send through the transport: idempotent requests are resent on
        429/502/503, and HTTP errors become exceptions."""
        return self.transport.send(method, url, self.timeout, retries=self.retries, backoff=self.backoff,
                                   **kwargs)

    def _json_request(self, method: str, url: str, **kwargs):
        response = self._request(method, url, **kwargs)
        try:
            body = loads(response.data)
        except ValueError:
            raise LuminosoError("Response body contained no JSON. Perhaps you meant to use "
                                "get_raw?") from None
        if body.get("error"):
            raise LuminosoAPIError(body["error"], response.status)
        return body["result"]

    def _url(self, path: str) -> str:
        return ensure_trailing_slash(self.url + path.lstrip("/"))

    def get(self, path: str = "", **params):
        return self._json_request("get", self._url(path), params=jsonify_parameters(params))

    def post(self, path: str = "", **params):
        return self._json_request("post", self._url(path), data=jsonify_parameters(params))

    def put(self, path: str = "", **params):
        return self._json_request("put", self._url(path), data=jsonify_parameters(params))

    def patch(self, path: str = "", **params):
        return self._json_request("patch", self._url(path), data=jsonify_parameters(params))

    def delete(self, path: str = "", **params):
        return self._json_request("delete", self._url(path), params=jsonify_parameters(params))

    def post_data(self, path: str, data, content_type: str, **params):
        return self._json_request("post", self._url(path), params=jsonify_parameters(params),
                                  data=data, headers={"Content-Type": content_type})

    def get_bytes(self, path: str, **params) -> bytes:
        """The body of a GET as it came, for reading a large answer another way.
        It is read in one call (not 10 kB at a time), which leaves the GIL to
        other threads while it waits."""
        url = self._url(path)
        response = self._request("get", url, params=jsonify_parameters(params), stream=True)
        assert isinstance(response, urllib3.BaseHTTPResponse)  # streams go through urllib3
        try:
            return response.read(decode_content=True)
        except Exception as exc:  # the connection broke while reading
            raise LuminosoConnectionError(f"the answer to GET {url} was cut off: "
                                          f"{failure_reason(exc)}") from exc
        finally:
            response.release_conn()

    def get_raw(self, path: str, **params) -> str:
        return text(self._request("get", self._url(path), params=jsonify_parameters(params)))

    def save_to_file(self, path: str, filename: str, **params) -> None:
        content = self._request("get", self._url(path), params=jsonify_parameters(params)).data
        Path(filename).write_bytes(content)

    # ---- conveniences --------------------------------------------------------------------
    def change_path(self, path: str) -> LuminosoClient:
        url = self.root_url + path if path.startswith("/") else self.url + path
        return self.__class__(self.transport, url, self.timeout, self.retries, self.backoff)

    def default_account(self) -> str:
        """The account the server names as this user's default, else the first
        one that is not "public"."""
        info = self.change_path("/").get("accounts")
        if info.get("default_account"):
            return info["default_account"]
        accounts = [a["account_id"] for a in info["accounts"] if a["account_id"] != "public"]
        if not accounts:
            raise LuminosoClientError("this user has no account to hold projects")
        return accounts[0]

    def documentation(self) -> str:
        return self.change_path("/").get_raw("/")

    def upload(self, path: str, docs: Iterable[dict], batch_size: int | None = None,
               progress: bool = False, **params) -> list:
        """POST documents as JSON arrays, `batch_size` at a time (all at once by
        default, as the official client does); returns the statuses in order."""
        docs = list(docs)
        size = batch_size or max(len(docs), 1)
        statuses = []
        with _progress(total=len(docs), unit="doc", desc="upload", disable=not progress) as bar:
            for start in range(0, max(len(docs), 1), size):
                batch = docs[start:start + size]
                statuses.extend(self.post_data(path, json.dumps(batch), "application/json", **params))
                bar.update(len(batch))
        return statuses

    def wait_for(self, job_id: int, base_path: str | None = None, interval: float = 1.0,
                 timeout: float | None = None, progress: bool = False) -> dict:
        """Poll a job until it stops; raise LuminosoError if it failed and
        LuminosoTimeoutError if it is still running after `timeout` seconds.

        With `progress`, a bar shows the job's stage ("stage 3/6: association")
        when the server reports it (lumiwork's does, as extra job fields), else
        the time waited so far. A server that reports stages is asked to answer
        when the job's record changes (`wait`, see lumiwork's `jobs/id/<n>/`)
        rather than polled every `interval` seconds, so the end is known at once.
        """
        path = f"{ensure_trailing_slash(base_path or 'jobs/id')}{job_id}"
        start = time.monotonic()
        status: dict | None = None
        with _progress(total=None, desc=f"job {job_id}", unit="stage", disable=not progress,
                       bar_format="{desc}: {n_fmt}/{total_fmt} {bar} [{elapsed}]") as bar:
            while True:
                asked, sent, previous = 0.0, time.monotonic(), status
                if status is not None and "stage" in status:
                    left = LONG_POLL if timeout is None else timeout - (sent - start)
                    asked = round(max(0.0, min(LONG_POLL, self.timeout / 2, left)), 3)
                    status = self.get(path, wait=asked)
                else:
                    status = self.get(path)
                _show_stage(bar, job_id, status)
                if status["stop_time"]:
                    if status["success"]:
                        if bar.total:
                            bar.n = bar.total
                        bar.set_description_str(f"job {job_id}: done")
                        return status
                    bar.set_description_str(f"job {job_id}: failed")
                    raise LuminosoError(status, description=f"job {job_id} failed: "
                                        f"{status.get('message') or 'the server gave no reason'}")
                if timeout is not None and time.monotonic() - start > timeout:
                    raise LuminosoTimeoutError(f"job {job_id} still running after {timeout} s")
                # Other servers are polled every `interval`; so is one that reports
                # stages but answered at once with nothing new (it ignores `wait`).
                ignored = asked and status == previous and time.monotonic() - sent < asked / 2
                if "stage" not in status or ignored:
                    time.sleep(interval)

    def save_token(self, token_file: str | None = None) -> str:
        """Save a long-lived token for this server, creating one if needed."""
        tokens = self._json_request("get", self.root_url + "/user/tokens/")
        long_lived = [t for t in tokens if t.get("type") == "long_lived" and t.get("token")]
        token = (long_lived[0] if long_lived
                 else self._json_request("post", self.root_url + "/user/tokens/"))["token"]
        save_token(urlparse(self.root_url).netloc, token, token_file)
        return token


def find_project(account_client: LuminosoClient, name: str) -> dict | None:
    """The project called `name` under an account client, or None.

    Project names are not unique: when several share the name, the newest
    (latest creation_date) wins. Every lookup by name in lumiwork goes
    through here, so connect(project=...), the demo and `upload --append`
    agree on which one that is.
    """
    matches = account_client.get("", name=name)
    return max(matches, key=lambda project: project["creation_date"]) if matches else None


def _show_stage(bar, job_id: int, status: dict) -> None:
    """Move a progress bar to the stage a job record reports, if it reports one."""
    stage, counts = status.get("stage"), status.get("progress")
    if isinstance(counts, dict) and isinstance(counts.get("stages"), int):
        if bar.total != counts["stages"]:
            bar.reset(total=counts["stages"])
        bar.n = max(0, int(counts.get("stage") or 0) - 1)  # stages started, minus the current one
    if stage:
        bar.set_description_str(f"job {job_id}: {stage}", refresh=False)
    bar.refresh()


def _progress(**kwargs):
    from tqdm.auto import tqdm

    return tqdm(**kwargs)
