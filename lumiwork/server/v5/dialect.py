"""API v5's dialect: results as they are (no envelope), errors as
``{"error": "CODE", "message": "...", ...details}``, as the official 3.1.1
client reads them (401/403 authentication, 400/404/405 client errors, 5xx
server errors, any other status a plain LuminosoError)."""
from __future__ import annotations

from typing import Any

from ...wire.names import V5_ROOT
from ..core.dialect import Dialect, Identity
from ..core.errors import ApiError


class V5Dialect(Dialect):
    name = "v5"
    root = V5_ROOT.rstrip("/")

    def error_body(self, error: ApiError) -> Any:
        # field errors are already in the message, in one line (core.errors.field_errors)
        return {"error": error.code, "message": error.message, **error.details}

    def no_credentials(self) -> ApiError:
        return ApiError(401, "AUTH_REQUIRED", "send an 'Authorization: Token <token>' header "
                        "(POST login/ gives one, lumi-save-token saves one)")

    def password_reset_required(self, identity: Identity) -> ApiError:
        return ApiError(403, "PASSWORD_RESET_REQUIRED", "this user has a temporary password: change it "
                        "first (PUT /api/v4/user/password/ with old_password and new_password)")
