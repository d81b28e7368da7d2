"""Compass-style field errors in one line, for the client's exceptions and the
server's other dialects alike."""
from __future__ import annotations

from typing import Any


def describe_fields(errors: Any) -> str:
    """One line from field errors: ``{"name": ["This field is required."]}``, or a
    list of them (one per item of a bulk request)."""
    if isinstance(errors, dict):
        return "; ".join(f"{name}: {' '.join(map(str, messages)) if isinstance(messages, list) else messages}"
                         for name, messages in errors.items())
    if isinstance(errors, list):
        return "; ".join(f"item {i}: {describe_fields(item)}" for i, item in enumerate(errors) if item) \
            or "invalid items"
    return str(errors)
