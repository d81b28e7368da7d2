"""The engine alone: deterministic builds and topic statistics."""
import numpy as np
import pytest

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
