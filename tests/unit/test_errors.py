"""Every error class reads as one line: code, message, HTTP status."""
import pytest

from lumiwork.client import (
    LuminosoAPIError,
    LuminosoAuthError,
    LuminosoClientError,
    LuminosoConnectionError,
    LuminosoError,
    LuminosoLoginError,
    LuminosoServerError,
    LuminosoTimeoutError,
)

CLASSES = [LuminosoError, LuminosoAuthError, LuminosoLoginError, LuminosoClientError,
           LuminosoServerError, LuminosoAPIError, LuminosoTimeoutError, LuminosoConnectionError]


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_str_is_one_line_with_code_and_status(cls):
    error = {"code": "NOT_FOUND", "message": "no project 'x'\n in account 'y'"}
    exc = cls(error, 404)
    assert str(exc) == "NOT_FOUND: no project 'x' in account 'y' (HTTP 404)"
    assert exc.args[0] is error and exc.error is error
    assert (exc.code, exc.message, exc.status) == ("NOT_FOUND", error["message"], 404)


def test_str_without_a_code():
    assert str(LuminosoServerError("Bad Gateway", 502)) == "Bad Gateway (HTTP 502)"
    assert str(LuminosoError({"message": "went wrong"})) == "went wrong"
    assert str(LuminosoError({"code": "JOB_FAILED"})) == "JOB_FAILED"
    assert str(LuminosoError({"job_id": 3, "success": False})) == '{"job_id": 3, "success": false}'
    assert str(LuminosoError()) == "LuminosoError"


def test_a_long_body_is_cut_and_a_description_wins():
    page = "<html>" + "x" * 2000 + "</html>"
    text = str(LuminosoServerError(page, 502))
    assert len(text) < 600 and text.endswith("... (HTTP 502)")
    exc = LuminosoAuthError({"code": "AUTH_TOKEN_INVALID", "message": "m"}, 401,
                            description="the token was refused:\n log in again")
    assert str(exc) == "the token was refused: log in again" and exc.code == "AUTH_TOKEN_INVALID"
