"""Share link tokens: a signed, opaque link id.

A token only names a link row (signed with a key derived from the server's
secret, so it cannot be forged or altered); the row holds everything else
(dashboard, expiry, revocation, locked parameters), so a link can be revoked
or expire without anything being handed out again. The signature rejects a
tampered or foreign token before the database is read. The payload is
readable by anyone holding the link: it carries no name and no secret.
"""
from __future__ import annotations

import hashlib
import hmac

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "lumiwork-share-link"
VERSION = 1


def _serializer(secret: bytes) -> URLSafeSerializer:
    # A key of its own, so a share link's signature says nothing about the key
    # long-lived API tokens are derived with.
    key = hmac.new(secret, b"lumiwork share links", hashlib.sha256).digest()
    return URLSafeSerializer(key, salt=SALT)


def sign_link(secret: bytes, link_id: str) -> str:
    return _serializer(secret).dumps({"v": VERSION, "l": link_id})


def read_link(secret: bytes, token: str) -> str | None:
    """The link id a token names, or None for a token that is not one of ours
    (tampered with, truncated, from another server)."""
    if not token or len(token) > 500:
        return None
    try:
        payload = _serializer(secret).loads(token)
    except (BadSignature, ValueError, UnicodeError):
        return None
    if not isinstance(payload, dict) or payload.get("v") != VERSION or not isinstance(payload.get("l"), str):
        return None
    # base64 leaves spare bits in a token's last characters: a character changed only
    # there decodes the same, so only the exact token this server makes is accepted
    if not hmac.compare_digest(sign_link(secret, payload["l"]), token):
        return None
    return payload["l"]
