"""Names fixed by the wire contracts, shared by the client, the notebooks, the
server and the engine."""
from __future__ import annotations

#: Where `lumiwork serve` and `lumiwork lab` listen unless told otherwise.
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765

#: The path of each API under a server's address.
V4_ROOT = "/api/v4/"
V5_ROOT = "/api/v5/"
COMPASS_ROOT = "/compass/api/"
#: lumiwork's own API: what the server does beyond Luminoso's APIs (channels, alerts).
MANAGE_ROOT = "/api/manage/"

#: The subset every v4 document belongs to (the cookbook's name for it).
ALL_SUBSET = "__all__"
#: What a Compass classifier answers for a message no topic passes.
UNCLASSIFIED = "UNCLASSIFIED"


def netloc(host: str, port: int) -> str:
    """host:port, with an IPv6 address in brackets."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def local_url(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
    """The API v4 root of a local server, e.g. http://127.0.0.1:8765/api/v4/."""
    return f"http://{netloc(host, port)}{V4_ROOT}"


def local_v5_url(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
    """The API v5 root of a local server, e.g. http://127.0.0.1:8765/api/v5/."""
    return f"http://{netloc(host, port)}{V5_ROOT}"


def local_compass_url(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
    """The Compass API root of a local server, e.g. http://127.0.0.1:8765/compass/api/."""
    return f"http://{netloc(host, port)}{COMPASS_ROOT}"


def local_manage_url(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> str:
    """The management API root of a local server, e.g. http://127.0.0.1:8765/api/manage/."""
    return f"http://{netloc(host, port)}{MANAGE_ROOT}"
