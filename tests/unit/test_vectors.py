"""Bulk pack64 is bit-identical to the pack64 package, row by row."""
import re

import numpy as np
import pack64
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lumiwork import vectors
from lumiwork.wire import pack64 as pack64_wire


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


# ---- property tests: bit for bit what the pack64 package does ------------------------------

# Entries from zero and the smallest subnormals to past the largest pack64 can encode
# (2**40 is too large), both signs: rows need exponents from 0 to 63, or overflow.
ENTRY = st.one_of(st.just(0.0), st.floats(min_value=-1e12, max_value=1e12, allow_nan=False),
                  st.sampled_from([5e-324, -5e-324, 1e-300, 2.0 ** 17 - 0.5, -(2.0 ** 17), 2.0 ** 40,
                                   (2.0 ** 17 - 0.5) * 2.0 ** -40, 1.0, -1.0]))


@st.composite
def matrices(draw, max_dims: int = 12):
    rows = draw(st.integers(1, 8))
    dims = draw(st.integers(0, max_dims))
    matrix = np.array(draw(st.lists(st.lists(ENTRY, min_size=dims, max_size=dims), min_size=rows,
                                    max_size=rows)), dtype=np.float64).reshape(rows, dims)
    return matrix.astype(draw(st.sampled_from([np.float64, np.float32])))


@settings(max_examples=300, deadline=None)
@given(matrix=matrices())
def test_pack_and_unpack_many_are_the_package_row_by_row(matrix):
    try:
        expected = [pack64.pack64(row) for row in matrix]
    except (ValueError, OverflowError) as problem:  # float32 overflow to inf, or too large
        with pytest.raises(type(problem)):
            vectors.pack_many(matrix)
        return
    assert vectors.pack_many(matrix) == expected
    decoded = vectors.unpack_many(expected)
    looped = np.stack([pack64.unpack64(s) for s in expected])
    assert decoded.dtype == looped.dtype and decoded.shape == looped.shape
    assert decoded.tobytes() == looped.tobytes()  # bit for bit, signed zeros included
    assert vectors.unpack_many([s.encode("ascii") for s in expected]).tobytes() == looped.tobytes()
    for string, row in zip(expected, looped):  # one at a time: the path without the kernel
        assert vectors.unpack(string).tobytes() == row.tobytes()


@settings(max_examples=200, deadline=None)
@given(rows=st.lists(st.lists(ENTRY, max_size=10), min_size=1, max_size=10))
def test_mixed_lengths_decode_each_and_refuse_a_matrix(rows):
    packed = [pack64.pack64(np.array(row) / 2 ** 30) for row in rows]  # all small enough to encode
    for decoded, string in zip(vectors.unpack_each(packed), packed):
        expected = pack64.unpack64(string)
        assert decoded.dtype == expected.dtype and decoded.tobytes() == expected.tobytes()
    if len(set(map(len, packed))) > 1:
        with pytest.raises(ValueError, match="different lengths"):
            vectors.unpack_many(packed)


@settings(max_examples=200, deadline=None)
@given(matrix=matrices(), gap=st.binary(min_size=0, max_size=5), head=st.binary(max_size=4),
       tail=st.sampled_from([b"", b'"', b"\xff"]))
def test_unpack_buffer_reads_strings_inside_other_bytes(matrix, gap, head, tail):
    packed = [pack64.pack64(row) for row in matrix.astype(np.float64) / 2 ** 30]
    width = len(packed[0])
    # the last string may end the buffer, or be followed by any byte
    buffer = head + gap.join(s.encode("ascii") for s in packed) + tail
    decoded = vectors.unpack_buffer(buffer, len(head), width + len(gap), len(packed), width)
    assert decoded.tobytes() == np.stack([pack64.unpack64(s) for s in packed]).tobytes()


def test_invalid_characters_anywhere_are_refused():
    good = vectors.pack([1.0, -2.0, 3.0])
    for position in range(len(good)):
        for bad in ("*", '"', ",", "é", "\x00"):
            broken = good[:position] + bad + good[position + 1:]
            with pytest.raises(ValueError):
                vectors.unpack_many([good, broken])
            buffer = (good + ".." + broken + "..").encode("utf-8")
            if len(broken.encode("utf-8")) == len(good):
                with pytest.raises(ValueError):
                    vectors.unpack_buffer(buffer, 0, len(good) + 2, 2, len(good))
    with pytest.raises(ValueError):  # a separator's worth of shift: one short, one long
        vectors.unpack_many([good[:-3], good + "AAA"])


# ---- the compiled decoder: every byte, every position, block boundaries ---------------------

NOT_PACK64 = [chr(b) for b in range(128) if b not in pack64_wire.CHARS] + ["é", "\u20ac", "\U0001f600"]


def test_every_byte_is_classified_like_the_package():
    """Each of the 256 byte values in each position of a one-entry vector: decoded
    as pack64.unpack64 decodes it, or refused where it refuses."""
    for byte in range(256):
        for position in range(4):
            raw = bytearray(b"ZgAB")
            raw[position] = byte
            raw = bytes(raw)
            try:
                expected = pack64.unpack64(raw)
            except (ValueError, IndexError):
                with pytest.raises(ValueError, match="Cannot decode"):
                    vectors.unpack_many([b"ZAAA", raw])
                with pytest.raises(ValueError, match="Cannot decode"):
                    vectors.unpack(raw)
                with pytest.raises(ValueError):
                    vectors.unpack_buffer(b"ZAAA" + raw, 0, 4, 2, 4)
                continue
            assert vectors.unpack_many([raw]).tobytes() == expected.tobytes()
            assert vectors.unpack(raw).tobytes() == vectors.unpack(raw.decode()).tobytes() == expected.tobytes()
            assert vectors.unpack_buffer(b"x" + raw, 1, 4, 1, 4).tobytes() == expected.tobytes()


@settings(max_examples=300, deadline=None)
@given(matrix=matrices(max_dims=6), data=st.data())
def test_a_bad_character_anywhere_is_named(matrix, data):
    packed = [pack64.pack64(row) for row in matrix.astype(np.float64) / 2 ** 30]
    row = data.draw(st.integers(0, len(packed) - 1))
    position = data.draw(st.integers(0, len(packed[row]) - 1))
    bad = data.draw(st.sampled_from(NOT_PACK64))
    broken = list(packed)
    broken[row] = packed[row][:position] + bad + packed[row][position + 1:]
    with pytest.raises(ValueError, match="Cannot decode string " + re.escape(repr(broken[row]))):
        vectors.unpack_many(broken)
    with pytest.raises(ValueError, match="Cannot decode string " + re.escape(repr(broken[row]))):
        vectors.unpack(broken[row])
    if len(bad.encode("utf-8")) == 1:
        encoded = [s.encode("ascii") for s in broken]
        with pytest.raises(ValueError, match="Cannot decode"):
            vectors.unpack_many(encoded)
        width = len(packed[0])
        with pytest.raises(ValueError):
            vectors.unpack_buffer(b"".join(s + b'"' for s in encoded), 0, width + 1, len(packed), width)


@settings(max_examples=300, deadline=None)
@given(lengths=st.lists(st.integers(0, 6), min_size=2, max_size=8), data=st.data())
def test_different_lengths_are_refused_even_when_they_add_up(lengths, data):
    """Strings of 1 + 3k characters with different k, including one short and one
    long by the same amount (the joined length is then right)."""
    if len(set(lengths)) == 1:
        lengths = [lengths[0] + 1, *lengths[1:-1], lengths[-1] + 2]
    packed = [pack64.pack64(np.arange(k, dtype=np.float64)) for k in lengths]
    with pytest.raises(ValueError, match="different lengths"):
        vectors.unpack_many(packed)
    shift = data.draw(st.integers(1, 3))
    same = [packed[0], packed[0][:-3 * shift] if len(packed[0]) > 3 * shift else packed[0] + "AAA",
            packed[0] + "A" * 3 * shift]
    if len(set(map(len, same))) > 1:
        with pytest.raises(ValueError, match="different lengths"):
            vectors.unpack_many(same)


@pytest.mark.parametrize("block_chars", [1, 50, 1 << 18])
def test_many_blocks_and_a_bad_string_in_a_later_one(monkeypatch, block_chars):
    monkeypatch.setattr(pack64_wire, "_BLOCK_CHARS", block_chars)
    rng = np.random.default_rng(3)
    matrix = rng.standard_normal((1500, 7)) * rng.uniform(1e-5, 1e5, (1500, 1))
    packed = vectors.pack_many(matrix)
    expected = np.stack([pack64.unpack64(s) for s in packed])
    assert vectors.unpack_many(packed).tobytes() == expected.tobytes()
    assert vectors.unpack_many(iter(packed)).tobytes() == expected.tobytes()
    assert vectors.unpack_many(packed[:1]).tobytes() == expected[:1].tobytes()
    broken = list(packed)
    broken[1234] = broken[1234][:5] + "=" + broken[1234][6:]
    with pytest.raises(ValueError, match=re.escape(repr(broken[1234]))):
        vectors.unpack_many(broken)
    broken[345] = broken[345][:7] + "\u20ac" + broken[345][8:]  # an earlier block too: the first is named
    with pytest.raises(ValueError, match=re.escape(repr(broken[345]))):
        vectors.unpack_many(broken)
    with pytest.raises(ValueError, match="different lengths"):
        vectors.unpack_many(packed[:1400] + [packed[1400] + "AAA"] + packed[1401:])
    with pytest.raises(TypeError):
        vectors.unpack_many(packed[:1300] + [None] + packed[1301:])


def test_empty_inputs_and_other_buffers():
    assert vectors.unpack_many([]).shape == (0, 0)
    assert vectors.unpack_many(["A", "A"]).shape == (2, 0)
    assert vectors.unpack_buffer(b"", 0, 4, 0, 4).shape == (0, 1)
    packed = vectors.pack_many(np.arange(12.0).reshape(3, 4) - 5)
    expected = np.stack([pack64.unpack64(s) for s in packed])
    raw = ("[" + ",".join(packed) + "]").encode("ascii")
    width = len(packed[0])
    for buffer in (raw, bytearray(raw), memoryview(raw)):
        assert vectors.unpack_buffer(buffer, 1, width + 1, 3, width).tobytes() == expected.tobytes()
    out = np.zeros((4, 3)).T  # not C-contiguous: filled all the same
    assert not out.flags.c_contiguous
    assert vectors.unpack_buffer(raw, 1, width + 1, 3, width, out=out) is out
    assert out.tobytes() == expected.tobytes()
    with pytest.raises(ValueError, match="do not fit"):
        vectors.unpack_buffer(raw, 1, width + 1, 4, width)
