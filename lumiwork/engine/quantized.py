"""QuantizedRows: a compact int8 copy of a matrix's rows that scores them fast
and says how far each score can be from the exact one, so that searches over
it are exact after re-scoring a few rows.

Why: at 100,000 documents x 150 dimensions the float32 vectors are 60 MB, more
than the L3 cache (32 MB on the benchmark machine), so a scan of them waits on
memory. Rotated onto their principal axes and cut to 128 (see ROTATION_STEP),
their int8 codes are 12.8 MB, and one thread scores them several times faster
than a one-thread BLAS scan of the vectors. Scalar quantization with one step
per row, as in Jégou et al., "Product quantization for nearest neighbor search"
(IEEE TPAMI 2011, section II), but kept with an error bound per row.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

# Rows are padded to a multiple of this many codes (one AVX-512 register of
# float32).
ROW_ALIGNMENT = 16
# Rows are rotated onto the principal axes of the matrix's rows and only the
# first k coordinates kept as codes, k a multiple of ROTATION_STEP, when those
# k axes hold at least KEPT_ENERGY of the rows' squared norms (computed on up to
# BASIS_SAMPLE evenly spaced rows); the rest of each row enters its bound by its
# norm. Why: row lengths that are not a multiple of 64 leave the compiled loop a
# slow remainder (150 dimensions are padded to 160 codes, 128 need none), and
# fewer bytes are read. The bounds widen a little, so a few more rows are scored
# exactly; with 99% of the energy kept that costs less than the shorter scan saves.
ROTATION_STEP = 64
KEPT_ENERGY = 0.99
BASIS_SAMPLE = 10_000
# Rows are rotated and quantized this many at a time (their rotated copies are float32).
QUANTIZE_CHUNK = 16_384
# float32's machine epsilon: rounding in a sum of n float32 products p_i is at
# most about n * FLOAT32_EPSILON * sum |p_i| (Higham, "Accuracy and Stability of
# Numerical Algorithms", 2002, section 4.2).
FLOAT32_EPSILON = float(np.finfo(np.float32).eps)
FLOAT32_TINY = float(np.finfo(np.float32).tiny)


# From this many rows on, `estimate` scores half of them on a helper thread
# when that thread is free (the compiled loop leaves the GIL). When it is busy,
# as it often is under many clients, a query scans alone.
SPLIT_MIN_ROWS = 50_000
_helper = ThreadPoolExecutor(1, thread_name_prefix="lumiwork-scan")
_helper_free = threading.Lock()


# Rows whose bounds straddle a threshold that `at_least` scores exactly (each
# exact score reads a row from anywhere in the matrix). At 100,000 documents a
# search's threshold of 0.3 is straddled by ~700 rows; at 1M documents of
# resampled Siddhartha sentences, scores crowd there and ~100,000 do, too many to
# score exactly within a search.
EXACT_STRADDLING = 10_000


def load_kernels() -> None:
    """Import the compiled loops ahead of their first use: importing numba
    and loading them from its cache is slow, once per process, and would
    otherwise fall on the first search."""
    from . import _int8_kernel  # noqa: F401


# Rows per block of `Estimate.block_lows`.
BLOCK_ROWS = 64


def principal_axes(matrix: np.ndarray) -> tuple[np.ndarray | None, int]:
    """(V, k): the principal axes (d, d) of a matrix's rows, most energy first,
    and the fewest of them, a multiple of ROTATION_STEP, that hold KEPT_ENERGY
    of the squared norms of up to BASIS_SAMPLE evenly spaced rows; or (None, d)
    when no such k is below d. The axes need not be the best ones for every
    row: the bounds hold for any orthonormal V, and only their width depends on it."""
    rows, dims = matrix.shape
    if dims <= ROTATION_STEP or rows == 0:
        return None, dims
    sample = matrix[::max(1, rows // BASIS_SAMPLE)].astype(np.float64)
    energies, axes = np.linalg.eigh(sample.T @ sample)
    order = np.argsort(energies)[::-1]
    energies = np.clip(energies[order], 0, None)
    if not energies.sum() > 0:
        return None, dims
    held = np.cumsum(energies) / energies.sum()
    for kept in range(ROTATION_STEP, dims, ROTATION_STEP):
        if held[kept - 1] >= KEPT_ENERGY:
            return np.ascontiguousarray(axes[:, order]), kept
    return None, dims


class Estimate(NamedTuple):
    """Intervals (low, high), each (n,), that hold every row's exact score, and
    the highest low of each block of BLOCK_ROWS rows, (ceil(n / BLOCK_ROWS),)."""

    low: np.ndarray
    high: np.ndarray
    block_lows: np.ndarray

    def floor(self, limit: int) -> float:
        """A score that at least `limit` rows' exact scores reach (limit <= n).

        The limit-th highest block maximum: the `limit` blocks it ranks each
        hold a row whose low reaches it. Choosing it among n / BLOCK_ROWS block
        maxima is much quicker than choosing the limit-th highest low among all
        n rows, and for the benchmark queries it was the same value."""
        lows = self.block_lows if len(self.block_lows) >= limit else self.low
        return float(np.partition(lows, len(lows) - limit)[len(lows) - limit])


class QuantizedRows:
    """The rows x of a float32 matrix (n, d) as int8 codes c and a step s per
    row, plus error bounds; it keeps a reference to the matrix for exact scores.

    Each row is first rotated, y = x V, with V (d, d) orthonormal (the identity
    unless `principal_axes` finds k < d axes that hold nearly all of the rows'
    energy). The first k coordinates are coded, y_k ~= s * c, and each row keeps
    e >= ||y_k - s * c|| and r >= ||y_rest||. For any vector q, with
    q' = V^T q, x . q = y . q' (V is orthonormal), so (Cauchy-Schwarz)

        |x . q - s * (c . q'_k)| <= e * ||q'_k|| + r * ||q'_rest||,

    and every approximate score comes with a bound on its error. The bounds are
    narrow enough that a top ten needs only a few dozen rows scored exactly.
    """

    def __init__(self, matrix: np.ndarray):
        from . import _int8_kernel

        self.matrix = np.ascontiguousarray(matrix, dtype=np.float32)
        rows, dims = self.matrix.shape
        self.basis, self.kept = principal_axes(self.matrix)
        width = -(-self.kept // ROW_ALIGNMENT) * ROW_ALIGNMENT
        self.codes = np.zeros((rows, width), dtype=np.int8)
        self.steps = np.empty(rows, dtype=np.float32)
        self.errors = np.empty(rows, dtype=np.float32)
        self.residuals = np.empty(rows, dtype=np.float32)
        # Beyond the codes, a row's bound covers the rounding of its exact float32
        # score, at most dims * eps * ||x|| * ||q|| (Higham, section 3.1), and
        # that of its rotation in float32: each of y's values is off by at most
        # (dims + 1) * eps * ||x||, so y by sqrt(dims) times that.
        slack = dims * FLOAT32_EPSILON * 1.01
        basis32 = None
        if self.basis is not None:
            basis32 = self.basis.astype(np.float32)
            slack += (dims + 1) * np.sqrt(dims) * FLOAT32_EPSILON * 1.01

        # One thread, the caller's: a model's indexes are made while it already
        # answers queries (see server.models.cache.ModelCache.put), and a second
        # thread making them left those queries no core.
        for start in range(0, rows, QUANTIZE_CHUNK):
            part = slice(start, start + QUANTIZE_CHUNK)
            block = self.matrix[part] if basis32 is None else self.matrix[part] @ basis32
            _int8_kernel.quantize_rows(block, self.kept, self.codes[part], self.steps[part],
                                       self.errors[part], self.residuals[part], slack)

    def __len__(self) -> int:
        return len(self.steps)

    @property
    def nbytes(self) -> int:
        """Bytes of the codes, steps, error bounds and axes (not of the matrix)."""
        axes = 0 if self.basis is None else self.basis.nbytes
        return self.codes.nbytes + self.steps.nbytes + self.errors.nbytes + self.residuals.nbytes + axes

    def estimate(self, vector: np.ndarray) -> Estimate:
        """Every row's dot product with `vector` (d,), from the codes, as an
        interval that holds the exact one."""
        from . import _int8_kernel

        wide = np.asarray(vector, dtype=np.float64)  # float32 squares of tiny entries underflow
        if self.basis is not None:
            wide = wide @ self.basis
        coded, rest = wide[:self.kept], wide[self.kept:]
        width = self.codes.shape[1]
        padded = np.zeros(width, dtype=np.float32)
        padded[:self.kept] = coded
        # Rounding of the approximate sum: at most width * eps * sum |q_i * s * c_i|
        # <= width * eps * 127 * s * ||q'_k||_1, plus five times eps * 127 * s *
        # ||q'_k||_1 for q'_k in float32 and the operations after the sum; and at
        # most width * FLOAT32_TINY among subnormal numbers, twice over. Each
        # margin is raised a little for its own rounding and the bound's.
        rounding = (width + 5) * FLOAT32_EPSILON * 127 * float(np.abs(coded).sum())
        margin = np.array([np.linalg.norm(coded), rounding, 2 * width * FLOAT32_TINY, np.linalg.norm(rest)],
                          dtype=np.float64) * 1.0001
        margin = margin.astype(np.float32)
        low, high = np.empty(len(self), dtype=np.float32), np.empty(len(self), dtype=np.float32)
        block_lows = np.empty(-(-len(self) // BLOCK_ROWS), dtype=np.float32)

        def score(rows: slice) -> None:
            blocks = slice(rows.start // BLOCK_ROWS, None if rows.stop is None else -(-rows.stop // BLOCK_ROWS))
            _int8_kernel.score_bounds(self.codes[rows], self.steps[rows], self.errors[rows],
                                      self.residuals[rows], padded, margin, low[rows], high[rows],
                                      BLOCK_ROWS, block_lows[blocks])

        if len(self) < SPLIT_MIN_ROWS or not _helper_free.acquire(blocking=False):
            score(slice(0, None))
        else:
            try:
                half = len(self) // 2 // BLOCK_ROWS * BLOCK_ROWS  # both halves start a block
                first = _helper.submit(score, slice(0, half))
                score(slice(half, None))
                first.result()
            finally:
                _helper_free.release()
        return Estimate(low, high, block_lows)

    def exact(self, vector: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact dot products of some rows with `vector`."""
        return self.matrix[rows] @ vector

    def top(self, vector: np.ndarray, limit: int, pool: np.ndarray | None = None,
            estimate: Estimate | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The `limit` rows (of `pool`, or all) with the highest exact dot
        products with `vector`, best first (ties by row), and those products.

        A row can be among them only if its highest possible score reaches the
        limit-th highest lowest possible score (or a floor below it, see
        `Estimate.floor`): only those are scored exactly.
        """
        if not np.any(vector):  # every score is 0: the first rows, ties by row, without a scan
            rows = (np.arange(len(self)) if pool is None else np.sort(pool))[:max(limit, 0)]
            return rows.astype(np.int64), np.zeros(len(rows), dtype=np.float32)
        estimate = estimate or self.estimate(vector)
        low, high = estimate.low, estimate.high
        if pool is not None:
            low, high = low[pool], high[pool]
        limit = min(limit, len(low))
        if limit <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if pool is None:
            floor = estimate.floor(limit)
        else:
            floor = np.partition(low, len(low) - limit)[len(low) - limit]
        candidates = np.flatnonzero(high >= floor)
        rows = candidates if pool is None else pool[candidates]
        scores = self.exact(vector, rows)
        # best first, ties by row (rows are ascending, and lexsort is stable)
        order = np.lexsort((rows, -scores))[:limit]
        return rows[order], scores[order]

    def at_least(self, vector: np.ndarray, threshold: float,
                 estimate: Estimate | None = None) -> np.ndarray:
        """(n,) mask of the rows whose dot product with `vector` is at least
        `threshold`. Rows whose bounds straddle it are scored exactly, up to
        EXACT_STRADDLING of them; past that they are decided by the middle of
        their interval (the approximate score)."""
        low, high, _ = estimate or self.estimate(vector)
        mask = low >= threshold
        unsure = np.flatnonzero(~mask & (high >= threshold))
        if len(unsure) <= EXACT_STRADDLING:
            mask[unsure] = self.exact(vector, unsure) >= threshold
        else:
            mask[unsure] = low[unsure] + high[unsure] >= 2 * threshold
        return mask
