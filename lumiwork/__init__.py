"""lumiwork: a notebook workbench for semantic text analytics on Luminoso's
APIs, with an embedded local server.

The package's layers, one folder each: `wire` (what client and server share),
`client`, `notebook`, `engine`, `server` and `tools`. The names analysts use
are re-exported here and as `lumiwork.frames`, `plots`, `widgets`, `tables`,
`vectors`, `datasets` and `compass`."""
from __future__ import annotations

from .client import (
    LuminosoAPIError,
    LuminosoAuthError,
    LuminosoClient,
    LuminosoClientError,
    LuminosoConnectionError,
    LuminosoError,
    LuminosoLoginError,
    LuminosoServerError,
    LuminosoTimeoutError,
    UnknownQueryError,
    find_project,
)
from .client.connections import last_connection, remember_connection
from .settings import Settings
from .wire.names import DEFAULT_PORT, local_url

__version__ = "0.1.0"
LOCAL_URL = local_url()

_embedded = None  # the server this process started, if any


def local_server_url(port: int = DEFAULT_PORT, settings: Settings | None = None) -> str:
    """URL of the local server on `port`, starting one in this process if none answers."""
    global _embedded
    from .client.transport import Transport

    url = local_url(port=port)
    try:
        if Transport(retries=0).request("get", url + "ping/", 2).status == 200:
            return url
    except LuminosoError:
        pass
    if _embedded is None:
        from .server import EmbeddedServer

        _embedded = EmbeddedServer(port=port, settings=settings)
    return _embedded.url


def embedded_server():
    """The server `local_server_url` started in this process, if it did."""
    return _embedded


def connect(project: str | None = None, url: str | None = None,
            token: str | None = None) -> LuminosoClient:
    """A client for your default account, or for the project named `project`
    (the newest one if several share the name; see `find_project`).

    The server is `url`, else $LUMIWORK_URL (with $LUMIWORK_TOKEN), else the
    embedded local server on 127.0.0.1:8765, started if it is not running.
    A given URL that does not answer raises LuminosoConnectionError.
    """
    settings = Settings.from_environment()
    url = url or settings.url or local_server_url()
    token = token or settings.token
    client = LuminosoClient.connect(url, token=token)
    bound = settings.project
    if bound is not None:  # a dashboard's kernel: its token reads this one project only
        bound_project = client.change_path(f"/projects/{bound[0]}/{bound[1]}/")
        remember_connection(bound_project.root_url + "/", bound_project.get("")["name"], bound[1],
                            account=client.change_path(f"/projects/{bound[0]}/").url)
        return bound_project
    account = client.change_path(f"/projects/{client.default_account()}/")
    if project is None:
        remember_connection(account.root_url + "/", account=account.url)
        return account
    found = find_project(account, project)
    if found is None:
        names = sorted({p["name"] for p in account.get("")})
        shown = ", ".join(map(repr, names[:10])) + (", ..." if len(names) > 10 else "")
        raise LuminosoClientError({"code": "NOT_FOUND", "message": (
            f"no project named {project!r} at {account.url} (there: {shown or 'none'}): create it "
            "with `lumiwork upload`, or run `lumiwork demo` (or `lumiwork lab`) for the "
            "Siddhartha demo")})
    remember_connection(account.root_url + "/", found["name"], found["project_id"], account=account.url)
    return account.change_path(found["project_id"])


def setup_notebook() -> None:
    """Once at the top of a notebook: figures that render in JupyterLab and in
    exported reports, and sortable tables; both embed their JavaScript, so
    reports open offline."""
    from .notebook import figures, tables

    figures.use_notebook_renderer()
    tables.init_offline()


__all__ = [
    "LOCAL_URL",
    "LuminosoAPIError",
    "LuminosoAuthError",
    "LuminosoClient",
    "LuminosoClientError",
    "LuminosoConnectionError",
    "LuminosoError",
    "LuminosoLoginError",
    "LuminosoServerError",
    "LuminosoTimeoutError",
    "UnknownQueryError",
    "connect",
    "find_project",
    "last_connection",
    "setup_notebook",
]
