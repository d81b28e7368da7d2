"""API v4's dialect: every answer in the {"result", "error"} envelope."""
from __future__ import annotations

from typing import Any

from ...wire.names import COMPASS_ROOT, V4_ROOT, V5_ROOT
from ..core.dialect import Dialect, Identity
from ..core.errors import ApiError
from ..core.jsonstrict import dumps_json


class V4Dialect(Dialect):
    name = "v4"
    root = V4_ROOT.rstrip("/")

    def encode(self, result: Any) -> bytes:
        """{"result": result, "error": null} as JSON bytes.

        A list is encoded item by item: one json.dumps call holds the GIL until
        it returns, and encoding a 30 MB answer in one call kept the event loop
        (and every `ping/`) waiting for seconds.
        """
        if isinstance(result, list) and len(result) > 1:
            items = b",".join(dumps_json(item) for item in result)
            return b'{"result":[' + items + b'],"error":null}'
        return dumps_json({"result": result, "error": None})

    def error_body(self, error: ApiError) -> Any:
        return {"result": None, "error": error.body() if error.fields is None
                else {**error.body(), "fields": error.fields}}

    def no_credentials(self) -> ApiError:
        return ApiError(401, "AUTH_REQUIRED",
                        "send an 'Authorization: Token <token>' header (POST user/login/ gives one)")

    def password_reset_required(self, identity: Identity) -> ApiError:
        return ApiError(403, "PASSWORD_RESET_REQUIRED", "this user has a temporary password: change it "
                        "first (PUT user/password/ with old_password and new_password)")

    def route_not_found(self, path: str) -> ApiError:
        if not path.startswith(self.root + "/"):  # the server's root: a client given the host alone
            return ApiError(404, "NOT_FOUND", f"no endpoint {path[:200]!r}: the APIs are at {V4_ROOT}, {V5_ROOT} "
                            f"and {COMPASS_ROOT}, and GET / lists every one (give a client the whole root, e.g. http://host:port{V5_ROOT})")
        return ApiError(404, "NOT_FOUND", f"no endpoint {path[:200]!r}; GET {self.root}/ lists them")
