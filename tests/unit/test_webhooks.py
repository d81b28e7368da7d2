"""Webhook signatures (wire/webhooks.py) against Standard Webhooks' reference
verifier, and the duration parser every API and the CLI share."""
import base64
import json
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from lumiwork.wire import webhooks
from lumiwork.wire.durations import format_duration, parse_duration

JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.text(),
                           lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
                           max_leaves=20)


@given(payload=st.dictionaries(st.text(), JSON_VALUES, max_size=6),
       event_id=st.from_regex(r"evt_[A-Za-z0-9_-]{1,30}", fullmatch=True))
def test_the_reference_verifier_accepts_what_lumiwork_signs(payload, event_id):
    body = json.dumps(payload, ensure_ascii=False).encode()  # the reference verifier reads the body as JSON
    secret = webhooks.new_secret()
    headers = webhooks.signed_headers(secret, event_id, body)
    assert headers[webhooks.IDEMPOTENCY_HEADER] == event_id
    Webhook(secret).verify(body, headers)  # raises if it does not check out
    assert webhooks.verify(secret, headers, body) == event_id


def test_a_plain_secret_signs_with_its_own_bytes():
    secret = "a plain shared secret of the team"
    headers = webhooks.signed_headers(secret, "evt_1", b"{}")
    reference = Webhook(base64.b64encode(secret.encode()).decode())  # the reference takes base64 keys
    reference.verify(b"{}", headers)


@pytest.mark.parametrize("change", ["body", "id", "secret", "old", "missing"])
def test_any_change_is_refused(change):
    secret, body = webhooks.new_secret(), b'{"state":"firing"}'
    headers = webhooks.signed_headers(secret, "evt_abc", body)
    if change == "body":
        body = b'{"state":"resolved"}'
    elif change == "id":
        headers[webhooks.ID_HEADER] = "evt_abd"
    elif change == "secret":
        secret = webhooks.new_secret()
    elif change == "old":
        headers = webhooks.signed_headers(secret, "evt_abc", body, timestamp=int(time.time()) - 600)
    else:
        del headers[webhooks.SIGNATURE_HEADER]
    with pytest.raises(webhooks.WebhookVerificationError):
        webhooks.verify(secret, headers, body)
    if change != "missing":
        with pytest.raises(WebhookVerificationError):
            Webhook(secret if secret.startswith("whsec_") else "whsec_" + secret).verify(body, headers)


def test_a_malformed_whsec_secret_is_refused():
    with pytest.raises(ValueError, match="base64"):
        webhooks.signing_key("whsec_not base64!")


@pytest.mark.parametrize("text, seconds", [("90s", 90), ("5m", 300), ("1h", 3600), ("1h30m", 5400), ("2d", 172800),
                                           ("1w", 604800), ("0.5s", 0.5), ("3600", 3600), (" 15M ", 900), (0, 0)])
def test_durations(text, seconds):
    assert parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "h", "1x", "5 m", "-1m", "1h-", True, None, "1e400", "m5", "٣m"])
def test_bad_durations_say_how_to_write_one(text):
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


@given(st.integers(min_value=0, max_value=10**9))
def test_a_formatted_duration_reads_back(seconds):
    assert parse_duration(format_duration(seconds)) == seconds


def readme_verify():
    """The receiver's `verify` as the README shows it."""
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    block = next(b for b in readme.split("```python")[1:] if "def verify(secret" in b).split("```")[0]
    namespace: dict = {}
    exec(block, namespace)  # noqa: S102 (the README's own snippet)
    return namespace["verify"]


def test_the_readmes_receiver_snippet_checks_what_lumiwork_sends():
    verify = readme_verify()
    for secret in (webhooks.new_secret(), "a plain shared secret of the team"):
        body = b'{"event":"alert.firing"}'
        headers = {k.lower(): v for k, v in webhooks.signed_headers(secret, "evt_1", body).items()}
        assert verify(secret, headers, body) == "evt_1"
        with pytest.raises(ValueError, match="bad signature"):
            verify(secret, headers, body.replace(b"firing", b"resolved"))
        old = {k.lower(): v for k, v in webhooks.signed_headers(secret, "evt_1", body, int(time.time()) - 900).items()}
        with pytest.raises(ValueError, match="too old"):
            verify(secret, old, body)
