"""The int8 document index: its error bounds hold, and searches over it give
the exact scan's answers, with its rows rotated onto their principal axes and
cut short or not."""
from contextlib import contextmanager

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from lumiwork.engine import quantized
from lumiwork.engine.quantized import QuantizedRows

values = st.floats(-4, 4, allow_nan=False, width=32)


@st.composite
def matrices_and_vectors(draw):
    rows = draw(st.integers(1, 60))
    dims = draw(st.integers(1, 40))
    matrix = draw(hnp.arrays(np.float32, (rows, dims), elements=values))
    # near-duplicate rows: ties and near-ties are where a bounded search could go wrong
    copies = draw(st.lists(st.tuples(st.integers(0, rows - 1), st.integers(0, rows - 1)), max_size=10))
    for source, target in copies:
        matrix[target] = matrix[source]
    vector = draw(hnp.arrays(np.float32, dims, elements=values))
    return matrix, vector


@st.composite
def low_rank_matrices_and_vectors(draw):
    """Rows near a subspace (most energy on a few axes, as document vectors
    have it), and a vector that is one of them or random."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    rows, dims = draw(st.integers(1, 80)), draw(st.integers(2, 40))
    rank = draw(st.integers(1, dims))
    noise = draw(st.sampled_from([0.0, 1e-4, 1e-2, 0.3]))
    matrix = rng.standard_normal((rows, rank)) @ rng.standard_normal((rank, dims))
    matrix = (matrix + noise * rng.standard_normal((rows, dims))).astype(np.float32)
    if draw(st.booleans()):
        vector = matrix[draw(st.integers(0, rows - 1))].copy()
    else:
        vector = rng.standard_normal(dims).astype(np.float32)
    return matrix, vector


cases = st.one_of(matrices_and_vectors(), low_rank_matrices_and_vectors())
# (ROTATION_STEP, KEPT_ENERGY) for the index: as shipped (the matrices here are
# too narrow to be cut), or cut at any share of the energy, however little.
rotations = st.sampled_from([None, (4, 0.0), (4, 0.9), (8, 0.999), (1, 0.5)])


@contextmanager
def rotation(choice):
    if choice is None:
        yield
        return
    step, energy = choice
    with setting("ROTATION_STEP", step), setting("KEPT_ENERGY", energy):
        yield


def exact_scores(matrix, vector):
    return matrix.astype(np.float64) @ vector.astype(np.float64)


@settings(max_examples=400, deadline=None)
@given(cases, rotations)
def test_every_exact_score_lies_in_its_interval(case, rotated):
    matrix, vector = case
    with rotation(rotated):
        index = QuantizedRows(matrix)
    low, high, _ = index.estimate(vector)
    exact = exact_scores(matrix, vector)
    assert low.shape == high.shape == (len(matrix),)
    assert np.all((low <= exact) & (exact <= high))


@contextmanager
def setting(name, value):
    original = getattr(quantized, name)
    setattr(quantized, name, value)
    try:
        yield
    finally:
        setattr(quantized, name, original)


# Blocks of 1 and 3 rows give the small matrices below many blocks, as 64 does
# 100,000 rows; then `top` takes its floor from the block maxima.
block_sizes = st.sampled_from([1, 3, 64])


@settings(max_examples=300, deadline=None)
@given(cases, st.integers(0, 70), block_sizes, rotations, st.data())
def test_top_rows_are_the_exact_top_rows(case, limit, block_rows, rotated, data):
    matrix, vector = case
    pool = None
    if data.draw(st.booleans()):
        pool = np.flatnonzero(data.draw(hnp.arrays(bool, len(matrix))))
    with setting("BLOCK_ROWS", block_rows), rotation(rotated):
        rows, scores = QuantizedRows(matrix).top(vector, limit, pool)
    allowed = np.arange(len(matrix)) if pool is None else pool
    expected = np.sort(exact_scores(matrix[allowed], vector))[::-1][:limit]
    assert len(rows) == len(expected) and set(rows) <= set(allowed.tolist())
    assert len(set(rows.tolist())) == len(rows)
    # scores are the rows' own, best first; equal to the exact order up to float32 rounding
    np.testing.assert_allclose(scores, exact_scores(matrix[rows], vector), rtol=1e-5, atol=1e-4)
    np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-4)
    assert np.all(np.diff(scores) <= 0)


@settings(max_examples=300, deadline=None)
@given(cases, st.floats(-3, 3), rotations)
def test_at_least_marks_exactly_the_rows_reaching_a_threshold(case, threshold, rotated):
    matrix, vector = case
    with rotation(rotated):
        mask = QuantizedRows(matrix).at_least(vector, threshold)
    exact = matrix @ vector  # the float32 scores that decide on the threshold
    assert np.array_equal(mask, exact >= threshold)


def test_zero_rows_and_a_zero_vector():
    matrix = np.zeros((5, 150), dtype=np.float32)
    matrix[2, 7] = 0.5
    index = QuantizedRows(matrix)
    low, high, _ = index.estimate(np.zeros(150, np.float32))
    assert np.all((low <= 0) & (high >= 0) & (high - low < 1e-30))
    rows, scores = index.top(np.eye(150, dtype=np.float32)[7], 2)
    assert rows.tolist() == [2, 0] and scores.tolist() == [0.5, 0.0]
    # a zero vector scores every row 0: the first rows (of the pool), ties by row
    rows, scores = index.top(np.zeros(150, np.float32), 3)
    assert rows.tolist() == [0, 1, 2] and scores.tolist() == [0.0, 0.0, 0.0]
    rows, _ = index.top(np.zeros(150, np.float32), 2, pool=np.array([4, 1, 3]))
    assert rows.tolist() == [1, 3]


def test_codes_are_a_quarter_of_the_float32_rows():
    matrix = np.random.default_rng(3).standard_normal((1000, 150)).astype(np.float32)
    index = QuantizedRows(matrix)
    # no 128 axes hold 99.8% of random rows' energy: all 150 values are coded
    assert index.basis is None and index.kept == 150
    assert index.codes.dtype == np.int8 and index.codes.shape == (1000, 160)
    assert index.nbytes < matrix.nbytes * 0.3


def decaying_rows(rows, dims=150, seed=4):
    """Unit rows whose energy falls off along random axes, as in a document
    space: the first 64 of 150 axes hold about 63% of it, the last 22 0.01%."""
    rng = np.random.default_rng(seed)
    scales = np.where(np.arange(dims) < 100, 1.0, np.where(np.arange(dims) < 128, 0.3, 0.02))
    axes = np.linalg.qr(rng.standard_normal((dims, dims)))[0]
    matrix = (rng.standard_normal((rows, dims)) * scales) @ axes.T
    return (matrix / np.linalg.norm(matrix, axis=1, keepdims=True)).astype(np.float32)


def test_rows_with_most_energy_on_128_axes_keep_128_codes_and_exact_answers():
    matrix = decaying_rows(3000)
    index = QuantizedRows(matrix)
    assert index.kept == 128 and index.codes.shape == (3000, 128)
    np.testing.assert_allclose(index.basis.T @ index.basis, np.eye(150), atol=1e-10)
    assert np.median(index.residuals) < 0.06  # what the 22 axes left out hold
    exact = matrix @ matrix[:40].T
    for column, vector in enumerate(matrix[:40]):
        low, high, _ = index.estimate(vector)
        assert np.all((low <= exact[:, column]) & (exact[:, column] <= high))
        rows, scores = index.top(vector, 10)
        expected = np.sort(exact[:, column])[::-1][:10]
        np.testing.assert_allclose(scores, expected, rtol=1e-5, atol=1e-5)
        assert np.array_equal(index.at_least(vector, 0.3), exact[:, column] >= 0.3)


@settings(max_examples=100, deadline=None)
@given(cases, block_sizes, rotations)
def test_scoring_half_the_rows_on_the_helper_thread_changes_nothing(case, block_rows, rotated):
    matrix, vector = case
    with rotation(rotated):
        index = QuantizedRows(matrix)
    with setting("BLOCK_ROWS", block_rows):
        with quantized._helper_free:  # the helper is busy: one thread scores every row
            alone = index.estimate(vector)
        with setting("SPLIT_MIN_ROWS", 2):
            split = index.estimate(vector)
    for estimate in (alone, split):
        assert np.array_equal(estimate.low, alone.low) and np.array_equal(estimate.high, alone.high)
        starts = range(0, len(matrix), block_rows)
        assert estimate.block_lows.tolist() == [alone.low[start:start + block_rows].max() for start in starts]


@settings(max_examples=200, deadline=None)
@given(cases, st.floats(-3, 3), rotations)
def test_past_the_exact_limit_straddling_rows_go_by_their_approximate_score(case, threshold, rotated):
    matrix, vector = case
    with rotation(rotated):
        index = QuantizedRows(matrix)
    low, high, _ = index.estimate(vector)
    with setting("EXACT_STRADDLING", -1):
        mask = index.at_least(vector, threshold)
    straddling = (low < threshold) & (high >= threshold)
    exact = matrix @ vector
    assert np.array_equal(mask[~straddling], exact[~straddling] >= threshold)
    assert np.array_equal(mask[straddling], (low + high)[straddling] >= 2 * threshold)
