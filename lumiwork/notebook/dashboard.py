"""What a notebook reads when it runs as a dashboard behind a share link.

A share link may lock parameters (a topic, a subset, a filter). The share
front passes exactly those, and nothing else, as the query string of the
dashboard's page, which Voila gives the kernel as $QUERY_STRING. Outside a
dashboard (JupyterLab, a report) nothing is locked and the defaults apply.

A lock holds only if the notebook builds no control that can take another
value: widget values come from the viewer's browser, so a disabled control
is not enough. Offer the locked value alone (`choices`), or filter the data
before any control is built.
"""
from __future__ import annotations

import os
from urllib.parse import parse_qsl


def locked() -> dict[str, str]:
    """The parameters the share link locked, by name (empty outside a dashboard)."""
    pairs = parse_qsl(os.environ.get("QUERY_STRING", ""), keep_blank_values=True)
    return {name: value for name, value in pairs}


def parameters(**defaults: str) -> dict[str, str]:
    """`defaults`, with the values a share link locked in their place:
    `parameters(topic="River")` -> {"topic": "Chapter 2's topic"} behind a link
    locking topic, else {"topic": "River"}."""
    fixed = locked()
    return {name: fixed.get(name, value) for name, value in defaults.items()}


def choices(name: str, options: list[str]) -> list[str]:
    """The options a control for `name` may offer: only the locked value when
    the link locked it (and it is one of them), else all of them."""
    value = locked().get(name)
    if value is None:
        return list(options)
    return [value] if value in options else []


__all__ = ["choices", "locked", "parameters"]
