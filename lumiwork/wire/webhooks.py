"""How lumiwork signs the webhooks it sends, and how a receiver checks them.

The convention is Standard Webhooks' (standardwebhooks.com): every POST carries

- ``webhook-id``: the event's id, the same on every retry (the receiver's
  idempotency key; also sent as ``Idempotency-Key``);
- ``webhook-timestamp``: seconds since 1970 of this attempt;
- ``webhook-signature``: ``v1,<base64 HMAC-SHA256>`` of ``"{id}.{timestamp}.{body}"``
  under the channel's secret, the body being the exact bytes sent.

A secret is shown as ``whsec_<base64>``; the HMAC key is the base64-decoded
part. A secret given in any other form is used as its UTF-8 bytes. Signing the
timestamp lets a receiver refuse replays older than a tolerance (5 minutes);
signing the id ties the signature to one event.

Standard library only: receivers written in Python can copy `verify`.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
import time
from collections.abc import Mapping

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
IDEMPOTENCY_HEADER = "Idempotency-Key"
SECRET_PREFIX = "whsec_"
TOLERANCE_SECONDS = 300
MIN_SECRET_CHARS = 16


class WebhookVerificationError(ValueError):
    """A webhook whose signature, timestamp or headers do not check out."""


def new_secret() -> str:
    """A fresh secret: whsec_ and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode("ascii")


def signing_key(secret: str) -> bytes:
    """The HMAC key of a secret: the decoded base64 of a whsec_ secret, else the
    secret's UTF-8 bytes."""
    if secret.startswith(SECRET_PREFIX):
        try:
            return base64.b64decode(secret[len(SECRET_PREFIX):], validate=True)
        except binascii.Error:
            raise ValueError("a secret starting with whsec_ must continue in base64") from None
    return secret.encode("utf-8")


def signature(secret: str, event_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` value of one attempt."""
    signed = f"{event_id}.{timestamp}.".encode() + body
    digest = hmac.new(signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def signed_headers(secret: str, event_id: str, body: bytes, timestamp: int | None = None) -> dict[str, str]:
    """Every header of one signed POST (a fresh timestamp for each attempt)."""
    timestamp = int(time.time()) if timestamp is None else timestamp
    return {"Content-Type": "application/json", ID_HEADER: event_id, TIMESTAMP_HEADER: str(timestamp),
            SIGNATURE_HEADER: signature(secret, event_id, timestamp, body), IDEMPOTENCY_HEADER: event_id}


def verify(secret: str, headers: Mapping[str, str], body: bytes, now: float | None = None,
           tolerance: float = TOLERANCE_SECONDS) -> str:
    """The event id of a genuine webhook, or WebhookVerificationError saying
    what is wrong. `headers` may be any case (a dict of lower-cased names works)."""
    lowered = {name.lower(): value for name, value in headers.items()}
    event_id, stamp, sent = (lowered.get(name) for name in (ID_HEADER, TIMESTAMP_HEADER, SIGNATURE_HEADER))
    if not (event_id and stamp and sent):
        raise WebhookVerificationError("missing webhook-id, webhook-timestamp or webhook-signature header")
    try:
        timestamp = int(stamp)
    except ValueError:
        raise WebhookVerificationError("webhook-timestamp is not a whole number of seconds") from None
    now = time.time() if now is None else now
    if abs(now - timestamp) > tolerance:
        raise WebhookVerificationError(f"webhook-timestamp is more than {tolerance:g} s away from now")
    expected = signature(secret, event_id, timestamp, body)
    if not any(hmac.compare_digest(expected, candidate) for candidate in sent.split()):
        raise WebhookVerificationError("no signature matches")
    return event_id
