"""Every frames function against the real embedded server's Siddhartha project."""
import numpy as np
import pandas as pd
import pytest

from lumiwork import frames


def test_projects(demo_project):
    frame = frames.projects(demo_project, name="Siddhartha")
    assert list(frame.columns) == ["project_id", "name", "owner", "description", "document_count",
                                   "creation_date", "last_update", "last_build_time",
                                   "days_since_update"]
    assert frame.loc[0, "document_count"] > 1000
    assert str(frame["last_update"].dtype) == "datetime64[ns, UTC]" or \
        str(frame["last_update"].dtype).startswith("datetime64")
    assert frame.loc[0, "days_since_update"] == 0


def test_topics_with_vectors(demo_project):
    frame, matrix = frames.topics(demo_project, with_vectors=True)
    assert frame["name"].tolist() == ["Negative Sentiment", "Positive Sentiment", "Characters", "River"]
    assert matrix.shape == (4, 150)
    assert np.allclose(np.linalg.norm(matrix, axis=1), 1, atol=1e-3)


def test_top_terms(demo_project):
    frame, matrix = frames.top_terms(demo_project, limit=15, with_vectors=True)
    assert len(frame) == 15 == len(matrix)
    assert frame.dtypes["score"] == np.float64 and frame.dtypes["distinct_doc_count"] == np.int64
    assert frame["score"].is_monotonic_decreasing
    assert "siddhartha|en" in frame["term"].tolist()
    chapter = frames.top_terms(demo_project, limit=10, subset="Chapter 5: KAMALA")
    assert "kamala|en" in chapter["term"].tolist()


def test_related_terms_by_text_topic_and_vector(demo_project):
    by_text, matrix = frames.related_terms(demo_project, text="river", limit=20, with_vectors=True)
    assert by_text.loc[0, "term"] == "river|en"
    assert by_text["correlation"].is_monotonic_decreasing
    assert {"ferryman", "ferried across", "stream", "ferry"} & set(by_text["text"].str.lower())
    by_vector = frames.related_terms(demo_project, vector=matrix[0], limit=5)
    assert by_vector["term"].tolist() == by_text["term"].tolist()[:5]
    river = frames.topics(demo_project).query("name == 'River'")["topic_id"].iloc[0]
    by_topic = frames.related_terms(demo_project, topic=river, limit=5)
    assert by_topic.loc[0, "term"] == "river|en"
    by_terms = frames.related_terms(demo_project, terms=["river|en"], limit=5)
    assert by_terms["term"].tolist() == by_topic["term"].tolist()
    with pytest.raises(ValueError):
        frames.related_terms(demo_project, text="a", topic=river)


def test_search_documents(demo_project):
    frame = frames.search_documents(demo_project, text="river", limit=20)
    assert list(frame.columns) == ["doc_id", "score", "text", "title", "subsets", "exact_spans",
                                   "conceptual_spans", "contains_text"]
    assert frame["score"].is_monotonic_decreasing and frame["contains_text"].dtype == bool
    others = frames.search_documents(demo_project, text="river", limit=20, exclude_containing=True)
    assert len(others) >= 1 and not others["text"].str.lower().str.contains("river").any()
    assert set(others["doc_id"]) < set(frame["doc_id"])
    chapter = frames.search_documents(demo_project, text="river", subset="Chapter 8: BY THE RIVER")
    assert all(s == ["Chapter 8: BY THE RIVER"] for s in chapter["subsets"])


def test_topic_stats(demo_project):
    frame = frames.topic_stats(demo_project)
    assert frame.dtypes["n"] == np.int64 and frame.dtypes["zscore"] == np.float64
    expected = frame["mean"] / (frame["stdev"] / np.sqrt(frame["n"]))
    assert np.allclose(frame["zscore"], expected)
    assert ".all" in frame["topic_id"].tolist()


def test_text_correlation_prefers_the_river_topic(demo_project):
    frame = frames.text_correlation(demo_project, "he heard the water quietly flowing")
    assert frame.loc[0, "name"] == "River"
    assert frame["correlation"].is_monotonic_decreasing


def test_topic_and_subset_correlation(demo_project):
    square = frames.topic_correlation(demo_project)
    assert square.shape == (4, 4) and np.allclose(np.diag(square), 1, atol=1e-3)
    assert np.allclose(square, square.T)
    by_subset = frames.topic_subset_correlation(demo_project)
    assert by_subset.shape == (4, 13)
    assert by_subset.columns[0] == "__all__" and by_subset.columns[1].startswith("Chapter 1:")
    assert by_subset.columns[-1].startswith("Chapter 12:")
    assert by_subset.loc["River", "Chapter 8: BY THE RIVER"] > by_subset.loc["River", "Chapter 3: GOTAMA"]


def test_subset_stats_and_document_vectors(demo_project):
    stats, means = frames.subset_stats(demo_project, with_vectors=True)
    assert stats["subset"].iloc[0] == "__all__" and means.shape == (13, 150)
    assert stats["count"].iloc[1:].sum() == stats["count"].iloc[0]
    texts, vectors = frames.document_vectors(demo_project, ["thoughtful", "the ferryman and the river"])
    assert texts["n_terms"].tolist()[1] >= 2 and vectors.shape == (2, 150)
    assert np.isclose(np.linalg.norm(vectors[1]), 1, atol=1e-3)


def test_ignore_list(demo_project):
    assert frames.ignore_list(demo_project).empty
    demo_project.put("terms/ignorelist", term="quoth|en")
    try:
        frame = frames.ignore_list(demo_project)
        assert frame.to_dict("records") == [{"term": "quoth|en", "kind": "fullstring"}]
    finally:
        demo_project.delete("terms/ignorelist", term="quoth|en")


def test_accounts_and_usage(demo_project, server):
    frame = frames.accounts(demo_project)
    assert frame["is_default"].sum() == 1
    counts = frames.usage(demo_project, server.setup.account_id, *pd.Timestamp.now("UTC").timetuple()[:2])
    assert counts.set_index("kind").loc["billable", "count"] > 0
