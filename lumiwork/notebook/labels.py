"""What a reader sees instead of a wire name: tables and figures show "All
documents" where the API says ``__all__``. Frames keep the wire names, so code
can still select by them."""
from __future__ import annotations

from ..wire.names import ALL_SUBSET, UNCLASSIFIED

#: The API's pseudo-topic in `topics/stats`: the normalised mean of all topic vectors.
ALL_TOPICS = ".all"

READABLE_NAMES = {
    ALL_SUBSET: "All documents",
    ALL_TOPICS: "All topics together",
    UNCLASSIFIED: "no topic",
}


def readable_name(name):
    """The reader's name for a wire name (``__all__`` -> "All documents"); any
    other value unchanged."""
    return READABLE_NAMES.get(name, name) if isinstance(name, str) else name


def readable_names(names) -> list:
    """`readable_name` of each."""
    return [readable_name(name) for name in names]


__all__ = ["ALL_TOPICS", "READABLE_NAMES", "readable_name", "readable_names"]
