"""Channel secrets at rest.

A webhook's signing secret must be read back to sign each delivery, so unlike
passwords and tokens it cannot be stored as a hash. It is stored encrypted
(Fernet: AES-128-CBC with an HMAC-SHA256 tag) under a key derived from the data
folder's `secret.key`, a 0600 file kept apart from the database: a copy of the
database alone (a backup, a file attached to a bug report) reveals no secret.
Whoever can read the whole data folder can read the secrets, as they could
read the data itself; a server that signs unattended cannot do better on one
machine.
"""
from __future__ import annotations

import base64
import hashlib
import hmac

from cryptography.fernet import Fernet, InvalidToken

# Domain separation: the same server key also derives long-lived API tokens.
_PURPOSE = b"lumiwork channel secrets v1"


class SecretUnreadable(Exception):
    """A stored secret that the data folder's key does not open (the key file was replaced)."""


class SecretBox:
    def __init__(self, server_key: bytes):
        key = hmac.new(server_key, _PURPOSE, hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, secret: str) -> bytes:
        return self._fernet.encrypt(secret.encode("utf-8"))

    def open(self, sealed: bytes) -> str:
        try:
            return self._fernet.decrypt(sealed).decode("utf-8")
        except InvalidToken:
            raise SecretUnreadable("the channel's secret cannot be decrypted with this data folder's "
                                   "secret.key: delete the channel and create it again") from None


def hint(secret: str) -> str:
    """What may be shown of a secret: enough to tell two apart, never enough to use."""
    head = "whsec_" if secret.startswith("whsec_") else ""
    return f"{head}...{secret[-4:]}"
