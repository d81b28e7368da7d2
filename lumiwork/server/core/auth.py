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
from collections import OrderedDict, deque
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
# User names and addresses whose recent failures are remembered at once (about
# 1 kB each with a full window, so ~20 MB at most). Past this, the name or address
# that failed least recently is forgotten first. Every failure costs its sender an
# scrypt hash (tens of milliseconds of a core), and an address may fail
# LOGIN_ATTEMPTS times a window: pushing out a name under attack takes thousands
# of failures from over a thousand addresses, several minutes' work, to win
# another LOGIN_ATTEMPTS guesses.
LOGIN_THROTTLE_KEYS = 20_000


class LoginThrottle:
    """Failed logins per user name and per client address in a sliding window.

    After `limit` failures within `window` seconds, further attempts for that
    user or from that address are refused (HTTP 429) until the oldest failure
    leaves the window, even with the right password.

    Memory stays bounded whatever names clients send: a name or address is kept
    as a 16-byte digest (a login may name a user in 100,000 characters), with at
    most `limit` failure times, for at most `window` seconds after its last
    failure, and at most `max_keys` of them are kept at all.
    """

    def __init__(self, limit: int = LOGIN_ATTEMPTS, window: float = LOGIN_WINDOW_SECONDS,
                 clock: Callable[[], float] = time.monotonic, max_keys: int = LOGIN_THROTTLE_KEYS):
        self.limit = limit
        self.window = window
        self.clock = clock
        self.max_keys = max_keys
        # Ordered by each key's last failure, oldest first: expired keys are at the front.
        self._failures: OrderedDict[bytes, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        """How many user names and addresses have failures remembered."""
        with self._lock:
            return len(self._failures)

    def retry_after(self, username: str, address: str) -> int:
        """Seconds to wait before trying again (0: go ahead)."""
        now = self.clock()
        wait = 0.0
        with self._lock:
            for key in (_user_key(username), _address_key(address)):
                failures = self._prune(key, now)
                if len(failures) >= self.limit:
                    wait = max(wait, failures[0] + self.window - now)
        return max(1, math.ceil(wait)) if wait > 0 else 0

    def failed(self, username: str, address: str) -> None:
        now = self.clock()
        with self._lock:
            self._forget_expired(now)
            for key in (_user_key(username), _address_key(address)):
                # Only the newest `limit` failures decide when the key may try again.
                self._failures.setdefault(key, deque(maxlen=self.limit)).append(now)
                self._failures.move_to_end(key)
            while len(self._failures) > self.max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, username: str) -> None:
        with self._lock:
            self._failures.pop(_user_key(username), None)

    def _prune(self, key: bytes, now: float) -> deque[float]:
        failures = self._failures.get(key, deque())
        while failures and failures[0] <= now - self.window:
            failures.popleft()
        if not failures:
            self._failures.pop(key, None)
        return failures

    def _forget_expired(self, now: float) -> None:
        """Drop the keys whose last failure has left the window (all at the front)."""
        while self._failures:
            oldest = next(iter(self._failures.values()))
            if oldest and oldest[-1] > now - self.window:
                return
            self._failures.popitem(last=False)


def _user_key(username: str) -> bytes:
    return _digest("user", username)


def _address_key(address: str) -> bytes:
    return _digest("addr", address)


def _digest(kind: str, value: str) -> bytes:
    # surrogatepass: a name is hashed as sent, whatever it holds
    return hashlib.blake2b(f"{kind}:{value}".encode("utf-8", "surrogatepass"), digest_size=16).digest()
