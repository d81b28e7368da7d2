"""Answers that say how sure they are: the noise floor, and what a query rests on
(project terms, general knowledge only, stopwords, nothing)."""
import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from lumiwork.engine import background as background_space
from lumiwork.engine import build_model, query
from lumiwork.engine.calibration import NOISE_FLOOR, noise_floor
from lumiwork.engine.evaluation import siddhartha_split
from lumiwork.engine.evidence import BACKGROUND, STOPWORD, TERM, UNKNOWN, query_evidence, word_kinds


@pytest.fixture(scope="module")
def blended(siddhartha_path):
    knowledge = background_space.load_or_build(Path(os.environ["LUMIWORK_BACKGROUND_DIR"]))
    model = build_model(siddhartha_split(siddhartha_path, "suite"), background=knowledge)
    model.attach_background(knowledge)
    return model


@settings(max_examples=30, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(2, 40), st.integers(2, 8)),
              elements=st.floats(-1, 1, allow_nan=False)))
def test_noise_floor_is_a_correlation_and_deterministic(matrix):
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    unit = matrix / np.where(norms == 0, 1, norms)
    floor = noise_floor(unit, pairs=500)
    assert -1 - 1e-9 <= floor <= 1 + 1e-9
    assert floor == noise_floor(unit, pairs=500)
    assert noise_floor(unit, pairs=500, percentile=50) <= floor


def test_noise_floor_of_random_directions_falls_with_dimensions():
    rng = np.random.default_rng(0)
    floors = []
    for dims in (10, 100):
        vectors = rng.standard_normal((2000, dims))
        floors.append(noise_floor(vectors / np.linalg.norm(vectors, axis=1, keepdims=True)))
    # the 99th percentile of a random cosine is about 2.33 / sqrt(dims)
    assert floors[0] == pytest.approx(2.33 / np.sqrt(10), abs=0.1)
    assert floors[1] == pytest.approx(2.33 / np.sqrt(100), abs=0.03)


def test_model_measures_and_keeps_its_noise_floor(tmp_path, blended):
    assert 0.2 < blended.noise_floor < 0.5 and blended.background_noise_floor > blended.noise_floor
    assert blended.above_noise(blended.noise_floor + 0.01) and not blended.above_noise(blended.noise_floor)
    blended.save(tmp_path / "model.npz")
    loaded = type(blended).load(tmp_path / "model.npz")
    assert (loaded.noise_floor, loaded.background_noise_floor) == (blended.noise_floor,
                                                                   blended.background_noise_floor)
    assert 0 < NOISE_FLOOR < 1


def test_related_words_score_above_the_floor_and_unrelated_below(blended):
    def best(text):
        return query.related_terms(blended, blended.vector_for_text(text), 1)[0]

    for text in ("bicycle", "thoughtful", "pizza"):
        assert blended.above_noise(best(text)[1]), text
    river = blended.term_vectors[blended.term_index["river|en"]]
    assert blended.above_noise(float(river @ blended.term_vectors[blended.term_index["ferry|en"]]))
    assert not blended.above_noise(float(river @ blended.term_vectors[blended.term_index["mango|en"]]))


def test_each_word_of_a_query_has_a_kind(blended):
    kinds = [(w.text, w.kind) for w in word_kinds(blended, "the river and a smartphone xqzt")]
    assert kinds == [("the", STOPWORD), ("river", TERM), ("and", STOPWORD), ("a", STOPWORD),
                     ("smartphone", BACKGROUND), ("xqzt", UNKNOWN)]


def test_evidence_of_project_stopword_background_and_unknown_queries(blended):
    river = query_evidence(blended, "river")
    assert river.basis == "terms" and river.supported and not river.background_only and river.message == ""
    the = query_evidence(blended, "the")
    assert the.basis == "stopwords" and "'the' is a stopword" in the.message
    assert "spelling" not in the.message
    bicycle = query_evidence(blended, "bicycle")
    assert bicycle.background_only and bicycle.supported and bicycle.nearest == "cart"
    assert bicycle.support > blended.background_noise_floor
    smartphone = query_evidence(blended, "smartphone")
    assert smartphone.background_only and not smartphone.supported
    assert smartphone.support < blended.background_noise_floor and "noise" in smartphone.message
    unknown = query_evidence(blended, "xqzt")
    assert unknown.basis == "unknown" and "check the spelling" in unknown.message
    mixed = query_evidence(blended, "river xqzt")
    assert mixed.basis == "terms" and "'xqzt'" in mixed.message
    assert query_evidence(blended, "  ,. ").basis == "empty"


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=40))
def test_evidence_answers_any_text(blended, text):
    evidence = query_evidence(blended, text)
    assert evidence.basis in {"terms", "background", "stopwords", "unknown", "empty"}
    assert (evidence.basis == "terms") == any(w.kind == TERM for w in evidence.words)
    for word in evidence.words:
        assert text[word.start:word.end] == word.text


def test_without_a_background_an_unknown_word_is_not_a_spelling_mistake(siddhartha_path):
    model = build_model(siddhartha_split(siddhartha_path, "suite")[:200])
    evidence = query_evidence(model, "bicycle")
    assert evidence.basis == "unknown" and "no general knowledge" in evidence.message
