"""Bulk pack64 is bit-identical to the pack64 package, row by row."""
import numpy as np
import pack64
import pytest

from lumiwork import vectors


def test_package_edge_cases():
    assert vectors.pack([1.0, 2.0]) == pack64.pack64([1.0, 2.0]) == "ZIAAQAA"
    assert vectors.pack([2 ** 17 - 0.5]) == "pQAA"
    assert vectors.pack([]) == "A"
    assert vectors.unpack("A").shape == (0,)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_random_vectors_match_package(dtype):
    rng = np.random.default_rng(7)
    matrix = (rng.standard_normal((500, 150)) * rng.uniform(1e-6, 1e4, (500, 1))).astype(dtype)
    matrix[3] = 0
    packed = vectors.pack_many(matrix)
    assert packed == [pack64.pack64(row) for row in matrix]
    decoded = vectors.unpack_many(packed)
    expected = np.stack([pack64.unpack64(s) for s in packed])
    assert decoded.dtype == expected.dtype and np.array_equal(decoded, expected)


def test_bad_values_raise_like_the_package():
    for bad in ([np.nan, 1.0], [np.inf]):
        with pytest.raises(ValueError):
            pack64.pack64(bad)
        with pytest.raises(ValueError):
            vectors.pack(bad)
    with pytest.raises(OverflowError):
        pack64.pack64([1e30])
    with pytest.raises(OverflowError):
        vectors.pack([1e30])
    for bad_string in ("ZIAAQA", "ZIA*QAA"):
        with pytest.raises(ValueError):
            pack64.unpack64(bad_string)
        with pytest.raises(ValueError, match="Cannot decode"):
            vectors.unpack_many(["ZIAAQAA", bad_string])


def test_nearest_and_cosine():
    matrix = np.eye(4)[:, :3] + 0.01
    order, scores = vectors.nearest([1, 0, 0], matrix, k=2)
    assert order[0] == 0 and scores[0] == pytest.approx(1, abs=1e-3)
    assert vectors.cosine([[1, 0]], [[0, 2]])[0, 0] == 0


def test_stack_marks_missing_vectors():
    stacked = vectors.stack([vectors.pack([1.0, 2.0]), None])
    assert np.array_equal(stacked[0], [1, 2]) and np.isnan(stacked[1]).all()
