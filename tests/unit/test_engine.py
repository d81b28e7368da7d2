"""The engine alone: deterministic builds and topic statistics."""
import threading

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lumiwork.datasets import siddhartha
from lumiwork.engine import ALL_SUBSET, build_model, query


@pytest.fixture(scope="module")
def documents(siddhartha_path):
    docs = siddhartha(siddhartha_path)
    return [{**doc, "_id": f"d{i}"} for i, doc in enumerate(docs)]


@pytest.fixture(scope="module")
def model(documents):
    return build_model(documents)


def test_two_builds_give_identical_vectors(documents, model):
    again = build_model(documents)
    assert again.terms == model.terms
    np.testing.assert_array_equal(again.term_vectors, model.term_vectors)
    np.testing.assert_array_equal(again.doc_vectors, model.doc_vectors)
    np.testing.assert_array_equal(again.subset_means, model.subset_means)


def test_topic_stats_follow_the_cookbooks_zscore_and_add_all(model):
    river = model.vector_for_text("river")
    friend = model.vector_for_text("friend")
    stats = query.topic_stats(model, {"river": river, "friend": friend})
    assert set(stats) == {"river", "friend", query.ALL_TOPICS}
    for values in stats.values():
        c = values["correlation"]
        assert c["n"] == len(model.doc_ids)
        assert c["Zscore"] == pytest.approx(c["mean"] / (c["stdev"] / np.sqrt(c["n"])))
    combined = (river + friend) / np.linalg.norm(river + friend)
    expected = float(np.mean(model.doc_vectors @ combined))
    assert stats[query.ALL_TOPICS]["correlation"]["mean"] == pytest.approx(expected, rel=1e-5)
    assert query.topic_stats(model, {}) == {}


def test_distance_is_scaled_euclidean_from_the_project_centre(model):
    vector = model.vector_for_text("river")
    centre = model.subset_means[model.subset_index[ALL_SUBSET]]
    expected = np.sqrt(model.dimensions) * np.linalg.norm(vector - centre)
    assert query.topic_distance(model, vector) == pytest.approx(expected)


def test_model_memo_computes_once_per_key_and_forgets_the_oldest(model):
    calls = []

    def compute(value):
        calls.append(value)
        return value

    assert model.memo(("test", 1), lambda: compute(1), capacity=2) == 1
    assert model.memo(("test", 1), lambda: compute(99), capacity=2) == 1
    model.memo(("test", 2), lambda: compute(2), capacity=2)
    model.memo(("test", 3), lambda: compute(3), capacity=2)
    assert model.memo(("test", 1), lambda: compute(4), capacity=2) == 4
    assert calls == [1, 2, 3, 4]


def test_model_memo_makes_one_key_wait_only_for_its_own_answer(model):
    started, release = threading.Event(), threading.Event()
    calls = []

    def slow():
        calls.append("slow")
        started.set()
        release.wait(10)
        return "slow answer"

    answers = {}
    first = threading.Thread(target=lambda: answers.setdefault(1, model.memo(("test", "slow"), slow)))
    second = threading.Thread(target=lambda: answers.setdefault(2, model.memo(("test", "slow"), slow)))
    first.start()
    assert started.wait(10)
    second.start()
    # another key is answered while the slow one is still being computed
    assert model.memo(("test", "quick"), lambda: "quick answer") == "quick answer"
    assert not release.is_set() and second.is_alive()
    release.set()
    first.join(10)
    second.join(10)
    assert answers == {1: "slow answer", 2: "slow answer"} and calls == ["slow"]


def _brute_force_search(model, vector, exact_terms, limit, subset, exact_only):
    scores = model.doc_vectors.astype(np.float64) @ vector
    has_term = np.asarray(model.doc_terms[:, exact_terms].sum(axis=1)).ravel() > 0 if exact_terms else (
        np.zeros(len(model.doc_ids), dtype=bool))
    members = np.ones(len(model.doc_ids), dtype=bool)
    if subset is not None:
        members = np.asarray(model.membership[:, model.subset_index[subset]].todense()).ravel()
    exact = has_term & members
    pool = exact if exact_only else members
    ranked = sorted(np.flatnonzero(pool), key=lambda i: (-scores[i], i))[:limit]
    related = int((pool & ~exact & (scores >= query.CONCEPTUAL_THRESHOLD)).sum())
    return ranked, int(exact.sum()), related, scores


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(word=st.sampled_from(["river", "love", "smile", "ferryman", "merchant", "forest", "om"]),
       extra=st.lists(st.integers(0, 1700), max_size=3), limit=st.integers(0, 40),
       subset_choice=st.integers(-1, 12), exact_only=st.booleans())
def test_search_docs_matches_a_brute_force_ranking(model, word, extra, limit, subset_choice, exact_only):
    exact_terms = [model.term_index[f"{word}|en"], *[t % len(model.terms) for t in extra]]
    subset = None if subset_choice < 0 else model.subset_names[subset_choice % len(model.subset_names)]
    vector = query.expand_query(model, model.vector_for_text(word))
    found, n_exact, related = query.search_docs(model, vector, exact_terms, limit, subset, exact_only)
    ranked, expected_exact, expected_related, scores = _brute_force_search(
        model, vector, exact_terms, limit, subset, exact_only)
    assert (n_exact, len(found)) == (expected_exact, len(ranked))
    # float32 sparse scores may reorder documents whose scores tie within rounding
    np.testing.assert_allclose([s for _, s in found], scores[ranked], atol=1e-5)
    assert abs(related - expected_related) <= int(np.sum(np.abs(scores - query.CONCEPTUAL_THRESHOLD) < 1e-5))


def test_a_model_keeps_its_words_lemmas_and_they_spare_the_lemmatizer(model, documents, tmp_path,
                                                                        monkeypatch):
    from lumiwork.engine import Model, text
    from lumiwork.server.models.cache import prepare as _prepare

    words = {word for doc in documents for word in text.WORD_PATTERN.findall(doc["text"])}
    assert set(model.word_forms) == words and len(model.word_forms) == len(words)
    assert model.word_lemmas == [text.lemmatize(word) for word in model.word_forms]
    model.save(tmp_path / "m.npz")
    loaded = Model.load(tmp_path / "m.npz")
    assert (loaded.word_forms, loaded.word_lemmas) == (model.word_forms, model.word_lemmas)
    # a server process that has lemmatized nothing: every document's terms without the lemmatizer
    monkeypatch.setattr(text, "_lemma_caches", {})
    _prepare(loaded)
    calls = []
    original = text._lemma
    monkeypatch.setattr(text, "_lemma", lambda word, language: calls.append(word) or original(word, language))
    found = [loaded.text_terms(doc["text"]) for doc in documents[:300]]
    assert calls == [] and found == [model.text_terms(doc["text"]) for doc in documents[:300]]
