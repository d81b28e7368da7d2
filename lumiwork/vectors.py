"""pack64 in bulk, bit-identical to the `pack64` package row by row, and cosine helpers.

pack64 stores a vector as one exponent character then three base-64 characters
(18 bits, two's complement) per entry. Doing that for a whole matrix at once is
what makes a 10,000-row decode cheap.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_DIGIT_TO_CHAR = np.frombuffer(CHARS, dtype=np.uint8)
_INVALID = 255
_BLOCK_ROWS = 2048
# uint8 table: the decode touches every character, so small types keep it fast.
_CHAR_TO_DIGIT = np.full(256, _INVALID, dtype=np.uint8)
_CHAR_TO_DIGIT[_DIGIT_TO_CHAR] = np.arange(64)
_TRANSLATION = _CHAR_TO_DIGIT.tobytes()  # for bytes.translate, a C loop
# Smallest magnitude that needs biased exponent 1 (see the pack64 package).
_EPSILON = (2.0 ** 17 - 0.5) * 2.0 ** -40


def unpack_many(strings: Sequence[str | bytes]) -> np.ndarray:
    """Decode pack64 strings of one length into a (rows, dims) float64 array.

    Raises ValueError naming the first string that is not valid pack64, or when
    the strings encode vectors of different lengths.
    """
    strings = list(strings)
    if not strings:
        return np.zeros((0, 0))
    lengths = set(map(len, strings))
    if len(lengths) > 1 or lengths.pop() % 3 != 1:
        for text in strings:
            if len(text) % 3 != 1:
                raise ValueError(f"Cannot decode string {text!r}")
        raise ValueError("pack64 strings of different lengths: vectors must all have "
                         "the same dimension")
    width = len(strings[0])
    decoded = np.empty((len(strings), width // 3), dtype=np.float64)
    # Block by block, so every temporary stays small and in cache.
    for start in range(0, len(strings), _BLOCK_ROWS):
        block = strings[start:start + _BLOCK_ROWS]
        _decode_block(block, width, out=decoded[start:start + len(block)])
    return decoded


def _decode_block(strings: list, width: int, out: np.ndarray) -> None:
    joined = (b"".join(strings) if isinstance(strings[0], bytes)
              else "".join(strings).encode("ascii", errors="replace"))
    digits = np.frombuffer(joined.translate(_TRANSLATION), dtype=np.uint8).reshape(len(strings), width)
    if digits.max() == _INVALID:
        bad_row = np.flatnonzero((digits == _INVALID).any(axis=1))[0]
        raise ValueError(f"Cannot decode string {strings[bad_row]!r}")
    values = digits[:, 1::3].astype(np.int32) << 12
    values |= digits[:, 2::3].astype(np.int32) << 6
    values |= digits[:, 3::3]
    values -= (values >> 17) << 18
    # |values| < 2**17 converts exactly, so float64 directly equals pack64's
    # float32-then-float64 route, and scaling by a power of two is exact too.
    np.multiply(values, np.ldexp(1.0, digits[:, 0].astype(np.int64) - 40)[:, np.newaxis], out=out)


def unpack(string: str | bytes) -> np.ndarray:
    return unpack_many([string])[0]


def pack_many(matrix) -> list[str]:
    """Encode each row of a 2-D array as a pack64 string.

    Raises ValueError for a row with NaN or infinity, OverflowError for a row
    with an entry too large to encode (as pack64.pack64 does).
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"pack_many needs a 2-D array, got {matrix.ndim} dimension(s)")
    rows, dims = matrix.shape
    if dims == 0:
        return ["A"] * rows
    largest = np.max(np.abs(matrix), axis=1)
    if not np.isfinite(largest).all():
        raise ValueError("Vector contains an invalid value.")
    exponent = np.maximum(np.frexp(largest.astype(np.float64) / _EPSILON)[1], 0)
    if (exponent > 63).any():
        raise OverflowError("Vector has an entry too large to encode.")
    # Scaling by a power of two is exact, so float64 here rounds exactly as
    # pack64 does in the input's own dtype.
    scaled = matrix.astype(np.float64) * np.ldexp(1.0, 40 - exponent)[:, np.newaxis]
    values = np.round(scaled).astype(np.int64)
    digits = np.empty((rows, 3 * dims + 1), dtype=np.int64)
    digits[:, 0] = exponent
    digits[:, 1::3] = values >> 12
    digits[:, 2::3] = values >> 6
    digits[:, 3::3] = values
    digits &= 63
    text = _DIGIT_TO_CHAR[digits].tobytes().decode("ascii")
    width = 3 * dims + 1
    return [text[i * width:(i + 1) * width] for i in range(rows)]


def pack(vector) -> str:
    vector = np.asarray(vector)
    if vector.ndim != 1:
        raise ValueError("pack needs a 1-D vector")
    return pack_many(vector[np.newaxis, :])[0]


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
    present = [i for i, s in enumerate(strings) if s]
    if present:
        decoded = unpack_many([strings[i] or "" for i in present])
        dimensions = decoded.shape[1]
    result = np.full((len(strings), dimensions), np.nan)
    if present:
        result[present] = decoded
    return result
