"""Every frames function against the real embedded server's Siddhartha project."""
import time

import numpy as np
import pandas as pd
import pytest

from lumiwork import frames
from lumiwork.client import LuminosoClientError, UnknownQueryError
from lumiwork.notebook.v4 import frames as frames_module


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
    assert len(others) == 20 and set(others["doc_id"]) < set(frames.search_documents(
        demo_project, text="river", limit=100)["doc_id"])
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


UNKNOWN = "xqzvy plorbt"


@pytest.mark.parametrize("call", [
    lambda p, q: frames.related_terms(p, text=q),
    lambda p, q: frames.search_documents(p, text=q),
    lambda p, q: frames.text_correlation(p, q),
    lambda p, q: frames.document_vectors(p, [q]),
], ids=["related_terms", "search_documents", "text_correlation", "document_vectors"])
def test_unknown_words_raise_naming_them(demo_project, call):
    from lumiwork import LuminosoError, UnknownQueryError

    with pytest.raises(UnknownQueryError) as caught:
        call(demo_project, UNKNOWN)
    assert str(caught.value) == ("'xqzvy', 'plorbt' are not known to the project or to general "
                                 "knowledge: check the spelling")
    assert caught.value.words == ["xqzvy", "plorbt"] and isinstance(caught.value, LuminosoError)
    with pytest.raises(UnknownQueryError, match="is empty"):
        call(demo_project, "  ")


def test_unknown_terms_raise_too(demo_project):
    from lumiwork import UnknownQueryError

    with pytest.raises(UnknownQueryError, match="'xqzvy|en'"):
        frames.related_terms(demo_project, terms=["xqzvy|en"])


def test_words_only_general_knowledge_knows_are_answered(demo_project):
    # "bicycle" is not in Siddhartha; the background knows it, so this is a real answer
    assert "bicycle|en" not in set(frames.top_terms(demo_project, limit=5000)["term"])
    related = frames.related_terms(demo_project, text="bicycle", limit=5)
    assert len(related) == 5 and (related["correlation"] > 0).all()
    found = frames.search_documents(demo_project, text="bicycle", limit=3)
    assert len(found) == 3 and found["score"].iloc[0] > 0
    for frame in (related, found):  # and they say where the answer comes from
        note = frame.attrs["note"]
        assert note.startswith("'bicycle' is not in this project") and "general knowledge" in note
    known = frames.related_terms(demo_project, text="river", limit=5)
    assert "note" not in known.attrs


def test_stopwords_are_named_as_such(demo_project):
    with pytest.raises(UnknownQueryError, match="'the' is a stopword"):
        frames.related_terms(demo_project, text="the")
    with pytest.raises(UnknownQueryError, match="'of', 'a' are stopwords"):
        frames.document_vectors(demo_project, ["river", "of a"])
    table, _ = frames.document_vectors(demo_project, ["river", "bicycle"])
    assert table["evidence"].iloc[0] == "" and "general knowledge only" in table["evidence"].iloc[1]


def test_documents_without_the_words_fill_the_limit(demo_project):
    found = frames.search_documents(demo_project, text="river", limit=10, exclude_containing=True)
    assert len(found) == 10 and not found["contains_text"].any()
    assert "note" not in found.attrs


def test_wait_for_shows_the_stage(account_client, capsys):
    project = account_client.change_path(account_client.post("", name="stages")["project_id"])
    project.upload("docs", [{"text": "The river ran past the ferry."},
                            {"text": "The ferryman listened to the river."}])
    job = project.wait_for(project.post("docs/recalculate"), interval=0.05, progress=True)
    assert job["success"] and job["stage"] == "statistics"
    assert job["progress"] == {"stage": 6, "stages": 6}
    shown = capsys.readouterr().err
    assert "done: 6/6" in shown
    account_client.delete(project.url.rstrip("/").rsplit("/", 1)[-1])


def test_errors_render_as_one_line_in_jupyter(dead_url):
    from lumiwork import LuminosoConnectionError, connect

    with pytest.raises(LuminosoConnectionError) as caught:
        connect(url=dead_url, token="x")
    lines = caught.value._render_traceback_()
    assert len(lines) == 1 and f"cannot reach {dead_url}" in lines[0]


def test_doc_vectors_equal_the_official_client_with_unpack64(demo_project, official_project):
    import json

    import pack64

    expected_ids, expected = [], []
    offset = 0
    while True:  # what a user of the official client writes
        page = official_project.get("docs", doc_fields=["_id", "vector"], limit=25000, offset=offset)
        expected_ids += [doc["_id"] for doc in page]
        expected += [pack64.unpack64(doc["vector"]) for doc in page]
        if len(page) < 25000:
            break
        offset += 25000
    for page_size in (25000, 500, len(expected_ids)):  # one page, several, exactly full pages
        result = frames.doc_vectors(demo_project, page_size=page_size)
        assert result.ids == expected_ids and len(expected_ids) > 1000
        assert result.matrix.dtype == np.float64 and result.matrix.tobytes() == np.stack(expected).tobytes()
    # the fast reader and the JSON reader agree on a real page, and on the same page spaced out
    body = demo_project.get_bytes("docs", doc_fields=["_id", "vector"], limit=300, offset=7)
    fast_ids, fast = frames_module._read_page(body)
    spaced = json.dumps(json.loads(body), indent=1).encode()
    assert frames_module._read_fixed_page(spaced, frames_module._no_slot) is None
    slow_ids, slow = frames_module._read_page(spaced)
    assert fast_ids == slow_ids == expected_ids[7:307] and fast.tobytes() == slow.tobytes()


def _rows(count):
    from concurrent.futures import Future

    hint: Future = Future()
    hint.set_result(count)
    return frames_module._Rows(hint)


def _add_page(rows, values):
    page = np.asarray(values, dtype=np.float64)
    slot = rows.slot(*page.shape) if len(page) else None
    if slot is not None:
        slot[...] = page
        page = slot
    rows.add(page)


def test_doc_vectors_pages_land_in_one_matrix_without_a_copy():
    # Full pages then the empty page that shows the end: the rows stay where they
    # were decoded (the empty page used to send all of them through np.concatenate).
    rows = _rows(4)
    for values in ([[1, 2, 3], [4, 5, 6]], [[7, 8, 9], [10, 11, 12]], np.empty((0, 3))):
        _add_page(rows, values)
    matrix = rows.matrix()
    assert matrix.base is rows.whole and matrix.tolist() == [[1, 2, 3], [4, 5, 6], [7, 8, 9], [10, 11, 12]]
    # a count hint that turned out too small: the pages are joined, all of them kept
    rows = _rows(2)
    for values in ([[1, 2], [3, 4]], [[5, 6]], np.empty((0, 2))):
        _add_page(rows, values)
    assert rows.matrix().tolist() == [[1, 2], [3, 4], [5, 6]]
    # an empty project: one empty page, an empty matrix of its width
    rows = _rows(0)
    _add_page(rows, np.empty((0, 150)))
    assert rows.matrix().shape == (0, 150)


def test_the_vector_fields_render_as_the_full_records_do(demo_project):
    fast = demo_project.get("docs", doc_fields=["_id", "vector"], limit=50, offset=3)
    full = demo_project.get("docs", doc_fields=["_id", "vector", "title"], limit=50, offset=3)
    assert fast == [{"_id": doc["_id"], "vector": doc["vector"]} for doc in full]
    assert demo_project.get("docs", doc_fields=["_id"], limit=5) == [
        {"_id": doc["_id"]} for doc in demo_project.get("docs", doc_fields=["_id", "title"], limit=5)]
    assert demo_project.get("docs", doc_fields=["_id", "vector"], limit=5, offset=10 ** 6) == []


def test_a_job_request_with_wait_answers_when_the_record_changes(account_client):
    project = account_client.change_path(account_client.post("", name="waiting")["project_id"])
    project.upload("docs", [{"text": "The river ran past the ferry."},
                            {"text": "The ferryman listened to the river."}] * 20)
    job_id = project.post("docs/recalculate")
    seen = [project.get(f"jobs/id/{job_id}")]
    while not seen[-1]["stop_time"]:
        seen.append(project.get(f"jobs/id/{job_id}", wait=30))
        # each answer is a change: a later stage, or the end (no answer waits out its 30 s)
        assert seen[-1] != seen[-2]
        assert len(seen) <= 1 + 6 + 1
    assert seen[-1]["success"] and seen[-1]["stage"] == "statistics"
    # a stopped job is answered at once, and bad waits are named
    assert project.get(f"jobs/id/{job_id}", wait=30) == seen[-1]
    for wrong in (-1, 31, "soon", "nan"):
        with pytest.raises(LuminosoClientError) as info:
            project.get(f"jobs/id/{job_id}", wait=wrong)
        assert info.value.code == "INVALID_PARAMETER" and "wait" in info.value.message
    with pytest.raises(LuminosoClientError) as info:  # the job is looked up first
        project.get(f"jobs/id/{job_id + 1}", wait="soon")
    assert info.value.code == "NOT_FOUND"
    account_client.delete(project.url.rstrip("/").rsplit("/", 1)[-1])


def test_wait_for_does_not_sleep_its_interval_on_a_server_that_waits(account_client):
    project = account_client.change_path(account_client.post("", name="no sleeping")["project_id"])
    project.upload("docs", [{"text": "The river ran past the ferry."},
                            {"text": "The ferryman listened to the river."}])
    # polling every 60 s would make this take a minute; a waiting server answers at the end
    start = time.monotonic()
    job = project.wait_for(project.post("docs/recalculate"), interval=60, timeout=50)
    assert job["success"] and time.monotonic() - start < 50
    account_client.delete(project.url.rstrip("/").rsplit("/", 1)[-1])
