"""The error tree every lumiwork client raises, whichever API it speaks, and
how an HTTP error answer becomes one of them.

Each API (a *dialect*) shapes its error bodies its own way; `error_details`
reads all of them, and `error_class` maps a status to a class the same way
for every dialect, as the official clients do: 401 and 403 are authentication
errors, other 4xx client errors, 5xx server errors.
"""
from __future__ import annotations

import json
from typing import Any

from ..wire.fields import describe_fields

MAX_MESSAGE = 500  # characters of a server's message shown in str(error)


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

    def __init__(self, words: list[str], what: str = "the query", reason: str | None = None):
        """`reason`: the server's own sentence for why nothing is known (its
        answer's evidence message: "'the' is a stopword ...")."""
        self.words = list(words)
        if reason:
            description = reason
        elif not any(w.strip() for w in self.words):
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


def error_class(status: int) -> type[LuminosoError]:
    """The exception class for an HTTP error status."""
    if status in (401, 403):
        return LuminosoAuthError
    if 400 <= status < 500:
        return LuminosoClientError
    if status >= 500:
        return LuminosoServerError
    return LuminosoError


def error_details(body: Any) -> Any:
    """The error object of an answer body in any dialect, as LuminosoError takes it:

    - API v4: ``{"result": null, "error": {"code", "message", ...}}`` -> the inner object;
    - API v5: ``{"error": "CODE", "message": "..."}`` -> ``{"code", "message"}``;
    - Compass: ``{"detail": "..."}`` or field errors ``{"name": ["..."]}`` (or a
      list of them, one per item) -> ``{"code", "message"}`` with the fields in one line;
    - anything else (a proxy's HTML page) -> the text itself.
    """
    if isinstance(body, dict):
        error = body.get("error")
        if isinstance(error, dict):
            return error
        if isinstance(error, str):
            return {"code": error, "message": str(body.get("message", ""))}
        if "detail" in body:
            return {"code": body.get("code"), "message": str(body["detail"])}
        return {"code": "INVALID_FIELDS", "message": describe_fields(body), "fields": body}
    if isinstance(body, list):
        return {"code": "INVALID_FIELDS", "message": describe_fields(body), "fields": body}
    return body


def parse_error_body(data: bytes) -> Any:
    """The error object of a raw answer body (see `error_details`)."""
    try:
        body = json.loads(data)
    except (ValueError, UnicodeDecodeError):
        return data.decode("utf-8", errors="replace")
    return error_details(body)


__all__ = ["LuminosoAPIError", "LuminosoAuthError", "LuminosoClientError", "LuminosoConnectionError",
           "LuminosoError", "LuminosoLoginError", "LuminosoServerError", "LuminosoTimeoutError",
           "UnknownQueryError", "error_class", "error_details", "parse_error_body"]
