"""Dialect: how one API speaks on the wire, apart from what it means.

Every API of the server (v4, Compass, v5) runs its handlers through the same
pipeline (`pipeline.endpoint`); its dialect decides only what differs between
them: how a result is wrapped (API v4's {"result", "error"} envelope, or none),
how an error is shaped, and the words of its authentication errors.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.responses import Response

from .errors import ApiError
from .jsonstrict import dumps_json

if TYPE_CHECKING:
    from ..state import ServerState


@dataclass
class Answer:
    """A handler's answer when it is more than a JSON value with status 200: a
    status (201, 204), headers, or a body that is not JSON (`media_type` set:
    documentation, csv, xlsx, or JSON rendered in advance)."""

    body: Any = None
    status: int = 200
    media_type: str | None = None
    headers: dict[str, str] | None = None


@dataclass
class Identity:
    """Who sent an authenticated request."""

    username: str
    token: str
    admin: bool
    must_reset_password: bool
    project_scope: str | None = None  # a dashboard's token: only this project...
    read_only: bool = False           # ...and only reading it


def json_response(body: Any, status: int = 200, headers: dict | None = None) -> Response:
    return Response(dumps_json(body), status_code=status, media_type="application/json", headers=headers)


class Dialect:
    """The conventions of one API. Subclasses name the API (`name`, mounted at
    `root`) and override what their API does differently."""

    name = "api"
    root = "/"

    # ---- answers -------------------------------------------------------------------------------
    def render(self, result: Any) -> Response:
        """A handler's result (a value, or an Answer) as a response."""
        if isinstance(result, Answer):
            if result.media_type is not None:
                return Response(result.body, status_code=result.status, media_type=result.media_type,
                                headers=result.headers)
            if result.status == 204:
                return Response(status_code=204, headers=result.headers)
            return Response(self.encode(result.body), status_code=result.status,
                            media_type="application/json", headers=result.headers)
        return Response(self.encode(result), media_type="application/json")

    def encode(self, result: Any) -> bytes:
        """A successful result as the body's bytes."""
        return dumps_json(result)

    def render_error(self, error: ApiError) -> Response:
        return json_response(self.error_body(error), error.status, error.headers)

    def error_body(self, error: ApiError) -> Any:
        return {"error": error.code, "message": error.message}

    # ---- authentication ------------------------------------------------------------------------
    def authenticate(self, state: ServerState, authorization: str) -> Identity:
        """The identity of an 'Authorization: Token <token>' header, or an
        ApiError in this dialect's words."""
        if not authorization.strip():
            raise self.no_credentials()
        scheme, _, token = authorization.partition(" ")
        token = token.strip()
        if scheme.lower() != "token" or not token:
            raise self.malformed_credentials()
        owner = state.store.tokens.owner(token)
        if owner is None:
            raise self.invalid_token()
        return Identity(owner["username"], token, bool(owner["admin"]), bool(owner["must_reset_password"]),
                        owner.get("project_scope"), bool(owner.get("read_only")))

    def no_credentials(self) -> ApiError:
        return ApiError(401, "AUTH_REQUIRED", "send an 'Authorization: Token <token>' header")

    def malformed_credentials(self) -> ApiError:
        return self.no_credentials()

    def invalid_token(self) -> ApiError:
        return ApiError(401, "AUTH_TOKEN_INVALID", "the token is unknown, expired or revoked")

    def password_reset_required(self, identity: Identity) -> ApiError:
        return ApiError(403, "PASSWORD_RESET_REQUIRED", "this user has a temporary password: change it first")

    def outside_scope(self, identity: Identity) -> ApiError:
        """A project-scoped, read-only token used for anything but reading its project."""
        return ApiError(403, "TOKEN_SCOPE", f"this token may only read project {identity.project_scope!r}")

    # ---- what the pipeline itself refuses ------------------------------------------------------
    def route_not_found(self, path: str) -> ApiError:
        return ApiError(404, "NOT_FOUND", f"no endpoint {path[:200]!r}; GET {self.root}/ lists them")

    def method_not_allowed(self, method: str, allowed: str) -> ApiError:
        return ApiError(405, "METHOD_NOT_ALLOWED", f"{method} is not allowed here; use {allowed}")

    def storage_full(self) -> ApiError:
        return ApiError(507, "STORAGE_FULL", "the server's disk is full: nothing of this request was stored; "
                        "free space and try again")

    def server_error(self) -> ApiError:
        return ApiError(500, "SERVER_ERROR", "the server failed to answer; see its log")

    def host_not_allowed(self, host: str) -> ApiError:
        return ApiError(403, "HOST_NOT_ALLOWED", f"this server answers only requests for localhost or "
                        f"127.0.0.1, not {host[:100]!r}")
