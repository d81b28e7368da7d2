"""LuminosoClient: an API v4 client compatible with the official `luminoso_api`
v4 client's calls, plus timeouts, polite retries and progress bars."""
from __future__ import annotations

import http.client
import json
import os
import select
import socket
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from urllib.parse import quote, urlencode, urlparse, urlsplit
from urllib.request import getproxies, proxy_bypass

import certifi
import orjson
import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError
from urllib3.exceptions import TimeoutError as HTTPTimeoutError

from . import config

DEFAULT_ROOT = "https://analytics.luminoso.com/api/v4"
DEFAULT_TIMEOUT = 60.0
RETRY_STATUSES = (429, 502, 503)
# Methods safe to send twice: a retried POST could create a second project.
IDEMPOTENT_METHODS = ("get", "put", "delete")
MAX_MESSAGE = 500  # characters of a server's message shown in str(error)
# The longest wait_for asks a server to hold a job request open, in seconds.
LONG_POLL = 10.0


class LuminosoError(Exception):
    """Any API error; `code` and `message` come from the server's error object.

    `args[0]` stays that object, as in the official client; str() is one
    readable line, e.g. "NOT_FOUND: no project 'x' (HTTP 404)", or
    `description` when the client knows better what went wrong.
    """

    def __init__(self, error=None, status: int | None = None, description: str | None = None):
        super().__init__(error)
        self.error = error
        self.status = status
        self.description = description
        self.code = error.get("code") if isinstance(error, dict) else None
        if isinstance(error, dict):
            self.message = error.get("message")
        else:
            self.message = None if error is None else str(error)

    def __str__(self) -> str:
        if self.description:
            return _one_line(self.description)
        text = self.message
        if text is None and isinstance(self.error, dict):
            rest = {k: v for k, v in self.error.items() if k != "code"}
            text = json.dumps(rest, default=str) if rest else None
        text = _one_line(text or "")
        if len(text) > MAX_MESSAGE:  # e.g. a proxy's HTML error page
            text = text[:MAX_MESSAGE] + "..."
        text = ": ".join(part for part in (self.code, text) if part) or type(self).__name__
        return f"{text} (HTTP {self.status})" if self.status else text

    def _render_traceback_(self) -> list[str]:
        """What IPython and Jupyter show for an uncaught error: its one line,
        not a traceback through urllib3 (the error is expected and
        its message says what to do)."""
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


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


class LuminosoConnectionError(LuminosoError):
    """The server could not be reached: connection refused, unknown host, ..."""


class UnknownQueryError(LuminosoError, ValueError):
    """A query none of whose words the project (or general knowledge) knows, so
    its answer would be all zeros. `words` lists what was asked for."""

    def __init__(self, words: list[str], what: str = "the query"):
        self.words = list(words)
        if not any(w.strip() for w in self.words):
            description = f"{what} is empty: type a word or a phrase"
        else:
            words = [w for w in self.words if w.strip()]
            shown = ", ".join(repr(w) for w in words)
            subject = (f"the word {shown} is not" if len(words) == 1 else f"none of the words {shown} is")
            description = (f"{subject} known to this project or to general knowledge, so every "
                           "score would be 0: check the spelling or try other words")
        super().__init__({"code": "NO_KNOWN_TERMS", "message": description}, description=description)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def get_token_filename() -> str:
    return str(config.token_file_path())


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


def _failure_reason(exc: BaseException) -> str:
    """A few words on why a connection failed, found in the exception chain
    (urllib3's errors wrap the socket's)."""
    seen, pending = set(), [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        if isinstance(current, ConnectionRefusedError):
            return "connection refused"
        if isinstance(current, socket.gaierror):
            return "host name not found"
        pending.extend(e for e in (current.__cause__, current.__context__,
                                   getattr(current, "reason", None), *current.args)
                       if isinstance(e, BaseException))
    return f"connection failed: {type(exc).__name__}"


def _unreachable_advice(url: str) -> str:
    if urlparse(url).hostname in ("127.0.0.1", "localhost", "::1"):
        return "start the server with `lumiwork serve` (or `lumiwork lab`), or set LUMIWORK_URL"
    return "check the URL and your network, or set LUMIWORK_URL"


# Follow redirects as requests did, and never resend: LuminosoClient retries
# 429/502/503 itself, and only idempotent requests.
_REDIRECTS_ONLY = urllib3.Retry(total=None, connect=0, read=0, status=0, other=0, redirect=5,
                                raise_on_redirect=False)
REDIRECT_STATUSES = (301, 302, 303, 307, 308)
# Characters left as they are in a request target; others are percent-encoded,
# as urllib3 does.
_TARGET_SAFE = "/?&=%:@!$'()*+,;~"


class PlainAnswer:
    """A response read whole from a plain-HTTP server: what LuminosoClient
    reads of urllib3's responses."""

    __slots__ = ("status", "headers", "data")

    def __init__(self, status: int, headers: http.client.HTTPMessage, data: bytes):
        self.status, self.headers, self.data = status, headers, data

    def drain_conn(self) -> None:
        """Nothing to drain: the body is already read."""


Answer = urllib3.BaseHTTPResponse | PlainAnswer


class PlainHttp:
    """Keep-alive connections to one plain-HTTP server (no TLS, no proxy)
    through http.client, shared by threads.

    Why not urllib3 here: against the local server, a `docs/search` at 100,000
    documents took 0.22-0.25 ms longer through urllib3 than through http.client
    (medians of 2.04-2.19 against 1.82-1.94 ms, in rotating order over one
    server; benchmarks/RESULTS.md), a tenth of the request. HTTPS and proxies
    stay with urllib3, which knows certificates and proxies.
    """

    MAX_IDLE = 16

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self._idle: list[http.client.HTTPConnection] = []
        self._lock = threading.Lock()

    def _connection(self, timeout: float) -> http.client.HTTPConnection:
        """An idle connection the server has not closed, or a new one."""
        while True:
            with self._lock:
                connection = self._idle.pop() if self._idle else None
            if connection is None:
                connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
                connection.connect()
                connection.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return connection
            # An idle socket that reads as ready was closed by the server (its
            # keep-alive timeout), or holds bytes no request asked for.
            if select.select([connection.sock], [], [], 0)[0]:
                connection.close()
                continue
            connection.timeout = timeout
            connection.sock.settimeout(timeout)
            return connection

    def request(self, method: str, target: str, body: bytes | None, headers: dict,
                timeout: float) -> PlainAnswer:
        connection = self._connection(timeout)
        try:
            connection.request(method, target, body=body, headers=headers)
            response = connection.getresponse()
            data = response.read()
        except BaseException:
            connection.close()
            raise
        if response.will_close:
            connection.close()
        else:
            with self._lock:
                keep = len(self._idle) < self.MAX_IDLE
                if keep:
                    self._idle.append(connection)
            if not keep:
                connection.close()
        return PlainAnswer(response.status, response.headers, data)


class Transport:
    """HTTP for LuminosoClient, with the token (if any) on every request:
    http.client for plain HTTP without a proxy (the local server, see
    PlainHttp), urllib3's connection pools for the rest.

    urllib3 directly rather than through requests: requests' work around each
    call (cookies, hooks, environment lookups) took 0.3 ms of a 3.4 ms
    `docs/search`. What requests took from the environment is kept: the proxy
    of http_proxy / https_proxy unless no_proxy names the host, and the CA
    bundle of REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, else certifi's.
    """

    def __init__(self, token: str | None = None):
        self.token = token
        self._managers: dict[str, urllib3.PoolManager] = {}
        self._plain: dict[str, PlainHttp | None] = {}

    def _manager(self, url: str) -> urllib3.PoolManager:
        parsed = urlparse(url)
        server = f"{parsed.scheme}://{parsed.netloc}"
        manager = self._managers.get(server)
        if manager is None:
            ca_certs = (os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
                        or certifi.where())
            proxy = getproxies().get(parsed.scheme)
            if proxy and not proxy_bypass(parsed.hostname or ""):
                manager = urllib3.ProxyManager(proxy, ca_certs=ca_certs)
            else:
                manager = urllib3.PoolManager(ca_certs=ca_certs)
            self._managers[server] = manager
        return manager

    def _plain_http(self, url: str) -> PlainHttp | None:
        """The http.client connections for a plain-HTTP URL that no proxy
        serves; None for any other URL."""
        parsed = urlsplit(url)
        server = f"{parsed.scheme}://{parsed.netloc}"
        if server not in self._plain:
            host = parsed.hostname
            proxied = isinstance(self._manager(url), urllib3.ProxyManager)
            self._plain[server] = (PlainHttp(host, parsed.port or 80)
                                   if parsed.scheme == "http" and host and not proxied else None)
        return self._plain[server]

    def request(self, method: str, url: str, timeout: float, params: dict | None = None,
                data: dict | str | bytes | None = None, headers: dict | None = None,
                stream: bool = False) -> Answer:
        """Send one request: `params` go in the query string, a dict `data` as
        a form, other `data` as it is. Network failures become one-line
        LuminosoTimeoutError or LuminosoConnectionError naming the server's API
        root. With `stream`, the body is left to read (and release)."""
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        headers = dict(headers or {})
        if isinstance(data, dict):
            data = urlencode(data)
            headers.setdefault("Content-Type", "application/x-www-form-urlencoded")
        if self.token:
            headers["Authorization"] = "Token " + self.token
        plain = None if stream else self._plain_http(url)
        if plain is not None:
            answer = self._plain_request(plain, method, url, timeout, data, headers)
            if answer.status not in REDIRECT_STATUSES:
                return answer
        try:
            return self._manager(url).request(
                method.upper(), url, body=data, headers=headers, preload_content=not stream,
                timeout=urllib3.Timeout(connect=timeout, read=timeout), retries=_REDIRECTS_ONLY)
        except HTTPError as exc:
            reason = exc.reason if isinstance(exc, MaxRetryError) and exc.reason else exc
            # NewConnectionError (refused, unknown host) is a ConnectTimeoutError too
            timed_out = isinstance(reason, HTTPTimeoutError) and not isinstance(reason, NewConnectionError)
            raise _network_error(method, url, timeout, exc, timed_out) from exc

    @staticmethod
    def _plain_request(plain: PlainHttp, method: str, url: str, timeout: float,
                       data: str | bytes | None, headers: dict) -> PlainAnswer:
        parsed = urlsplit(url)
        target = quote(parsed.path or "/", safe=_TARGET_SAFE)
        if parsed.query:
            target += "?" + quote(parsed.query, safe=_TARGET_SAFE)
        # A server may compress only what it was told it can: this reader does not decode.
        headers.setdefault("Accept-Encoding", "identity")
        body = data.encode("utf-8") if isinstance(data, str) else data
        try:
            return plain.request(method.upper(), target, body, headers, timeout)
        except (OSError, http.client.HTTPException) as exc:
            raise _network_error(method, url, timeout, exc, isinstance(exc, TimeoutError)) from exc


def _network_error(method: str, url: str, timeout: float, exc: BaseException,
                   timed_out: bool) -> LuminosoError:
    """The one-line error for a request that got no answer."""
    root = get_root_url(url) + "/"
    if timed_out:
        return LuminosoTimeoutError(
            f"no answer from {root} within {timeout:g} s ({method.upper()} {url}): the "
            "server may be busy or stuck; try again with a longer timeout, or restart it")
    return LuminosoConnectionError(
        f"cannot reach {root} ({_failure_reason(exc)}): {_unreachable_advice(url)}")


def _loads(data: bytes):
    """JSON from bytes: orjson reads a search answer ~3x faster than json, and
    json takes what orjson refuses (NaN, which Python servers may send)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def _text(response: Answer) -> str:
    return response.data.decode("utf-8", errors="replace")


def _error_from(response: Answer):
    try:
        return json.loads(response.data)["error"]
    except (ValueError, KeyError, TypeError):
        return _text(response)


def _error_class(status: int) -> type[LuminosoError]:
    if status in (401, 403):
        return LuminosoAuthError
    if status in (400, 404, 405, 413):
        return LuminosoClientError
    if status >= 500:
        return LuminosoServerError
    return LuminosoError


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
            token = config.read_tokens(token_file).get(netloc)
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
            raise LuminosoLoginError(_error_from(response), response.status)
        return json.loads(response.data)["result"]["token"]

    # ---- requests ----------------------------------------------------------------------
    def _request(self, method: str, url: str, **kwargs) -> Answer:
        """Send, retrying idempotent requests on 429/502/503 with backoff
        (honouring Retry-After), and turn HTTP errors into exceptions."""
        attempts = self.retries + 1 if method in IDEMPOTENT_METHODS else 1
        for attempt in range(attempts):
            response = self.transport.request(method, url, self.timeout, **kwargs)
            if response.status not in RETRY_STATUSES or attempt == attempts - 1:
                break
            response.drain_conn()  # a streamed body, read to free its connection
            time.sleep(self._retry_delay(response, attempt))
        if response.status >= 400:
            raise self._error(response)
        return response

    def _error(self, response: Answer) -> LuminosoError:
        error, status = _error_from(response), response.status
        code = error.get("code") if isinstance(error, dict) else None
        # A wrong old password (PUT user/password) is a 401 too, but not the token's fault.
        if status == 401 and code != "AUTH_CREDS_INVALID":
            netloc = urlparse(self.root_url).netloc
            reason = f"{code}, HTTP 401" if code else "HTTP 401"
            return LuminosoAuthError(error, status, description=(
                f"the token for {netloc} was refused ({reason}): log in again, "
                "or restart `lumiwork serve`, which saves a fresh token"))
        return _error_class(status)(error, status)

    def _retry_delay(self, response: Answer, attempt: int) -> float:
        retry_after = response.headers.get("Retry-After", "")
        if retry_after.isdigit():
            return min(float(retry_after), 60.0)
        return self.backoff * 2 ** attempt

    def _json_request(self, method: str, url: str, **kwargs):
        response = self._request(method, url, **kwargs)
        try:
            body = _loads(response.data)
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
                                          f"{_failure_reason(exc)}") from exc
        finally:
            response.release_conn()

    def get_raw(self, path: str, **params) -> str:
        return _text(self._request("get", self._url(path), params=jsonify_parameters(params)))

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
        config.save_token(urlparse(self.root_url).netloc, token, token_file)
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
