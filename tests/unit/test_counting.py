"""The chunked counting stage: chunks, order and runner change nothing."""
import random
import subprocess
import sys

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from lumiwork.datasets import siddhartha
from lumiwork.engine import build_model, counting, space
from lumiwork.engine.model import BuildError


@pytest.fixture(scope="module")
def texts(siddhartha_path):
    return [doc["text"] for doc in siddhartha(siddhartha_path)]


@pytest.fixture(scope="module")
def whole(texts):
    return counting.count_corpus(texts, chunk_docs=len(texts))


def same_matrix(a, b):
    return (a.shape == b.shape and np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
            and np.array_equal(a.data, b.data))


@pytest.mark.parametrize("chunk_docs", [1, 97, 500])
def test_any_chunking_gives_identical_counts(texts, whole, chunk_docs):
    chunked = counting.count_corpus(texts, chunk_docs=chunk_docs)
    assert chunked.terms == whole.terms and chunked.lemma_tuples == whole.lemma_tuples
    np.testing.assert_array_equal(chunked.counts, whole.counts)
    np.testing.assert_array_equal(chunked.doc_lengths, whole.doc_lengths)
    assert same_matrix(chunked.cooccurrence, whole.cooccurrence)
    assert same_matrix(chunked.doc_terms, whole.doc_terms)
    assert chunked.display_texts() == whole.display_texts()


def test_document_order_changes_no_count(texts, whole):
    shuffled = texts[:]
    random.Random(3).shuffle(shuffled)
    other = counting.count_corpus(shuffled, chunk_docs=200)
    assert other.terms == whole.terms
    np.testing.assert_array_equal(other.counts, whole.counts)
    # integer weights: the sum is exact, not merely close
    assert same_matrix(other.cooccurrence, whole.cooccurrence)


def test_cooccurrence_weighs_pairs_by_inverse_distance():
    # one document: a b c a, terms 0 1 2 0 at words 0..3; window 2
    term, doc, word = np.array([0, 1, 2, 0]), np.zeros(4, int), np.arange(4)
    matrix = space.cooccurrence(term, doc, word, 3, window=2).toarray()
    expected = np.array([[0, 1 + 1 / 2, 1 / 2 + 1], [0, 0, 1], [0, 0, 0]])
    expected = expected + expected.T
    np.testing.assert_allclose(matrix, expected, rtol=0, atol=1e-15)
    # a second document does not reach across the boundary
    two = space.cooccurrence(np.array([0, 1]), np.array([0, 1]), np.array([0, 0]), 2)
    assert two.nnz == 0


def test_documents_line_up_with_their_rows(whole, texts):
    assert whole.doc_terms.shape == (len(texts), len(whole.terms))
    assert whole.n_docs == len(texts) and whole.total_words == whole.doc_lengths.sum()
    row = whole.doc_terms[5].toarray().ravel()
    siddhartha_term = whole.terms.index("siddhartha|en")
    assert row[siddhartha_term] == texts[5].lower().count("siddhartha")


def test_nul_characters_and_wordless_documents_are_ordinary_text():
    texts = ["river\x00flows here", "", "12 34", "the river flows", "river river"]
    counted = counting.count_corpus(texts, chunk_docs=2)
    np.testing.assert_array_equal(counted.doc_lengths, [3, 0, 0, 3, 2])
    assert "river|en" in counted.terms and counted.doc_terms.shape[0] == 5


# Letters, apostrophes (straight and curly), separators and the characters around them.
WORDISH = st.text(alphabet="abZ'’\x00 _9.-\néü", max_size=60)


@given(st.lists(WORDISH, max_size=8))
def test_finding_words_equals_the_word_pattern(texts):
    joined = counting.join_texts(texts)
    assert counting.find_words(joined) == counting._WORDS_AND_SEPARATORS.findall(joined)
    ascii_only = counting.join_texts([text.replace("’", "'").replace("é", "e").replace("ü", "u")
                                      for text in texts])
    assert counting.find_words(ascii_only) == counting._WORDS_AND_SEPARATORS.findall(ascii_only)


def test_finding_words_in_the_corpus_equals_the_word_pattern(texts):
    joined = counting.join_texts(texts)
    assert joined.isascii()  # so this is the fast path
    assert counting.find_words(joined) == counting._WORDS_AND_SEPARATORS.findall(joined)


def test_a_corpus_without_words_is_a_build_error():
    with pytest.raises(BuildError, match="no document contains any words"):
        build_model([{"_id": "a", "text": "12 34"}, {"_id": "b", "text": "..."}])


def test_unknown_counting_choice_is_refused(texts):
    with pytest.raises(ValueError, match="not one of"):
        build_model([{"_id": "a", "text": texts[0]}], counting="spark")


def test_the_default_build_does_not_import_dask():
    code = ("import sys; from lumiwork.engine import build_model; "
            "build_model([{'_id': 'a', 'text': 'the river flows by the river'}]); "
            "print('dask' in sys.modules or 'distributed' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "False"


def test_a_wrong_counting_setting_is_named_and_serve_refuses_to_start(monkeypatch, capsys):
    from lumiwork.engine.model import counting_choice
    from lumiwork.tools.cli import main

    with pytest.raises(ValueError, match="'spark'.*'local', 'dask'"):
        counting_choice("spark")
    monkeypatch.setenv("LUMIWORK_COUNTING", "spark")
    assert main(["serve", "--port", "0"]) == 2
    assert "LUMIWORK_COUNTING" in capsys.readouterr().err
    assert counting_choice("In-Process") == "local"
