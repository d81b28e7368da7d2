"""pack64 in bulk, bit-identical to the `pack64` package row by row.

pack64 stores a vector as one exponent character then three base-64 characters
(18 bits, two's complement) per entry. Decoding goes through one compiled loop
(numba, `_pack64_kernel.py`) that classifies, checks and combines the
characters and writes the float64 entries in a single pass over the ASCII bytes.
`unpack_many` gets those bytes by joining the strings a block at a time (a
separator after each, so that one length check proves they all have the same
length); `unpack_buffer` reads them in place, e.g. inside a JSON answer.

Why a compiled loop: `pack64.unpack64` string by string is slow for a whole
project's vectors, and the numpy formulation it replaced (bytes.translate, then
whole-array shifts on unaligned 32-bit words) made a temporary the size of the
input at every step. The loop runs on one thread: a second one (the kernel
lets go of the GIL) helps only when the other core is idle, which on a shared
machine it mostly is not.

The price is numba's start, once per process on the first decode: importing
numba and loading the kernel from its cache, and the very first time on a
machine compiling it. So numba is imported on the first decode, not with this
module, and `unpack` decodes a single vector without it. There is no numpy
fallback: numba is a dependency, and one decoder is one thing to keep
bit-identical. The figures behind these choices are in CHANGELOG.md.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np

CHARS = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_SEPARATOR = ","  # after each joined string; not a pack64 character
_SEPARATOR_DIGIT = 64  # pack_many's digit for the separator: just past the largest digit
# Rows per block for pack_many: the block's digits and strings stay in a core's L2 cache.
_BLOCK_ROWS = 512
# unpack_many joins this many characters at a time, so the joined bytes stay in
# cache and their memory is reused: much larger joins (a few thousand rows of 451
# characters) had their memory page-faulted anew each time.
_BLOCK_CHARS = 1 << 18
_DIGIT_OF = {char: digit for digit, char in enumerate(CHARS)}
# digit -> character for pack_many, the separator digit -> separator.
_ENCODING = bytes(CHARS + _SEPARATOR.encode("ascii") + b"\0" * (256 - 65))
# Smallest magnitude that needs biased exponent 1 (see the pack64 package).
_EPSILON = (2.0 ** 17 - 0.5) * 2.0 ** -40


def _kernel():
    """The compiled decoder; numba is imported (and the kernel loaded from its
    cache, or compiled once) on the first decode, not when lumiwork is imported."""
    from ._pack64_kernel import decode_rows

    return decode_rows


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
    decode = _kernel()
    stride = width + 1
    decoded = np.empty((len(strings), width // 3), dtype=np.float64)
    block_rows = max(1, _BLOCK_CHARS // stride)
    for start in range(0, len(strings), block_rows):
        block = strings[start:start + block_rows]
        if isinstance(block[0], bytes):
            joined = _SEPARATOR.encode("ascii").join([*block, b""])
        else:  # a character that is not ASCII becomes one "?", which is not pack64 either
            joined = _SEPARATOR.join([*block, ""]).encode("ascii", errors="replace")
        # Same lengths without a look at them: if `joined` has rows * stride bytes
        # and the kernel finds only pack64 characters (no separator) outside
        # positions width, width + stride, ..., then the rows separators that join
        # put in can only be at those positions: every string has `width` characters.
        if len(joined) != len(block) * stride or not decode(
                np.frombuffer(joined, dtype=np.uint8), 0, stride, len(block), width,
                decoded[start:start + len(block)]):
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
    data = np.frombuffer(buffer, dtype=np.uint8)  # bytes, bytearray, memoryview: no copy
    if width % 3 != 1 or rows < 0 or (rows and (offset < 0 or stride < width
                                                or offset + (rows - 1) * stride + width > len(data))):
        raise ValueError("the strings do not fit in the buffer, or have a length pack64 cannot have")
    decoded = np.empty((rows, width // 3), dtype=np.float64) if out is None else out
    if decoded.shape != (rows, width // 3) or decoded.dtype != np.float64:
        raise ValueError(f"out must be a float64 array of shape {(rows, width // 3)}")
    target = decoded if decoded.flags.c_contiguous else np.empty_like(decoded, order="C")
    if not _kernel()(data, offset, stride, rows, width, target):
        raise ValueError("Cannot decode a string of the buffer: not pack64")
    if target is not decoded:
        decoded[...] = target
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


def _first_problem(strings: list, width: int) -> str:
    """Why a block failed to decode, naming the first string at fault."""
    valid = set(CHARS)
    for text in strings:
        raw = text if isinstance(text, bytes) else text.encode("ascii", errors="replace")
        if len(raw) % 3 != 1 or not valid.issuperset(raw):
            return f"Cannot decode string {text!r}"
    return "pack64 strings of different lengths: vectors must all have the same dimension"


def unpack(string: str | bytes) -> np.ndarray:
    """One vector, like `pack64.unpack64`. Decoded without the compiled kernel:
    for one vector numba's start (once per process) would cost far more than
    the decode, e.g. in a notebook that reads one topic's vector."""
    raw = string if isinstance(string, bytes) else string.encode("ascii", errors="replace")
    try:
        digits = [_DIGIT_OF[char] for char in raw]
    except KeyError:
        raise ValueError(f"Cannot decode string {string!r}") from None
    if len(digits) % 3 != 1:
        raise ValueError(f"Cannot decode string {string!r}")
    triples = np.array(digits[1:], dtype=np.int32).reshape(-1, 3)
    values = (triples[:, 0] << 12) | (triples[:, 1] << 6) | triples[:, 2]
    values -= (values >> 17) << 18  # 18-bit two's complement
    return values * math.ldexp(1.0, digits[0] - 40)  # exact, as in the kernel


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
