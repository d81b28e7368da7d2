"""Compiled loops behind `lumiwork.engine.quantized` (numba).

Imported on first use only, so that the build process, which never searches,
does not pay for importing numba. Each function is compiled once per
machine for one signature and kept in numba's cache (this folder's
__pycache__, or the user's cache folder when that is not writable).
"""
from __future__ import annotations

import math

import numpy as np
from numba import njit, types

_QUANTIZE = types.void(types.Array(types.float32, 2, "C", readonly=True), types.int64, types.int8[:, ::1],
                       types.float32[::1], types.float32[::1], types.float32[::1], types.float64)
_FLOATS = types.Array(types.float32, 1, "C", readonly=True)
_SCORES = types.void(types.Array(types.int8, 2, "C", readonly=True), _FLOATS, _FLOATS, _FLOATS, _FLOATS, _FLOATS,
                     types.float32[::1], types.float32[::1], types.int64, types.float32[::1])


def _jit(signature, **options):
    def compile_(function):
        try:
            return njit(signature, cache=True, nogil=True, **options)(function)
        except RuntimeError:  # no writable cache folder anywhere: compile in every process
            return njit(signature, nogil=True, **options)(function)
    return compile_


@_jit(_QUANTIZE)
def quantize_rows(rows, kept, codes, steps, errors, residuals, slack):
    """The first `kept` values y of each row of `rows` (n, d) as int8 codes c
    (n, >= kept; the padding stays zero) and a step s = max|y| / 127, with
    y ~= s * c. `errors` gets an upper bound of ||y - s * c|| and `residuals`
    one of the norm of the row's other d - kept values, both computed in float64,
    rounded up, and each plus `slack` times the row's norm."""
    count, dims = rows.shape
    for row in range(count):
        values = rows[row]
        largest = 0.0
        for i in range(kept):
            largest = max(largest, abs(np.float64(values[i])))
        step = np.float32(largest / 127.0)
        if step == 0:  # a zero row, or one too small for a float32 step: all codes 0
            step = np.float32(1.0)
        inverse = 1.0 / np.float64(step)
        squared = 0.0
        total = 0.0
        for i in range(kept):
            value = np.float64(values[i])
            code = min(127.0, max(-127.0, np.rint(value * inverse)))
            codes[row, i] = np.int8(code)
            residual = value - code * np.float64(step)
            squared += residual * residual
            total += value * value
        rest = 0.0
        for i in range(kept, dims):
            rest += np.float64(values[i]) * np.float64(values[i])
        extra = slack * math.sqrt(total + rest) + 1e-12
        steps[row] = step
        errors[row] = np.float32(math.sqrt(squared) * (1 + 1e-6) + extra)
        residuals[row] = np.float32(math.sqrt(rest) * (1 + 1e-6) + extra)


@_jit(_SCORES, fastmath=True, boundscheck=False)
def score_bounds(codes, steps, errors, residuals, vector, margin, low, high, block_rows, block_lows):
    """Every row's dot product with `vector` (padded to the codes' width) from
    the codes, s = steps[r] * (codes[r] . vector), as the interval it lies in:
    low[r] = s - b and high[r] = s + b with
    b = errors[r] * margin[0] + steps[r] * margin[1] + residuals[r] * margin[3] + margin[2]; and
    block_lows[k], the highest low of rows k * block_rows up to the next block.

    Four rows at a time: each element of `vector` is then loaded once for four
    rows, and the four sums vectorize (SIMD) along the row."""
    rows, width = codes.shape
    row = 0
    while row + 4 <= rows:
        sum0 = np.float32(0)
        sum1 = np.float32(0)
        sum2 = np.float32(0)
        sum3 = np.float32(0)
        for i in range(width):
            weight = vector[i]
            sum0 += weight * np.float32(codes[row, i])
            sum1 += weight * np.float32(codes[row + 1, i])
            sum2 += weight * np.float32(codes[row + 2, i])
            sum3 += weight * np.float32(codes[row + 3, i])
        low[row] = sum0
        low[row + 1] = sum1
        low[row + 2] = sum2
        low[row + 3] = sum3
        row += 4
    while row < rows:
        total = np.float32(0)
        for i in range(width):
            total += vector[i] * np.float32(codes[row, i])
        low[row] = total
        row += 1
    # Apart from the sums: in the same loop they slowed it down.
    for row in range(rows):
        score = low[row] * steps[row]
        bound = errors[row] * margin[0] + steps[row] * margin[1] + residuals[row] * margin[3] + margin[2]
        low[row] = score - bound
        high[row] = score + bound
    for block in range(len(block_lows)):
        best = low[block * block_rows]
        for row in range(block * block_rows + 1, min(rows, (block + 1) * block_rows)):
            best = max(best, low[row])
        block_lows[block] = best
