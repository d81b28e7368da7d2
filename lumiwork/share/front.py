"""The share front: what a link holder reaches, and all it can reach.

A link is `<front>/s/<dashboard>#t=<signed link id>`. The fragment never
leaves the browser in a request, so no server, proxy log or Referer sees the
token: the page's script posts it to `/s/<dashboard>/exchange`, which checks
the link (signature, dashboard, revocation, expiry, inactivity) and answers
with a session cookie scoped to `/d/<dashboard>/` and the clean URL to go on
to. The session id is stored hashed; the link row decides on every request,
so revoking a link ends its sessions at once.

`/d/<dashboard>/` is a launcher page whose script goes on to the live view
with a one-time pass: clients that run no script never start a kernel. The
live view (`/d/<dashboard>/app/`) is forwarded to the dashboard's Voila with
the link's locked parameters as its only query string, after the caps (per
link, per dashboard) are checked. Only Voila's assets, the viewer's own
kernel (its model, its two WebSockets, its shutdown) are forwarded; every
other path gets the front's "nothing here" page. Viewer cookies never reach
Voila and Voila's cookies never reach the viewer.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
import secrets
import time
from dataclasses import dataclass
from urllib.parse import urlencode

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from ..server.core.links import read_link
from ..server.db import Store
from . import pages
from .limits import RateLimiter
from .voila import Limits, VoilaProcess, VoilaUnavailable, prepare_jupyter_path

log = logging.getLogger(__name__)

COOKIE = "lw_share"
NONCE_SECONDS = 60.0
TOUCH_SECONDS = 30.0           # a session's activity is written at most this often
IDLE_VOILA_SECONDS = 600.0     # a dashboard's Voila with no kernel this long is stopped
NO_EXPIRY_COOKIE_SECONDS = 30 * 86400
ABANDONED_SECONDS = 60.0       # a view with no WebSocket open this long has lost its page
CLOSED_SESSION_SECONDS = 86400.0  # how long a withdrawn or expired link's viewers are told why
KERNEL_ID = re.compile(r'"kernelId":\s*"([0-9a-f-]{36})"')
ASSET_PREFIXES = ("voila/static/", "voila/templates/", "voila/labextensions/", "voila/api/themes/")
UPSTREAM_HEADERS = ("accept", "accept-encoding", "accept-language", "content-type", "if-none-match",
                    "if-modified-since", "user-agent")
DOWNSTREAM_HEADERS = ("content-type", "content-encoding", "etag", "last-modified", "cache-control")


@dataclass
class Kernel:
    """A viewer's kernel: whose it is, and its WebSockets open through the front."""

    kernel_id: str
    session_hash: str
    link_id: str
    dashboard_id: str
    started: float
    sockets: int = 0
    connected: bool = False
    left: float | None = None  # when its page's last WebSocket closed (the tab was closed or lost)


@dataclass
class Viewer:
    session: str
    session_row: dict
    link: dict


class ShareFront:
    """The front's state: Voila processes, viewers' kernels, passes and limits."""

    def __init__(self, store: Store, api_url: str, limits: Limits | None = None,
                 exchange_limit: RateLimiter | None = None, launch_limit: RateLimiter | None = None,
                 clock=time.time, abandoned_seconds: float = ABANDONED_SECONDS):
        self.store = store
        self.abandoned_seconds = abandoned_seconds
        self.api_url = api_url
        self.limits = limits or Limits()
        self.clock = clock
        # Per client address: link exchanges (a failed one costs more: guessing is slow).
        self.exchange_limit = exchange_limit or RateLimiter(burst=20, per_second=0.2)
        # Per link: live views started.
        self.launch_limit = launch_limit or RateLimiter(burst=30, per_second=0.5)
        self.voilas: dict[str, VoilaProcess] = {}
        self.kernels: dict[str, Kernel] = {}
        self.nonces: dict[str, tuple[str, str, float]] = {}  # nonce -> (session hash, dashboard, expiry)
        self.touched: dict[str, float] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self.http = httpx.AsyncClient(timeout=httpx.Timeout(120.0, connect=10.0), follow_redirects=False)
        self.jupyter_path = prepare_jupyter_path(store.dashboards_dir / "jupyter")

    # ---- viewers ---------------------------------------------------------------------------------
    def link_refusal(self, link: dict) -> str | None:
        """Why a link no longer opens (a key of pages.REFUSALS), or None."""
        now = self.clock()
        if link["revoked"] is not None:
            return "revoked"
        if link["expires"] is not None and now >= link["expires"]:
            return "expired"
        if link["inactivity"] is not None and now - (link["last_view"] or link["created"]) > link["inactivity"]:
            return "inactive"
        if self.store.dashboards.get(link["dashboard_id"]) is None:
            return "revoked"
        return None

    def viewer(self, cookies: dict[str, str], dashboard_id: str) -> Viewer | str:
        """The viewer a request's session cookie stands for, or why there is none."""
        session = cookies.get(COOKIE, "")
        row = self.store.share_links.session(session) if session else None
        if row is None:
            return "session"
        link = self.store.share_links.get(row["link_id"])
        if link is None:
            return "session"
        if link["dashboard_id"] != dashboard_id:
            return "foreign"
        reason = self.link_refusal(link)
        if reason is None and link["inactivity"] is not None and self.clock() - row["last_seen"] > link["inactivity"]:
            reason = "session"
        if reason == "session":
            self.store.share_links.end_session(session)
        if reason is not None:
            # a closed link's sessions stay a day (forget_closed_sessions), so that each
            # request of its viewers is told why, not asked for a link that no longer opens
            return reason
        return Viewer(session, row, link)

    def touch(self, viewer: Viewer) -> None:
        """Record a viewer's activity (at most every TOUCH_SECONDS): it keeps the
        session and the link from ending for inactivity."""
        now = self.clock()
        key = viewer.session_row["session_hash"]
        if now - self.touched.get(key, 0.0) < TOUCH_SECONDS:
            return
        self.touched[key] = now
        self.store.share_links.touch_session(viewer.session, now)
        self.store.share_links.count_view(viewer.link["link_id"], now, add=0)

    # ---- Voila processes and kernels ---------------------------------------------------------
    def _lock(self, dashboard_id: str) -> asyncio.Lock:
        return self._locks.setdefault(dashboard_id, asyncio.Lock())

    async def voila_for(self, dashboard: dict) -> VoilaProcess:
        dashboard_id = dashboard["dashboard_id"]
        voila = self.voilas.get(dashboard_id)
        if voila is not None and voila.alive():
            return voila
        if voila is not None:
            self._forget_kernels(dashboard_id)
        folder = self.store.dashboards_dir / dashboard_id
        voila = VoilaProcess(
            notebook=self.store.data_dir / dashboard["notebook"], base_url=f"/d/{dashboard_id}/app/",
            workdir=folder / "voila", jupyter_path=self.jupyter_path, limits=self.limits,
            kernel_env={"LUMIWORK_URL": self.api_url,
                        "LUMIWORK_TOKEN": self.store.tokens.scoped_token(dashboard["token_id"]),
                        "LUMIWORK_PROJECT": f"{dashboard['account_id']}/{dashboard['project_id']}",
                        "LUMIWORK_DASHBOARD": dashboard_id})
        await voila.start()
        self.voilas[dashboard_id] = voila
        return voila

    def _forget_kernels(self, dashboard_id: str) -> None:
        for kernel_id in [k for k, v in self.kernels.items() if v.dashboard_id == dashboard_id]:
            del self.kernels[kernel_id]

    async def _kernel_alive(self, voila: VoilaProcess, kernel_id: str) -> bool:
        try:
            answer = await self.http.get(f"{voila.url}api/kernels/{kernel_id}", headers=self._upstream_auth(voila))
        except httpx.HTTPError:
            return False
        return answer.status_code == 200

    async def _shutdown_kernel(self, voila: VoilaProcess, kernel_id: str) -> None:
        self.kernels.pop(kernel_id, None)
        with contextlib.suppress(httpx.HTTPError):
            await self.http.post(f"{voila.url}voila/api/shutdown/{kernel_id}", headers=self._upstream_auth(voila))

    async def make_room(self, viewer: Viewer, dashboard_id: str) -> None:
        """Before a new view: forget kernels Voila has closed (idle ones), and
        close this viewer's own kernels whose page is gone (a reload: the old
        page's goodbye may arrive after the new page's request)."""
        voila = self.voilas.get(dashboard_id)
        if voila is None or not voila.alive():
            self._forget_kernels(dashboard_id)
            return
        now = self.clock()
        for kernel in [k for k in self.kernels.values() if k.dashboard_id == dashboard_id]:
            own = kernel.session_hash == viewer.session_row["session_hash"]
            if own and kernel.sockets == 0 and (kernel.connected or now - kernel.started > 30):
                await self._shutdown_kernel(voila, kernel.kernel_id)
            elif self._abandoned(kernel, now):
                await self._shutdown_kernel(voila, kernel.kernel_id)
            elif not await self._kernel_alive(voila, kernel.kernel_id):
                self.kernels.pop(kernel.kernel_id, None)

    def _abandoned(self, kernel: Kernel, now: float) -> bool:
        """A view whose page has been gone a while: a live page keeps its kernel's
        WebSocket open, so none for `abandoned_seconds` means a closed or lost tab
        (the wait lets a page that lost its connection reconnect)."""
        return kernel.sockets == 0 and kernel.left is not None and now - kernel.left > self.abandoned_seconds

    async def close_abandoned(self) -> None:
        """Free the memory and the cap slots of views whose page is gone."""
        now = self.clock()
        for kernel in [k for k in self.kernels.values() if self._abandoned(k, now)]:
            voila = self.voilas.get(kernel.dashboard_id)
            if voila is not None:
                await self._shutdown_kernel(voila, kernel.kernel_id)
            else:
                self.kernels.pop(kernel.kernel_id, None)

    def _upstream_auth(self, voila: VoilaProcess) -> dict[str, str]:
        return {"Authorization": f"token {voila.token}"}

    async def stop_idle_voilas(self) -> None:
        now = self.clock()
        for dashboard_id, voila in list(self.voilas.items()):
            async with self._lock(dashboard_id):
                if not any(k.dashboard_id == dashboard_id for k in self.kernels.values()):
                    if now - voila.started > IDLE_VOILA_SECONDS:
                        await asyncio.to_thread(voila.stop)
                        del self.voilas[dashboard_id]

    async def revoke_sweep(self) -> None:
        """Close kernels whose link was revoked or has expired, or whose dashboard is gone."""
        for kernel in list(self.kernels.values()):
            link = self.store.share_links.get(kernel.link_id)
            if link is None or self.link_refusal(link) is not None:
                voila = self.voilas.get(kernel.dashboard_id)
                if voila is not None:
                    await self._shutdown_kernel(voila, kernel.kernel_id)

    async def close(self) -> None:
        for voila in self.voilas.values():
            await asyncio.to_thread(voila.stop)
        self.voilas.clear()
        await self.http.aclose()


# ---- HTTP handlers ---------------------------------------------------------------------------------

def _front(request) -> ShareFront:
    return request.app.state.front


def _client_address(request) -> str:
    return request.client.host if request.client else ""


async def home(request: Request) -> Response:
    return pages.page("lumiwork dashboards", "<h1>lumiwork dashboards</h1><p class='what'>Open the link you "
                      "received to see a dashboard.</p>")


async def open_link(request: Request) -> Response:
    return pages.exchange_page(request.path_params["dashboard"])


async def refused(request: Request) -> Response:
    reason = request.path_params["reason"]
    return pages.refusal(reason if reason in pages.REFUSALS else "not_found")


async def exchange(request: Request) -> Response:
    """A link's token for a session cookie (see the module's docstring)."""
    front = _front(request)
    dashboard_id = request.path_params["dashboard"]
    address = _client_address(request)
    wait = front.exchange_limit.retry_after(address)
    if wait:
        return pages.refusal("slow_down", {"Retry-After": str(wait)})
    body = await request.body()
    try:
        token = json.loads(body[:4096]).get("t", "") if len(body) <= 4096 else ""
    except (ValueError, AttributeError):
        token = ""
    link_id = read_link(front.store.secret, token if isinstance(token, str) else "")
    link = front.store.share_links.get(link_id) if link_id else None
    if link is None:
        front.exchange_limit.retry_after(address, cost=4)  # a wrong link: guessing costs more
        return pages.refusal("invalid")
    if link["dashboard_id"] != dashboard_id:
        return pages.refusal("foreign")
    reason = front.link_refusal(link)
    if reason is not None:
        return pages.refusal(reason)
    now = front.clock()
    session = front.store.share_links.open_session(link["link_id"], now)
    front.store.share_links.count_view(link["link_id"], now)
    lifetime = int(link["expires"] - now) if link["expires"] is not None else NO_EXPIRY_COOKIE_SECONDS
    response = JSONResponse({"next": f"/d/{dashboard_id}/"}, headers={**pages.SECURITY_HEADERS, **pages.NO_STORE})
    response.set_cookie(COOKIE, session, max_age=max(1, lifetime), path=f"/d/{dashboard_id}/", httponly=True,
                        samesite="strict", secure=request.url.scheme == "https")
    return response


async def launcher(request: Request) -> Response:
    front = _front(request)
    dashboard_id = request.path_params["dashboard"]
    viewer = front.viewer(request.cookies, dashboard_id)
    if isinstance(viewer, str):
        return pages.refusal(viewer)
    if viewer.link["snapshot"]:
        return RedirectResponse(f"/d/{dashboard_id}/snapshot", 303, headers=pages.NO_STORE)
    nonce = secrets.token_urlsafe(18)
    now = front.clock()
    front.nonces = {k: v for k, v in front.nonces.items() if v[2] > now}
    front.nonces[nonce] = (viewer.session_row["session_hash"], dashboard_id, now + NONCE_SECONDS)
    return pages.launcher_page(f"/d/{dashboard_id}/app/?n={nonce}")


async def snapshot(request: Request) -> Response:
    """The latest scheduled run's HTML: no kernel at all."""
    front = _front(request)
    dashboard_id = request.path_params["dashboard"]
    viewer = front.viewer(request.cookies, dashboard_id)
    if isinstance(viewer, str):
        return pages.refusal(viewer)
    # A link with locked parameters never sees a run made without them.
    run = None if viewer.link["params"] else front.store.runs.latest_done(dashboard_id)
    html_files = [name for name in (run or {}).get("files", []) if name.endswith(".html")]
    if not html_files:
        return pages.refusal("snapshot")
    path = front.store.dashboards_dir / dashboard_id / "runs" / run["run_id"] / html_files[0]  # type: ignore[index]
    if not path.is_file():
        return pages.refusal("snapshot")
    front.touch(viewer)
    return FileResponse(path, media_type="text/html; charset=utf-8",
                        headers={**pages.SECURITY_HEADERS, **pages.NO_STORE})


async def app_request(request: Request) -> Response:
    """What a live view asks of the front under /d/<dashboard>/app/."""
    front = _front(request)
    dashboard_id = request.path_params["dashboard"]
    path = request.path_params.get("path", "")
    viewer = front.viewer(request.cookies, dashboard_id)
    if isinstance(viewer, str):
        return pages.refusal(viewer)
    if ".." in path.split("/") or "\\" in path:
        return pages.refusal("not_found")
    if path == "" and request.method == "GET":
        return await _live_view(request, front, viewer, dashboard_id)
    voila = front.voilas.get(dashboard_id)
    if voila is None or not voila.alive():
        return pages.refusal("not_found")
    if request.method == "GET" and path.startswith(ASSET_PREFIXES):
        return await _forward_asset(request, front, voila, path)
    kernel_path = re.fullmatch(r"api/kernels/([0-9a-f-]{36})", path)
    if request.method == "GET" and kernel_path and _owns(front, viewer, kernel_path.group(1)):
        return await _forward(request, front, voila, path)
    shutdown = re.fullmatch(r"voila/api/shutdown/([0-9a-f-]{36})", path)
    if request.method == "POST" and shutdown and _owns(front, viewer, shutdown.group(1)):
        front.kernels.pop(shutdown.group(1), None)
        return await _forward(request, front, voila, path)
    return pages.refusal("not_found")


def _owns(front: ShareFront, viewer: Viewer, kernel_id: str) -> bool:
    kernel = front.kernels.get(kernel_id)
    return kernel is not None and kernel.session_hash == viewer.session_row["session_hash"]


async def _live_view(request: Request, front: ShareFront, viewer: Viewer, dashboard_id: str) -> Response:
    """The dashboard's page from Voila, which starts this view's kernel: only
    with a valid one-time pass from the launcher, and within the caps."""
    nonce = front.nonces.pop(request.query_params.get("n", ""), None)
    if nonce is None or nonce[0] != viewer.session_row["session_hash"] or nonce[1] != dashboard_id \
            or nonce[2] < front.clock():
        return RedirectResponse(f"/d/{dashboard_id}/", 303, headers=pages.NO_STORE)
    link = viewer.link
    if link["snapshot"]:
        return pages.refusal("not_found")
    wait = front.launch_limit.retry_after(link["link_id"])
    if wait:
        return pages.refusal("slow_down", {"Retry-After": str(wait)})
    dashboard = front.store.dashboards.get(dashboard_id)
    if dashboard is None:
        return pages.refusal("revoked")
    async with front._lock(dashboard_id):
        await front.make_room(viewer, dashboard_id)
        running = [k for k in front.kernels.values() if k.dashboard_id == dashboard_id]
        if (sum(k.link_id == link["link_id"] for k in running) >= link["max_viewers"]
                or len(running) >= front.limits.per_dashboard):
            return pages.refusal("busy")
        try:
            voila = await front.voila_for(dashboard)
            # The link's locked parameters are the page's only query string: what
            # the kernel sees as QUERY_STRING. Nothing of the viewer's goes on.
            query = urlencode(sorted(link["params"].items()))
            answer = await front.http.get(voila.url + (f"?{query}" if query else ""),
                                          headers=front._upstream_auth(voila))
        except (VoilaUnavailable, httpx.HTTPError) as exc:
            log.warning("dashboard %s unavailable: %s", dashboard_id, exc)
            return pages.refusal("unavailable")
        found = KERNEL_ID.search(answer.text)
        if answer.status_code != 200 or found is None:
            log.warning("dashboard %s: Voila answered %s", dashboard_id, answer.status_code)
            return pages.refusal("unavailable")
        front.kernels[found.group(1)] = Kernel(found.group(1), viewer.session_row["session_hash"], link["link_id"],
                                               dashboard_id, front.clock())
    front.touch(viewer)
    return Response(answer.content, media_type="text/html; charset=utf-8",
                    headers={**pages.SECURITY_HEADERS, **pages.NO_STORE})


def _upstream_headers(request: Request, voila: VoilaProcess) -> dict[str, str]:
    headers = {name: value for name, value in request.headers.items() if name in UPSTREAM_HEADERS}
    headers["Authorization"] = f"token {voila.token}"
    return headers


async def _forward(request: Request, front: ShareFront, voila: VoilaProcess, path: str) -> Response:
    body = await request.body() if request.method == "POST" else None
    try:
        answer = await front.http.request(request.method, voila.url + path, content=body,
                                          params=str(request.query_params),
                                          headers=_upstream_headers(request, voila))
    except httpx.HTTPError:
        return pages.refusal("unavailable")
    if answer.status_code >= 500:
        return pages.refusal("unavailable")
    headers = {k: v for k, v in answer.headers.items() if k in DOWNSTREAM_HEADERS and k != "content-encoding"}
    return Response(answer.content, status_code=answer.status_code, headers={**headers, **pages.SECURITY_HEADERS})


async def _forward_asset(request: Request, front: ShareFront, voila: VoilaProcess, path: str) -> Response:
    upstream = front.http.build_request("GET", voila.url + path, params=str(request.query_params),
                                        headers=_upstream_headers(request, voila))
    try:
        answer = await front.http.send(upstream, stream=True)
    except httpx.HTTPError:
        return pages.refusal("unavailable")
    if answer.status_code not in (200, 304):
        await answer.aclose()
        return pages.refusal("not_found")
    headers = {k: v for k, v in answer.headers.items() if k in DOWNSTREAM_HEADERS}

    async def body():
        try:
            async for chunk in answer.aiter_raw():
                yield chunk
        finally:
            await answer.aclose()

    return StreamingResponse(body(), status_code=answer.status_code, headers={**headers, **pages.SECURITY_HEADERS})


# ---- WebSockets ------------------------------------------------------------------------------------

async def app_socket(websocket: WebSocket) -> None:
    """A viewer's kernel channels or progressive rendering, bridged to Voila:
    only for the viewer's own kernel, and only from a page of this front (the
    Origin check stops another site's page from using a viewer's cookie)."""
    import websockets
    from websockets.asyncio.client import connect

    front: ShareFront = websocket.app.state.front
    dashboard_id = websocket.path_params["dashboard"]
    path = websocket.path_params.get("path", "")
    host = websocket.headers.get("host", "")
    origin = websocket.headers.get("origin", "")
    viewer = front.viewer(websocket.cookies, dashboard_id)
    match = re.fullmatch(r"api/kernels/([0-9a-f-]{36})/channels|voila/execution/([0-9a-f-]{36})", path)
    kernel_id = (match.group(1) or match.group(2)) if match else ""
    voila = front.voilas.get(dashboard_id)
    if (isinstance(viewer, str) or not match or origin not in (f"http://{host}", f"https://{host}")
            or not _owns(front, viewer, kernel_id) or voila is None):
        await websocket.close(code=4403)
        return
    kernel = front.kernels[kernel_id]
    query = websocket.url.query
    target = f"ws://127.0.0.1:{voila.port}{voila.base_url}{path}" + (f"?{query}" if query else "")
    try:
        upstream = await connect(target, additional_headers=front._upstream_auth(voila),
                                 subprotocols=websocket.scope.get("subprotocols") or None, max_size=None,
                                 open_timeout=30, ping_interval=None)
    except (OSError, websockets.WebSocketException, TimeoutError):
        await websocket.close(code=1011)
        return
    await websocket.accept(subprotocol=upstream.subprotocol)
    kernel.sockets += 1
    kernel.connected = True
    kernel.left = None

    async def to_upstream():
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            if isinstance(viewer, Viewer):
                front.touch(viewer)
            if message.get("bytes") is not None:
                await upstream.send(message["bytes"])
            elif message.get("text") is not None:
                await upstream.send(message["text"])

    async def to_viewer():
        async for message in upstream:
            if isinstance(message, bytes):
                await websocket.send_bytes(message)
            else:
                await websocket.send_text(message)

    tasks = [asyncio.create_task(to_upstream()), asyncio.create_task(to_viewer())]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
    except (WebSocketDisconnect, websockets.WebSocketException):
        pass
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        kernel.sockets -= 1
        if kernel.sockets == 0:
            kernel.left = front.clock()
        await upstream.close()
        # the viewer's side may be gone already (a closed tab): nothing left to tell it
        with contextlib.suppress(Exception):
            await websocket.close()


async def not_found(request: Request) -> Response:
    return pages.refusal("not_found")


def create_front(store: Store, api_url: str, **options) -> Starlette:
    """The share front's application (see the module's docstring)."""
    front = ShareFront(store, api_url, **options)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async def housekeeping():
            while True:
                await asyncio.sleep(15)
                try:
                    await front.revoke_sweep()
                    await front.close_abandoned()
                    await front.stop_idle_voilas()
                    front.store.share_links.forget_closed_sessions(front.clock() - CLOSED_SESSION_SECONDS)
                except Exception:  # housekeeping must outlive one bad round
                    log.exception("share front housekeeping")

        task = asyncio.create_task(housekeeping())
        try:
            yield
        finally:
            task.cancel()
            await front.close()

    async def error_page(request, exc) -> Response:
        status = getattr(exc, "status_code", 500)
        return pages.refusal("not_found" if status in (404, 405) else "unavailable")

    app = Starlette(routes=[
        Route("/", home, methods=["GET"]),
        Route("/s/{dashboard}", open_link, methods=["GET"]),
        Route("/s/{dashboard}/exchange", exchange, methods=["POST"]),
        Route("/s/{dashboard}/refused/{reason}", refused, methods=["GET"]),
        Route("/d/{dashboard}/", launcher, methods=["GET"]),
        Route("/d/{dashboard}/snapshot", snapshot, methods=["GET"]),
        Route("/d/{dashboard}/app/{path:path}", app_request, methods=["GET", "POST"]),
        WebSocketRoute("/d/{dashboard}/app/{path:path}", app_socket),
        Route("/{path:path}", not_found, methods=["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]),
    ], lifespan=lifespan, exception_handlers={404: error_page, 405: error_page, Exception: error_page})
    app.state.front = front
    return app


__all__ = ["COOKIE", "ShareFront", "create_front"]
