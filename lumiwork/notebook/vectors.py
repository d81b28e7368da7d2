"""Vectors in a notebook: pack64 decoding (from `lumiwork.wire.pack64`), and
cosine and nearest-neighbour helpers on numpy matrices."""
from __future__ import annotations

from collections.abc import Iterable
from typing import cast

import numpy as np

from ..wire.pack64 import pack, pack_many, unpack, unpack_buffer, unpack_each, unpack_many


def normalize(matrix) -> np.ndarray:
    """Rows scaled to unit length; zero rows stay zero."""
    matrix = np.atleast_2d(np.asarray(matrix, dtype=np.float64))
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def cosine(a, b) -> np.ndarray:
    """Cosine similarity between every row of `a` and every row of `b`."""
    return normalize(a) @ normalize(b).T


def nearest(query, matrix, k: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Indices and cosine similarities of the `k` rows of `matrix` nearest `query`."""
    scores = cosine(query, matrix)[0]
    k = min(k, len(scores))
    top = np.argpartition(-scores, k - 1)[:k] if k else np.zeros(0, int)
    order = top[np.argsort(-scores[top], kind="stable")]
    return order, scores[order]


def stack(strings: Iterable[str | None], dimensions: int = 150) -> np.ndarray:
    """Decode a column of pack64 strings that may hold None (e.g. topics made
    before any recalculation): missing vectors become rows of NaN."""
    strings = list(strings)
    if strings and all(strings):
        return unpack_many(cast("list[str | bytes]", strings))  # no None among them
    present = [i for i, s in enumerate(strings) if s]
    if present:
        decoded = unpack_many([strings[i] or "" for i in present])
        dimensions = decoded.shape[1]
    result = np.full((len(strings), dimensions), np.nan)
    if present:
        result[present] = decoded
    return result


__all__ = ["cosine", "nearest", "normalize", "pack", "pack_many", "stack", "unpack", "unpack_buffer",
           "unpack_each", "unpack_many"]
