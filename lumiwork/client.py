"""LuminosoClient: an API v4 client compatible with the official `luminoso_api`
v4 client's calls, plus timeouts, polite retries and progress bars."""
from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Iterable
from urllib.parse import urlparse

import requests

DEFAULT_ROOT = "https://analytics.luminoso.com/api/v4"
DEFAULT_TIMEOUT = 60.0
RETRY_STATUSES = (429, 502, 503)
# Methods safe to send twice: a retried POST could create a second project.
IDEMPOTENT_METHODS = ("get", "put", "delete")


class LuminosoError(Exception):
    """Any API error; `code` and `message` come from the server's error object."""

    def __init__(self, error=None, status: int | None = None):
        super().__init__(error)
        self.error = error
        self.status = status
        self.code = error.get("code") if isinstance(error, dict) else None
        self.message = error.get("message") if isinstance(error, dict) else str(error)


class LuminosoAuthError(LuminosoError):
    pass


class LuminosoLoginError(LuminosoAuthError):
    pass


class LuminosoClientError(LuminosoError):
    pass


class LuminosoServerError(LuminosoError):
    pass


class LuminosoAPIError(LuminosoError):
    pass


class LuminosoTimeoutError(LuminosoError):
    pass


def get_token_filename() -> str:
    return os.path.join(os.path.expanduser("~"), ".luminoso", "tokens.json")


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


def _error_from(response: requests.Response):
    try:
        return response.json()["error"]
    except (ValueError, KeyError, TypeError):
        return response.text


def _error_class(status: int) -> type[LuminosoError]:
    if status in (401, 403):
        return LuminosoAuthError
    if status in (400, 404, 405, 413):
        return LuminosoClientError
    if status >= 500:
        return LuminosoServerError
    return LuminosoError


class TokenAuth(requests.auth.AuthBase):
    def __init__(self, token: str):
        self.token = token

    def __call__(self, request):
        request.headers["Authorization"] = "Token " + self.token
        return request


class LuminosoClient:
    """Requests relative to a base URL, e.g. a project's
    ``http://127.0.0.1:8765/api/v4/projects/<account>/<project>/``."""

    def __init__(self, session: requests.Session, url: str, timeout: float = DEFAULT_TIMEOUT,
                 retries: int = 3, backoff: float = 0.5):
        self.session = session
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
                retries: int = 3) -> "LuminosoClient":
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
            try:
                saved = json.loads(Path(token_file or get_token_filename()).read_text())
                token = saved.get(urlparse(root_url).netloc)
            except (OSError, ValueError):
                token = None
            if token is None:
                raise LuminosoLoginError(
                    f"no username, password or token given, and no token saved for "
                    f"{urlparse(root_url).netloc} in {token_file or get_token_filename()}")
        if token is None:
            if password is None:
                from getpass import getpass
                password = getpass(f"Password for {username}: ")
            token = cls._login(root_url, username, password, timeout)
        session = requests.Session()
        session.auth = TokenAuth(token)
        client = cls(session, url, timeout=timeout, retries=retries)
        if auto_account:
            client = client.change_path(f"/projects/{client._default_account()}")
        return client

    @staticmethod
    def _login(root_url: str, username: str, password: str, timeout: float) -> str:
        try:
            response = requests.post(root_url + "/user/login/",
                                     data={"username": username, "password": password},
                                     timeout=timeout)
        except requests.Timeout as exc:
            raise LuminosoTimeoutError(f"login to {root_url} timed out after {timeout} s") from exc
        if response.status_code != 200:
            raise LuminosoLoginError(_error_from(response), response.status_code)
        return response.json()["result"]["token"]

    # ---- requests ----------------------------------------------------------------------
    def _request(self, method: str, url: str, **kwargs) -> requests.Response:
        """Send, retrying idempotent requests on 429/502/503 with backoff
        (honouring Retry-After), and turn HTTP errors into exceptions."""
        attempts = self.retries + 1 if method in IDEMPOTENT_METHODS else 1
        for attempt in range(attempts):
            try:
                response = self.session.request(method, url, timeout=self.timeout, **kwargs)
            except requests.Timeout as exc:
                raise LuminosoTimeoutError(
                    f"{method.upper()} {url} got no answer within {self.timeout} s") from exc
            if response.status_code not in RETRY_STATUSES or attempt == attempts - 1:
                break
            time.sleep(self._retry_delay(response, attempt))
        if response.status_code >= 400:
            raise _error_class(response.status_code)(_error_from(response), response.status_code)
        return response

    def _retry_delay(self, response: requests.Response, attempt: int) -> float:
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return min(float(retry_after), 60.0)
        return self.backoff * 2 ** attempt

    def _json_request(self, method: str, url: str, **kwargs):
        response = self._request(method, url, **kwargs)
        try:
            body = response.json()
        except ValueError:
            raise LuminosoError("Response body contained no JSON. Perhaps you meant to use "
                                "get_raw?") from None
        if body.get("error"):
            raise LuminosoAPIError(body["error"], response.status_code)
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

    def get_raw(self, path: str, **params) -> str:
        return self._request("get", self._url(path), params=jsonify_parameters(params)).text

    def save_to_file(self, path: str, filename: str, **params) -> None:
        content = self._request("get", self._url(path), params=jsonify_parameters(params)).content
        Path(filename).write_bytes(content)

    # ---- conveniences --------------------------------------------------------------------
    def change_path(self, path: str) -> "LuminosoClient":
        url = self.root_url + path if path.startswith("/") else self.url + path
        return self.__class__(self.session, url, self.timeout, self.retries, self.backoff)

    def _default_account(self) -> str:
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
        LuminosoTimeoutError if it is still running after `timeout` seconds."""
        path = f"{ensure_trailing_slash(base_path or 'jobs/id')}{job_id}"
        start = time.monotonic()
        with _progress(total=None, desc=f"job {job_id}", unit="poll", disable=not progress) as bar:
            while True:
                status = self.get(path)
                if status["stop_time"]:
                    if status["success"]:
                        return status
                    raise LuminosoError(status)
                if timeout is not None and time.monotonic() - start > timeout:
                    raise LuminosoTimeoutError(f"job {job_id} still running after {timeout} s")
                bar.update(1)
                time.sleep(interval)

    def save_token(self, token_file: str | None = None) -> str:
        """Save a long-lived token for this server, creating one if needed."""
        tokens = self._json_request("get", self.root_url + "/user/tokens/")
        long_lived = [t for t in tokens if t.get("type") == "long_lived" and t.get("token")]
        token = (long_lived[0] if long_lived
                 else self._json_request("post", self.root_url + "/user/tokens/"))["token"]
        path = Path(token_file or get_token_filename())
        saved = json.loads(path.read_text()) if path.exists() else {}
        saved[urlparse(self.root_url).netloc] = token
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(saved))
        return token


def _progress(**kwargs):
    from tqdm.auto import tqdm

    return tqdm(**kwargs)
