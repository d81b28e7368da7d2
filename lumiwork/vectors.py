"""pack64 in bulk, bit-identical to the `pack64` package row by row, and cosine helpers.

pack64 stores a vector as one exponent character then three base-64 characters
(18 bits, two's complement) per entry. Doing that for a whole matrix at once is
what makes a 100,000-row decode cheap: the strings are joined (a separator after
each, so that one check proves they all have the same length), translated to
6-bit digits by `bytes.translate` (a C loop), and every entry's three digits are
read as one unaligned 32-bit word and put together with a few whole-array shifts.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import cast

import numpy as np

CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_DIGIT_TO_CHAR = np.frombuffer(CHARS, dtype=np.uint8)
_INVALID = 255
_SEPARATOR = ","  # after each joined string; not a pack64 character
_SEPARATOR_DIGIT = 64  # what the separator translates to: just past the largest digit
# Rows per block: the block's digits, words and output stay in a core's L2 cache.
_BLOCK_ROWS = 512
# uint8 table: the decode touches every character, so small types keep it fast.
_CHAR_TO_DIGIT = np.full(256, _INVALID, dtype=np.uint8)
_CHAR_TO_DIGIT[_DIGIT_TO_CHAR] = np.arange(64)
_CHAR_TO_DIGIT[ord(_SEPARATOR)] = _SEPARATOR_DIGIT
_TRANSLATION = _CHAR_TO_DIGIT.tobytes()  # for bytes.translate, a C loop
# The other way, for pack_many: digit -> character, the separator digit -> separator.
_ENCODING = bytes(CHARS + _SEPARATOR.encode("ascii") + b"\0" * (256 - 65))
# Smallest magnitude that needs biased exponent 1 (see the pack64 package).
_EPSILON = (2.0 ** 17 - 0.5) * 2.0 ** -40


def unpack_many(strings: Sequence[str | bytes] | Iterable[str | bytes]) -> np.ndarray:
    """Decode pack64 strings of one length into a (rows, dims) float64 array,
    equal bit for bit to stacking `pack64.unpack64` of each.

    Raises ValueError naming the first string that is not valid pack64, or when
    the strings encode vectors of different lengths (see `unpack_each` for those).
    """
    strings = strings if isinstance(strings, list) else list(strings)
    if not strings:
        return np.zeros((0, 0))
    width = len(strings[0])
    if width % 3 != 1:
        raise ValueError(f"Cannot decode string {strings[0]!r}")
    decoded = np.empty((len(strings), width // 3), dtype=np.float64)
    # Block by block, so every temporary stays small and in cache.
    for start in range(0, len(strings), _BLOCK_ROWS):
        block = strings[start:start + _BLOCK_ROWS]
        rows, stride = len(block), width + 1
        if isinstance(block[0], bytes):
            joined = _SEPARATOR.encode("ascii").join([*block, b""])
        else:
            joined = _SEPARATOR.join([*block, ""]).encode("ascii", errors="replace")
        digits = joined.translate(_TRANSLATION)
        # rows * stride characters with a separator at the end of each row, and
        # (checked by _decode) none inside: then every string has `width` characters.
        if (len(digits) != rows * stride or not _decode(digits, 0, stride, rows, width, decoded[start:start + rows])
                or (np.frombuffer(digits, dtype=np.uint8)[width::stride] != _SEPARATOR_DIGIT).any()):
            raise ValueError(_first_problem(block, width))
    return decoded


def unpack_buffer(buffer: bytes, offset: int, stride: int, rows: int, width: int,
                  out: np.ndarray | None = None) -> np.ndarray:
    """Decode `rows` pack64 strings of `width` characters found in `buffer` at
    `offset`, `offset + stride`, ... (e.g. the vectors inside a JSON answer),
    without cutting them out first. The bytes between them are not looked at.
    The (rows, width // 3) float64 result goes into `out` when given.

    Raises ValueError if one of those strings is not valid pack64.
    """
    if width % 3 != 1 or rows < 0 or (rows and (offset < 0 or stride < width
                                                or offset + (rows - 1) * stride + width > len(buffer))):
        raise ValueError("the strings do not fit in the buffer, or have a length pack64 cannot have")
    decoded = np.empty((rows, width // 3), dtype=np.float64) if out is None else out
    if decoded.shape != (rows, width // 3) or decoded.dtype != np.float64:
        raise ValueError(f"out must be a float64 array of shape {(rows, width // 3)}")
    digits = bytes(buffer).translate(_TRANSLATION)
    # Every entry is read as a 4-byte word, so a byte must follow the last string:
    # in an answer one always does (its closing quote); otherwise add one (a copy).
    if rows and offset + (rows - 1) * stride + width >= len(digits):
        digits += b"\0"
    for start in range(0, rows, _BLOCK_ROWS):
        block_rows = min(_BLOCK_ROWS, rows - start)
        if not _decode(digits, offset + start * stride, stride, block_rows, width,
                       decoded[start:start + block_rows]):
            raise ValueError("Cannot decode a string of the buffer: not pack64")
    return decoded


def unpack_each(strings: Iterable[str | bytes]) -> list[np.ndarray]:
    """`[pack64.unpack64(s) for s in strings]`, in bulk: strings may have any
    (valid) lengths; each group of one length is decoded in one call."""
    strings = list(strings)
    groups: dict[int, list[int]] = {}
    for index, length in enumerate(map(len, strings)):
        groups.setdefault(length, []).append(index)
    result: list[np.ndarray] = [np.empty(0)] * len(strings)
    for indices in groups.values():
        for index, row in zip(indices, unpack_many([strings[i] for i in indices])):
            result[index] = row
    return result


def _decode(digits: bytes, offset: int, stride: int, rows: int, width: int, out: np.ndarray) -> bool:
    """Decode into `out` the `rows` strings of `width` translated digits at
    `offset`, `offset + stride`, ... of `digits` (one more byte must follow the
    last). False if one of their characters was not a pack64 character."""
    exponents = np.ndarray((rows,), dtype=np.uint8, buffer=digits, offset=offset, strides=(stride,))
    if rows and exponents.max() >= 64:
        return False
    dims = width // 3
    if dims == 0:
        return True
    # Entry k of a row is characters 1 + 3k .. 3 + 3k. Read them with the next
    # character as one little-endian word: d1 | d2 << 8 | d3 << 16 | next << 24.
    words = np.ndarray((rows, dims), dtype=np.uint32, buffer=digits, offset=offset + 1,
                       strides=(stride, 3)).copy()
    # A digit is below 64; what is not a pack64 character became 255 (or 64).
    if np.bitwise_or.reduce(words, axis=None) & 0xC0C0C0:
        return False
    # Move the digits to d1 << 26 | d2 << 20 | d3 << 14: as int32 that is the
    # 18-bit two's complement value times 2**14, sign included.
    shifted = words << 26
    part = words & 0x3F00
    part <<= 12
    shifted |= part
    words &= 0x3F0000
    words >>= 2
    shifted |= words
    # |value| < 2**17 converts exactly, so float64 directly equals pack64's
    # float32-then-float64 route, and scaling by a power of two is exact too.
    np.multiply(shifted.view(np.int32), np.ldexp(1.0, exponents.astype(np.int32) - (40 + 14))[:, np.newaxis],
                out=out)
    return True


def _first_problem(strings: list, width: int) -> str:
    """Why a block failed to decode, naming the first string at fault."""
    valid = set(CHARS)
    for text in strings:
        raw = text if isinstance(text, bytes) else text.encode("ascii", errors="replace")
        if len(raw) % 3 != 1 or not valid.issuperset(raw):
            return f"Cannot decode string {text!r}"
    return "pack64 strings of different lengths: vectors must all have the same dimension"


def unpack(string: str | bytes) -> np.ndarray:
    return unpack_many([string])[0]


def pack_many(matrix) -> list[str]:
    """Encode each row of a 2-D array as a pack64 string, equal to `pack64.pack64`
    of each row.

    Raises ValueError for a row with NaN or infinity, OverflowError for a row
    with an entry too large to encode (as pack64.pack64 does).
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2:
        raise ValueError(f"pack_many needs a 2-D array, got {matrix.ndim} dimension(s)")
    rows, dims = matrix.shape
    if dims == 0:
        return ["A"] * rows
    packed: list[str] = []
    for start in range(0, rows, _BLOCK_ROWS):
        packed += _encode_block(matrix[start:start + _BLOCK_ROWS])
    return packed


def _encode_block(matrix: np.ndarray) -> list[str]:
    rows, dims = matrix.shape
    largest = np.max(np.abs(matrix), axis=1)
    if not np.isfinite(largest).all():
        raise ValueError("Vector contains an invalid value.")
    exponent = np.maximum(np.frexp(largest.astype(np.float64) / _EPSILON)[1], 0)
    if (exponent > 63).any():
        raise OverflowError("Vector has an entry too large to encode.")
    # Scaling by a power of two is exact, so float64 here rounds exactly as
    # pack64 does in the input's own dtype.
    scaled = matrix.astype(np.float64) * np.ldexp(1.0, 40 - exponent)[:, np.newaxis]
    values = np.rint(scaled).astype(np.int32)
    width = 3 * dims + 1
    # One row of digits per vector and a separator digit after it; bytes.translate
    # turns digits into characters and str.split cuts the rows apart, both in C.
    digits = np.empty((rows, width + 1), dtype=np.uint8)
    digits[:, 0] = exponent
    digits[:, 1:width:3] = (values >> 12) & 63
    digits[:, 2:width:3] = (values >> 6) & 63
    digits[:, 3:width:3] = values & 63
    digits[:, width] = _SEPARATOR_DIGIT
    text = digits.tobytes().translate(_ENCODING).decode("ascii")
    return text.split(_SEPARATOR)[:rows]


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
