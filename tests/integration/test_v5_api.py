"""API v5 over the wire, with the official 3.1.1 client: every selector and
concept endpoint on the demo projects, documents with fields, filters and
searches, metadata, concept lists, the ignore list, one project seen by API v4
and v5, and the numbers of score_drivers and sentiment checked against the
documents docs/ gives for the same concept and filter."""
import math

import numpy as np
import pytest
import requests
from v5client import official

from lumiwork.datasets import review_sentences
from lumiwork.wire import pack64

SELECTORS = [
    {"type": "top", "limit": 5},
    {"type": "specified", "concepts": [{"texts": ["battery"]}, {"texts": ["customer service"], "name": "service"}]},
    {"type": "related", "search_concept": {"texts": ["battery"]}, "limit": 5},
    {"type": "suggested", "num_clusters": 3, "num_cluster_concepts": 2},
    {"type": "sentiment_suggested", "limit": 5},
    {"type": "drivers_suggested", "score_field": "rating", "limit": 5},
    {"type": "unique_to_filter", "limit": 5},
]
NOKIA = [{"name": "product", "values": ["Nokia 6610 phone"]}]


@pytest.fixture(scope="module")
def v5(server, v5_url):
    return official().LuminosoClient.connect(v5_url, token=server.token)


@pytest.fixture(scope="module")
def reviews(v5, reviews_project):
    return v5.client_for_path(f"projects/{reviews_project}")


def test_documentation_defines_every_endpoint_selector_and_number(v5_url):
    from lumiwork.server import v5 as api

    text = requests.get(v5_url + "/", timeout=30).text
    paths = {route.path.replace("{project}/", "").replace("/projects/", "P ").strip("/") for route in api.routes}
    for path in paths - {""}:
        shown = path.replace("{list}", "<id>").replace("{workspace}", "<id>").replace("{token_id}", "<token_id>")
        assert shown.removeprefix("P ") in text, path
    for selector in SELECTORS + [{"type": "concept_list"}]:
        assert f'"type": "{selector["type"]}"' in text
    for number in ("relevance:", "match_score (docs/", "impact        =", "confidence    =", "importance    =",
                   "baseline      =", "average_score =", "sentiment_share:", "association_score:", "cluster_label:",
                   "unique_score", "related terms:", "exact match:", "conceptual match:"):
        assert number in text, number


def test_every_selector_and_concept_endpoint_on_the_reviews_demo(reviews):
    for selector in SELECTORS + [{"type": "concept_list", "name": "aspects"}]:
        if selector["type"] == "concept_list":
            reviews.post("concept_lists", name="aspects", overwrite=True,
                         concepts=[{"texts": ["battery"], "color": "#00ff00"}, {"texts": ["screen"]}])
        options = {"concept_selector": selector, "filter": NOKIA}
        listed = reviews.get("concepts", **options)["result"]
        assert listed, selector
        counts = reviews.get("concepts/match_counts", **options)
        assert [c["name"] for c in counts["match_counts"]] == [c["name"] for c in listed]
        assert counts["filter_count"] == 530 and counts["total_count"] == 3708
        assert all(0 <= c["exact_match_count"] <= c["match_count"] <= 530 for c in counts["match_counts"])
        shares = reviews.get("concepts/sentiment", **options)["match_counts"]
        for concept in shares:
            if concept["sentiment_counts"]["total"]:
                assert sum(concept["sentiment_share"].values()) == pytest.approx(1.0)
            assert concept["sentiment_counts"]["total"] == concept["match_count"]
        drivers = reviews.get("concepts/score_drivers", score_field="rating", **options)
        assert [d["name"] for d in drivers] == [c["name"] for c in listed]
        assert max(d["importance"] for d in drivers) == pytest.approx(1.0) or all(d["impact"] == 0 for d in drivers)
        associations = reviews.get("concepts/concept_associations", **options)
        assert all(len(a["associations"]) == len(listed) - 1 for a in associations)
        extra = {"related": "match_score", "suggested": "cluster_label", "concept_list": "shared_concept_id",
                 "unique_to_filter": "unique_score"}.get(selector["type"])
        if extra:
            assert all(extra in concept for concept in listed), (selector, listed[0])
        for concept in listed:
            assert {"name", "texts", "exact_term_ids", "excluded_term_ids", "vectors", "relevance"} <= set(concept)
            assert len(pack64.unpack(concept["vectors"][0])) == 150


def test_the_siddhartha_demo_answers_in_v5(v5, demo_project):
    """A project made through API v4: its chapters (subsets) are the string field "subset"."""
    project_id = demo_project.url.rstrip("/").split("/")[-1]
    project = v5.client_for_path(f"projects/{project_id}")
    record = project.get("")
    assert record["last_build_info"]["success"] is True and record["document_count"] > 1000
    field = project.get("metadata")["result"][0]
    assert field["name"] == "subset" and field["value_count"] == 12
    chapter = "Chapter 8: BY THE RIVER"
    counts = project.get("concepts/match_counts", concept_selector={"type": "specified", "concepts": [
        {"texts": ["river"]}]}, filter=[{"name": "subset", "values": [chapter]}])
    assert counts["filter_count"] == demo_project.get("")["counts"][chapter]
    assert 0 < counts["match_counts"][0]["exact_match_count"] <= counts["match_counts"][0]["match_count"]
    for selector in SELECTORS + [{"type": "concept_list", "name": "nope"}]:
        if selector["type"] == "drivers_suggested":
            with pytest.raises(official().LuminosoClientError) as info:  # Siddhartha has no score field
                project.get("concepts", concept_selector=selector)
            assert info.value.args[0]["error"] == "INVALID_SCORE_FIELD"
            continue
        if selector["type"] == "concept_list":
            with pytest.raises(official().LuminosoClientError):
                project.get("concepts", concept_selector=selector)
            continue
        if selector["type"] == "specified":
            selector = {"type": "specified", "concepts": [{"texts": ["river"]}, {"texts": ["Kamala"]}]}
        if selector["type"] == "related":
            selector = {**selector, "search_concept": {"texts": ["river"]}}
        result = project.get("concepts/sentiment", concept_selector=selector,
                             filter=[{"name": "subset", "values": [chapter]}])
        assert result["match_counts"], selector
    related = project.get("concepts", concept_selector={"type": "related", "search_concept": {"texts": ["river"]}})
    assert related["search"]["texts"] == ["river"] and related["result"][0]["name"] == "river"


def test_one_project_in_both_apis(server, v5):
    from lumiwork.client import LuminosoClient

    record = v5.post("projects", name="both APIs")
    project = v5.client_for_path(f"projects/{record['project_id']}")
    project.post("upload", docs=[
        {"text": "The ferry crossed the river.", "metadata": [
            {"type": "string", "name": "place", "value": "river"}, {"type": "string", "name": "subset", "value": "x"},
            {"type": "number", "name": "weight", "value": 2}]},
        {"text": "The forest was dark.", "metadata": [{"type": "string", "name": "place", "value": "forest"}]}])
    v4 = LuminosoClient.connect(f"{server.url}projects/{record['workspace_id']}/{record['project_id']}/",
                                token=server.token)
    assert v4.get("")["counts"] == {"__all__": 2, "place: river": 1, "place: forest": 1, "x": 1}
    v4.upload("docs", [{"text": "The boat reached the shore.", "subsets": ["place: shore", "old"], "date": 1e9}])
    job = v4.post("docs/recalculate")
    v4.wait_for(job, interval=0.1)
    info = project.get("")["last_build_info"]
    assert info["number"] == job and info["success"] is True  # a v4 recalculation is a v5 build
    docs = project.get("docs", fields=["text", "metadata"])["result"]
    assert docs[2]["metadata"] == [{"type": "string", "name": "subset", "value": "place: shore"},
                                   {"type": "string", "name": "subset", "value": "old"},
                                   {"type": "date", "name": "date", "value": "2001-09-09T01:46:40Z"}]
    subset = project.get("docs", filter=[{"name": "subset", "values": ["old", "x"]}], fields=["text"])
    assert [d["text"] for d in subset["result"]] == ["The ferry crossed the river.", "The boat reached the shore."]
    assert [s["subset"] for s in v4.get("subsets/stats")] == ["__all__", "old", "place: forest", "place: river",
                                                            "place: shore", "x"]
    # the type of "subset" and "date" is fixed by API v4
    with pytest.raises(official().LuminosoClientError, match="is a date field"):
        project.post("upload", docs=[{"text": "t", "metadata": [{"type": "number", "name": "date", "value": 1}]}])
    v4.delete("")
    with pytest.raises(official().LuminosoClientError):
        project.get("")


def test_documents_fields_filters_and_searches(reviews):
    plain = reviews.get("docs", limit=3)
    assert plain["total_count"] == plain["filter_count"] == 3708 and plain["search"] is None
    assert set(plain["result"][0]) == {"doc_id", "title", "text", "metadata", "terms", "fragments", "vector",
                                       "match_score"}
    assert plain["result"][0]["match_score"] is None
    only = reviews.get("docs", limit=2, offset=1, fields=["title"])["result"]
    assert only == [{"title": "review 1, sentence 2"}, {"title": "review 1, sentence 3"}]
    nokia = reviews.get("docs", filter=NOKIA, limit=25_000, fields=["metadata"])
    assert nokia["filter_count"] == len(nokia["result"]) == 530
    assert all({"type": "string", "name": "product", "value": "Nokia 6610 phone"} in d["metadata"]
               for d in nokia["result"])
    low = reviews.get("docs", filter=[{"name": "rating", "maximum": -3}], limit=100, fields=["metadata"])
    expected = [text for _, rating, text in review_sentences() if rating <= -3]
    assert low["filter_count"] == len(expected) and all(d["metadata"][0]["value"] <= -3 for d in low["result"])
    search = {"texts": ["battery"]}
    found = {kind: reviews.get("docs", search=search, filter=NOKIA, match_type=kind, limit=25_000)
             for kind in ("both", "exact", "conceptual")}
    both, exact, conceptual = (found[k]["result"] for k in ("both", "exact", "conceptual"))
    assert len(both) == len(exact) + len(conceptual) and exact and conceptual
    assert {d["doc_id"] for d in exact} | {d["doc_id"] for d in conceptual} == {d["doc_id"] for d in both}
    assert all(any(t["term_id"] == "battery|en" for t in d["terms"]) for d in exact)
    scores = [d["match_score"] for d in both]
    assert scores == sorted(scores, reverse=True)
    concept = pack64.unpack(found["both"]["search"]["vectors"][0])
    for doc in both[:5]:  # match_score: the document's vector against the search concept's
        assert doc["match_score"] == pytest.approx(float(pack64.unpack(doc["vector"]) @ concept), abs=2e-3)
    counts = reviews.get("concepts/match_counts", filter=NOKIA,
                         concept_selector={"type": "specified", "concepts": [search]})["match_counts"][0]
    assert (counts["exact_match_count"], counts["match_count"]) == (len(exact), len(both))
    posted = reviews.post("docs", search=search, filter=NOKIA, match_type="exact", limit=25_000)
    assert posted["result"] == exact  # POST docs/ reads its parameters from the body
    with_sentiment = reviews.get("docs", search=search, limit=3, include_sentiment_on_concepts=True)
    term = with_sentiment["result"][0]["terms"][0]
    assert term["sentiment"] in ("positive", "neutral", "negative") and 0 <= term["sentiment_confidence"] < 1


def _all_docs(project, **options) -> list[dict]:
    return project.get("docs", limit=25_000, fields=["doc_id", "metadata", "terms", "fragments"],
                       include_sentiment_on_concepts=True, **options)["result"]


def _rating(doc) -> float:
    return next(m["value"] for m in doc["metadata"] if m["name"] == "rating")


def test_score_drivers_and_sentiment_agree_with_the_documents(reviews):
    """The numbers of score_drivers and sentiment, recomputed by their definitions
    from the documents docs/ returns for the same concepts and filter."""
    concepts = [{"texts": ["customer service"]}, {"texts": ["battery"]}, {"texts": ["price"]}]
    selector = {"type": "specified", "concepts": concepts}
    for filter_ in (None, [{"name": "product", "values": ["Apex AD2600 DVD player", "Nokia 6610 phone"]}]):
        everyone = [_rating(d) for d in _all_docs(reviews, filter=filter_)]
        drivers = reviews.get("concepts/score_drivers", score_field="rating", concept_selector=selector, filter=filter_)
        shares = reviews.get("concepts/sentiment", concept_selector=selector, filter=filter_)["match_counts"]
        weights = []
        for concept, driver, share in zip(concepts, drivers, shares):
            matching = _all_docs(reviews, search=concept, filter=filter_)
            ids = {d["doc_id"] for d in matching}
            inside = [_rating(d) for d in matching]
            rest = [_rating(d) for d in _all_docs(reviews, filter=filter_) if d["doc_id"] not in ids]
            baseline = sum(everyone) / len(everyone)
            assert driver["baseline"] == pytest.approx(baseline)
            assert driver["average_score"] == pytest.approx(np.mean(inside))
            assert driver["impact"] == pytest.approx(np.mean(inside) - baseline)
            welch = (np.mean(inside) - np.mean(rest)) / math.sqrt(
                np.var(inside, ddof=1) / len(inside) + np.var(rest, ddof=1) / len(rest))
            assert driver["confidence"] == pytest.approx(welch)
            assert driver["match_count"] == len(matching)
            weights.append(abs(driver["impact"]) * len(inside))
            labels = [(d["terms"] + d["fragments"])[0]["sentiment"] for d in matching]
            assert share["sentiment_counts"] == {"positive": labels.count("positive"),
                                                 "neutral": labels.count("neutral"),
                                                 "negative": labels.count("negative"), "total": len(labels)}
        for driver, weight in zip(drivers, weights):
            assert driver["importance"] == pytest.approx(weight / max(weights))


def test_sentiment_of_plain_sentences_by_hand(v5):
    """compound = s / sqrt(s^2 + 15) of the sum s of VADER valences: "great" 3.1
    (0.62, positive), "terrible" -2.1 (-0.48, negative), "blue" none (neutral)."""
    project = v5.client_for_path("projects/" + v5.post("projects", name="sentiment by hand")["project_id"])
    texts = ["The zork is great.", "The zork is terrible.", "The zork is blue.", "The zork was great and terrible."]
    project.post("upload", docs=[{"text": t} for t in texts])
    project.post("build")
    project.wait_for_build(interval=0.1)
    zork = project.get("concepts/sentiment", concept_selector={"type": "specified", "concepts": [{"texts": ["zork"]}]})
    # the last: s = 3.1 - 2.1 = 1, compound 0.25 >= 0.2: positive
    assert zork["match_counts"][0]["sentiment_counts"] == {"positive": 2, "neutral": 1, "negative": 1, "total": 4}
    assert zork["match_counts"][0]["sentiment_share"]["positive"] == 0.5
    docs = project.get("docs", include_sentiment_on_concepts=True, fields=["terms"])["result"]
    confidences = [next(t for t in d["terms"] if t["term_id"] == "zork|en")["sentiment_confidence"] for d in docs]
    assert confidences == pytest.approx([3.1 / math.sqrt(3.1 ** 2 + 15), 2.1 / math.sqrt(2.1 ** 2 + 15), 0, 0.25],
                                        abs=1e-4)


def test_relevance_is_api_v4_relevance(server, v5, demo_project):
    project_id = demo_project.url.rstrip("/").split("/")[-1]
    top = v5.get(f"projects/{project_id}/concepts", concept_selector={"type": "top", "limit": 10})["result"]
    terms = demo_project.get("terms", limit=10)
    assert [c["exact_term_ids"][0] for c in top] == [t["term"] for t in terms]
    assert [c["relevance"] for c in top] == pytest.approx([t["score"] for t in terms])


def test_concept_lists_and_the_ignore_list(server, reviews, reviews_project):
    from lumiwork.client import LuminosoClient

    made = reviews.post("concept_lists", name="hardware", concepts=[
        {"texts": ["battery"]}, {"texts": ["screen", "display"], "name": "screen", "color": "#123456"}])
    assert [c["color"] for c in made["concepts"]] == ["#1f77b4", "#123456"]
    with pytest.raises(official().LuminosoClientError) as info:
        reviews.post("concept_lists", name="hardware", concepts=[])
    assert info.value.args[0]["error"] == "CONCEPT_LIST_EXISTS" and info.value.args[0]["name"] == "hardware"
    edited = [{**made["concepts"][0], "name": "Battery"}, {"texts": ["price"]}]
    updated = reviews.put(f"concept_lists/{made['concept_list_id']}/concepts", concepts=edited)
    assert updated["concepts"][0]["shared_concept_id"] == made["concepts"][0]["shared_concept_id"]
    assert [c["name"] for c in updated["concepts"]] == ["Battery", "price"]
    drivers = reviews.get("concepts/score_drivers", score_field="rating",
                          concept_selector={"type": "concept_list", "concept_list_id": made["concept_list_id"]})
    assert [(d["name"], d["shared_concept_id"]) for d in drivers] == [
        (c["name"], c["shared_concept_id"]) for c in updated["concepts"]]
    assert reviews.delete(f"concept_lists/{made['concept_list_id']}") == {"deleted": made["concept_list_id"]}
    # the ignore list is API v4's
    top = [c["name"] for c in reviews.get("concepts", concept_selector={"type": "top", "limit": 3})["result"]]
    managed = reviews.put("concepts/manage", concept_management={"ignore": [{"texts": [top[0]]}]})
    assert managed["next_build"]["ignore"][0]["texts"] == [top[0]]
    after = [c["name"] for c in reviews.get("concepts", concept_selector={"type": "top", "limit": 3})["result"]]
    assert after == top[1:] + after[2:] and top[0] not in after
    workspace = reviews.get("")["workspace_id"]
    v4 = LuminosoClient.connect(f"{server.url}projects/{workspace}/{reviews_project}/", token=server.token)
    assert v4.get("terms/ignorelist")["fullstring"] == managed["current_build"]["ignore"][0]["exact_term_ids"]
    with pytest.raises(official().LuminosoClientError) as info:
        reviews.put("concepts/manage", concept_management={"merge": [{"texts": ["a"]}]})
    assert info.value.args[0]["error"] == "UNSUPPORTED"
    cleared = reviews.put("concepts/manage", concept_management={"ignore": []}, overwrite=True)
    assert cleared["current_build"]["ignore"] == [] and v4.get("terms/ignorelist")["fullstring"] == []


def test_refusals_store_nothing(v5):
    errors = official()
    record = v5.post("projects", name="refusals")
    project = v5.client_for_path(f"projects/{record['project_id']}")
    for call, code in [
        (lambda: project.post("build"), "NO_DOCUMENTS"),
        (lambda: project.get("concepts"), "PROJECT_NOT_BUILT"),
        (lambda: project.post("vectorize", texts=["x"]), "PROJECT_NOT_BUILT"),
        (lambda: project.post("upload", docs=[{"text": "fine"}, {"text": "bad", "metadata": [
            {"type": "number", "name": "n", "value": "x"}]}]), "INVALID_DOCUMENT"),
        (lambda: project.post("upload", docs=[
            {"text": "a", "metadata": [{"type": "number", "name": "n", "value": 1}]},
            {"text": "b", "metadata": [{"type": "string", "name": "n", "value": "1"}]}]), "INVALID_DOCUMENT"),
        (lambda: project.post("upload", docs="nope"), "INVALID_PARAMETER"),
        (lambda: project.get("docs", fields=["colour"]), "INVALID_PARAMETER"),
        (lambda: project.get("docs", filter=[{"name": "nope", "values": ["x"]}]), "INVALID_FILTER"),
        (lambda: project.post("docs/delete", doc_ids=["nope"]), "NOT_FOUND"),
    ]:
        with pytest.raises(errors.LuminosoClientError) as info:
            call()
        assert info.value.args[0]["error"] == code, info.value.args[0]
    assert project.get("")["document_count"] == 0
    project.post("upload", docs=[{"text": "The river flows past the ferry."}, {"text": "The ferry crosses it."}])
    project.post("build")
    project.wait_for_build(interval=0.1)
    for options, code in [({"concept_selector": {"type": "nope"}}, "INVALID_SELECTOR"),
                          ({"concept_selector": {"type": "top", "limit": -1}}, "INVALID_SELECTOR"),
                          ({"concept_selector": {"type": "unique_to_filter"}}, "INVALID_SELECTOR"),
                          ({"concept_selector": {"type": "specified", "concepts": [{"texts": []}]}},
                           "INVALID_SELECTOR"),
                          ({"concept_selector": "top"}, "INVALID_SELECTOR")]:
        with pytest.raises(errors.LuminosoClientError) as info:
            project.get("concepts", **options)
        assert info.value.args[0]["error"] == code
    with pytest.raises(errors.LuminosoClientError) as info:
        project.get("concepts/score_drivers")
    assert info.value.args[0]["error"] == "MISSING_PARAMETER"
    vectors = project.post("vectorize", texts=["the river", "ferry"])
    assert [v["text"] for v in vectors] == ["the river", "ferry"]
    assert np.linalg.norm(pack64.unpack(vectors[0]["vector"])) == pytest.approx(1, abs=1e-3)
    doc_ids = [d["doc_id"] for d in project.get("docs")["result"]]
    assert project.post("docs/delete", doc_ids=doc_ids[:1]) == {"deleted": doc_ids[:1]}
    counts = project.get("concepts/match_counts", concept_selector={"type": "specified", "concepts": [
        {"texts": ["ferry"]}]})
    assert counts["total_count"] == 1 and counts["match_counts"][0]["exact_match_count"] == 1
    assert project.get("")["document_count"] == 1
