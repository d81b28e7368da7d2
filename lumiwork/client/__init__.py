"""The analyst's clients: one error tree and one transport (`errors`,
`transport`) under a client per API (`v4`, `v5`, `compass`).

`lumiwork.client.LuminosoClient` is the API v4 client, a drop-in for the
official `luminoso_api` v4 client."""
from .compass import CompassClient
from .errors import (
    LuminosoAPIError,
    LuminosoAuthError,
    LuminosoClientError,
    LuminosoConnectionError,
    LuminosoError,
    LuminosoLoginError,
    LuminosoServerError,
    LuminosoTimeoutError,
    UnknownQueryError,
)
from .transport import PlainHttp, Transport
from .v4 import LuminosoClient, ensure_trailing_slash, find_project, get_root_url, jsonify_parameters
from .v5 import V5Client

__all__ = [
    "CompassClient",
    "LuminosoAPIError",
    "LuminosoAuthError",
    "LuminosoClient",
    "LuminosoClientError",
    "LuminosoConnectionError",
    "LuminosoError",
    "LuminosoLoginError",
    "LuminosoServerError",
    "LuminosoTimeoutError",
    "PlainHttp",
    "Transport",
    "UnknownQueryError",
    "V5Client",
    "ensure_trailing_slash",
    "find_project",
    "get_root_url",
    "jsonify_parameters",
]
