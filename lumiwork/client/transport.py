"""HTTP for every lumiwork client: keep-alive connections, the token, timeouts,
polite retries, and one-line errors for servers that cannot be reached or that
answer with an error, whatever API (dialect) they speak."""
from __future__ import annotations

import http.client
import json
import os
import select
import socket
import threading
import time
from urllib.parse import quote, urlencode, urlparse, urlsplit
from urllib.request import getproxies, proxy_bypass

import certifi
import orjson
import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError
from urllib3.exceptions import TimeoutError as HTTPTimeoutError

from .errors import (
    LuminosoConnectionError,
    LuminosoError,
    LuminosoTimeoutError,
    error_class,
    parse_error_body,
)

DEFAULT_TIMEOUT = 60.0
RETRY_STATUSES = (429, 502, 503)
# Methods safe to send twice: a retried POST could create a second project.
IDEMPOTENT_METHODS = ("get", "put", "delete")
# The API roots lumiwork knows, for naming a server in errors.
API_ROOTS = ("/api/v4", "/api/v5", "/api/manage", "/compass/api")


def api_root(url: str) -> str:
    """The root of the API a URL belongs to (e.g. http://host:8765/api/v4/), or
    the server's own root for a URL under none of them."""
    parsed = urlparse(url)
    for root in API_ROOTS:
        if parsed.path == root or parsed.path.startswith(root + "/"):
            return f"{parsed.scheme}://{parsed.netloc}{root}/"
    return f"{parsed.scheme}://{parsed.netloc}/"


def failure_reason(exc: BaseException) -> str:
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

    Why not urllib3 here: against the local server, urllib3's work around each
    request is a noticeable share of a fast answer such as a `docs/search`
    (CHANGELOG.md). HTTPS and proxies stay with urllib3, which knows
    certificates and proxies.
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
    """HTTP for every lumiwork client, with the token (if any) on every request:
    http.client for plain HTTP without a proxy (the local server, see
    PlainHttp), urllib3's connection pools for the rest.

    urllib3 directly rather than through requests: requests' work around each
    call (cookies, hooks, environment lookups) is a noticeable share of a fast
    answer. What requests took from the environment is kept: the proxy
    of http_proxy / https_proxy unless no_proxy names the host, and the CA
    bundle of REQUESTS_CA_BUNDLE or CURL_CA_BUNDLE, else certifi's.
    """

    def __init__(self, token: str | None = None, retries: int = 3, backoff: float = 0.5):
        self.token = token
        self.retries = retries  # resends of an idempotent request answered 429, 502 or 503
        self.backoff = backoff  # seconds before the first resend, doubling after each
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

    def send(self, method: str, url: str, timeout: float = DEFAULT_TIMEOUT, params: dict | None = None,
             data: dict | str | bytes | None = None, json_body: object = None, headers: dict | None = None,
             stream: bool = False, retries: int | None = None, backoff: float | None = None) -> Answer:
        """`request`, resending idempotent requests (GET, PUT, DELETE) answered
        429, 502 or 503 up to `retries` times with backoff (honouring
        Retry-After), then raising the LuminosoError subclass of any error
        status, its message read from the answer whatever the API's dialect."""
        retries = self.retries if retries is None else retries
        attempts = retries + 1 if method.lower() in IDEMPOTENT_METHODS else 1
        for attempt in range(attempts):
            response = self.request(method, url, timeout, params, data, json_body, headers, stream)
            if response.status not in RETRY_STATUSES or attempt == attempts - 1:
                break
            response.drain_conn()  # a streamed body, read to free its connection
            time.sleep(retry_delay(response, attempt, self.backoff if backoff is None else backoff))
        if response.status >= 400:
            raise error_for(response, url, token_sent=bool(self.token))
        return response

    def request(self, method: str, url: str, timeout: float, params: dict | None = None,
                data: dict | str | bytes | None = None, json_body: object = None,
                headers: dict | None = None, stream: bool = False) -> Answer:
        """Send one request: `params` go in the query string, `json_body` as
        JSON, a dict `data` as a form, other `data` as it is. Network failures
        become one-line LuminosoTimeoutError or LuminosoConnectionError naming
        the server's API root. With `stream`, the body is left to read (and
        release)."""
        if params:
            url += ("&" if "?" in url else "?") + urlencode(params)
        headers = dict(headers or {})
        if json_body is not None:
            data = json.dumps(json_body)
            headers.setdefault("Content-Type", "application/json")
        elif isinstance(data, dict):
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
    root = api_root(url)
    if timed_out:
        return LuminosoTimeoutError(
            f"no answer from {root} within {timeout:g} s ({method.upper()} {url}): the "
            "server may be busy or stuck; try again with a longer timeout, or restart it")
    return LuminosoConnectionError(
        f"cannot reach {root} ({failure_reason(exc)}): {_unreachable_advice(url)}")


def retry_delay(response: Answer, attempt: int, backoff: float) -> float:
    """Seconds before resending: the answer's Retry-After (at most a minute), else backoff."""
    retry_after = response.headers.get("Retry-After", "")
    if retry_after.isascii() and retry_after.isdigit():
        return min(float(retry_after), 60.0)
    return backoff * 2 ** attempt


# A 401 that is not the token's fault: a wrong password, in a login or a password change.
WRONG_PASSWORD_CODES = ("AUTH_CREDS_INVALID",)


def error_for(response: Answer, url: str, token_sent: bool) -> LuminosoError:
    """The exception for an error answer, its message read in any dialect. A
    refused token says what to do about it."""
    error, status = parse_error_body(response.data), response.status
    code = error.get("code") if isinstance(error, dict) else None
    if status == 401 and token_sent and code not in WRONG_PASSWORD_CODES:
        netloc = urlparse(url).netloc
        reason = f"{code}, HTTP 401" if code else "HTTP 401"
        return error_class(status)(error, status, description=(
            f"the token for {netloc} was refused ({reason}): log in again, "
            "or restart `lumiwork serve`, which saves a fresh token"))
    return error_class(status)(error, status)


def loads(data: bytes):
    """JSON from bytes: orjson reads a search answer several times faster than
    json, and json takes what orjson refuses (NaN, which Python servers may
    send)."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return json.loads(data)


def text(response: Answer) -> str:
    return response.data.decode("utf-8", errors="replace")
