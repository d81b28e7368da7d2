"""Passwords, tokens and permissions. Secrets are stored hashed, never in clear."""
from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import math
import secrets
import string
import threading
import time
from collections import deque
from collections.abc import Callable

PERMISSIONS = ("read", "write", "create", "account_manage")
SHORT_LIVED_SECONDS = 24 * 3600
_ID_ALPHABET = string.ascii_lowercase + string.digits


def hash_password(password: str, salt: bytes | None = None) -> str:
    """scrypt hash with a random salt, as 'salt$hash' hex."""
    salt = salt or secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=2**14, r=8, p=1)
    return f"{salt.hex()}${digest.hex()}"


def check_password(password: str, stored: str) -> bool:
    salt_hex, _, _ = stored.partition("$")
    return hmac.compare_digest(hash_password(password, bytes.fromhex(salt_hex)), stored)


def new_token() -> str:
    return secrets.token_urlsafe(24)


def derived_token(secret: bytes, token_id: str) -> str:
    """A long-lived token computed from its public id and the server's secret key.

    The database keeps only token hashes; deriving long-lived tokens lets the
    server show them again to their owner (GET user/tokens/, which the official
    client's save_token() reads) without ever storing them in clear.
    """
    digest = hmac.new(secret, token_id.encode("ascii"), hashlib.sha256).digest()
    return f"{token_id}.{base64.urlsafe_b64encode(digest).decode('ascii').rstrip('=')}"


def hash_token(token: str) -> str:
    """Tokens are long random strings, so one unsalted SHA-256 suffices to look them up."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def random_id(length: int) -> str:
    return "".join(secrets.choice(_ID_ALPHABET) for _ in range(length))


def new_password() -> str:
    return secrets.token_urlsafe(12)


def check_permissions(permissions) -> list[str]:
    """The permissions list, or ValueError naming an unknown one."""
    if isinstance(permissions, str):
        permissions = [permissions]
    if not isinstance(permissions, list) or not all(isinstance(p, str) for p in permissions):
        raise ValueError("permissions must be a list of strings")
    unknown = [p for p in permissions if p not in PERMISSIONS]
    if unknown:
        raise ValueError(f"unknown permission(s) {unknown}; known: {list(PERMISSIONS)}")
    return [p for p in PERMISSIONS if p in permissions]


# A hash of a password nobody has: checking against it when the user does not
# exist makes a failed login cost the same either way, so timing does not reveal
# which accounts exist.
@functools.cache
def _decoy_hash() -> str:
    return hash_password(secrets.token_urlsafe(16))


def verify_login(password: str, stored: str | None) -> bool:
    """Check a password against a user's stored hash, or against a decoy hash
    when there is no such user (same cost, always False)."""
    matches = check_password(password, stored or _decoy_hash())
    return matches and stored is not None


LOGIN_ATTEMPTS = 10           # failed logins allowed per user name, and per address...
LOGIN_WINDOW_SECONDS = 300.0  # ...within this many seconds


class LoginThrottle:
    """Failed logins per user name and per client address in a sliding window.

    After `limit` failures within `window` seconds, further attempts for that
    user or from that address are refused (HTTP 429) until the oldest failure
    leaves the window, even with the right password.
    """

    def __init__(self, limit: int = LOGIN_ATTEMPTS, window: float = LOGIN_WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic):
        self.limit = limit
        self.window = window
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, username: str, address: str) -> int:
        """Seconds to wait before trying again (0: go ahead)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in (f"user:{username}", f"addr:{address}"):
                failures = self._prune(key, now)
                if len(failures) >= self.limit:
                    wait = max(wait, failures[0] + self.window - now)
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def failed(self, username: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            for key in (f"user:{username}", f"addr:{address}"):
                self._failures.setdefault(key, deque()).append(now)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{username}", None)

    def _prune(self, key: str, now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures
