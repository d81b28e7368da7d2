"""The compiled pack64 decoder behind `lumiwork.vectors` (numba).

Imported on the first decode only, so that importing lumiwork does not pay for
importing numba. `decode_rows` is compiled once per machine for exactly one
signature and kept in numba's cache (this folder's __pycache__, or the user's
cache folder when that is not writable), so later processes only load it.

Why it is fast: every index is unsigned. With signed indices numba guards each
array access against negative (wrap-around) indices, and that guard keeps LLVM
from seeing the stride-3 access pattern; with unsigned ones the inner loop is
vectorized (SIMD), character classification and all. A lookup table per
character instead of the comparisons (`_digit`) would keep it scalar.
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, types

_ONE, _TWO, _THREE = np.uint64(1), np.uint64(2), np.uint64(3)


@njit(inline="always")
def _digit(char):
    """The pack64 digit of an ASCII byte: A-Z 0-25, a-z 26-51, 0-9 52-61, '-' 62,
    '_' 63; 255 for any other byte. Comparisons only (no table), so it vectorizes."""
    digit = np.uint8(255)
    shifted = np.uint8(char - np.uint8(65))
    digit = shifted if shifted < np.uint8(26) else digit
    shifted = np.uint8(char - np.uint8(97))
    digit = np.uint8(shifted + np.uint8(26)) if shifted < np.uint8(26) else digit
    shifted = np.uint8(char - np.uint8(48))
    digit = np.uint8(shifted + np.uint8(52)) if shifted < np.uint8(10) else digit
    digit = np.uint8(62) if char == np.uint8(45) else digit
    digit = np.uint8(63) if char == np.uint8(95) else digit
    return digit


_SIGNATURE = types.boolean(types.Array(types.uint8, 1, "C", readonly=True), types.int64, types.int64,
                           types.int64, types.int64, types.float64[:, ::1])


def _jit(function):
    try:
        return njit(_SIGNATURE, cache=True, nogil=True)(function)
    except RuntimeError:  # no writable cache folder anywhere: compile in every process
        return njit(_SIGNATURE, nogil=True)(function)


@_jit
def decode_rows(data, offset, stride, rows, width, out):
    """Decode into `out` the `rows` pack64 strings of `width` characters at
    `offset`, `offset + stride`, ... of `data`. False when one of their
    characters is not a pack64 character (`out` then holds garbage).

    The caller checks that the strings lie inside `data` and that `out` has
    shape (rows, width // 3): nothing here is bounds-checked.
    """
    dims = np.uint64(width // 3)
    invalid = np.uint8(0)  # digits or-ed together: 64 or more when one was not a digit
    for row in range(rows):
        start = np.uint64(offset + row * stride)
        exponent = _digit(data[start])
        invalid |= exponent
        # pack64: float32(value) * 2.0 ** (exponent - 40). |value| <= 2**17, so the
        # float32 is exact, and so is scaling by a power of two: value * scale in
        # float64 is the same number, bit for bit (+0.0 for zero, as there).
        # an int64 here: numba compiles this loop with numpy integer types throughout
        scale = math.ldexp(1.0, np.int64(exponent & np.uint8(63)) - 40)  # type: ignore[arg-type]
        decoded = out[row]
        for entry in range(dims):
            at = start + _THREE * np.uint64(entry)
            high, middle, low = _digit(data[at + _ONE]), _digit(data[at + _TWO]), _digit(data[at + _THREE])
            invalid |= high | middle | low
            value = (np.int32(high) << 12) | (np.int32(middle) << 6) | np.int32(low)
            value -= (value >> 17) << 18  # 18-bit two's complement
            decoded[entry] = value * scale
    return invalid < 64
