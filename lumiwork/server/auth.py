"""Passwords, tokens and permissions. Secrets are stored hashed, never in clear."""
from __future__ import annotations

import hashlib
import hmac
import secrets
import string

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
