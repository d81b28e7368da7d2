"""Every number API v5 defines (GET /api/v5/), worked out by hand on a model
small enough to follow: four terms in four dimensions, six documents, six scores.

    term      vector                  documents     scores of the documents
    battery   e0                      d0, d1        d0 1   d1 2
    charge    0.8 e0 + 0.6 e1         d2            d2 2
    screen    e2                      d1, d3, d5    d3 5
    price     e3                      d4, d5        d4 4   d5 4
    power     0.45 e0 - 0.893 e1      (none)

charge correlates 0.8 with battery (a related term: >= 0.5); power only 0.45
with battery and -0.18 with charge (related to nothing). Sentiment labels of d0..d5: negative, positive, neutral,
positive, neutral, negative.
"""
import math

import numpy as np
import pytest
import scipy.sparse as sp

from lumiwork.engine import Model
from lumiwork.engine import concepts as engine
from lumiwork.engine.classify import doc_sentiment
from lumiwork.engine.metadata import MetadataError, MetadataTable, check_entries, parse_filter

TERMS = ["battery", "charge", "screen", "price", "power"]
DOCS = [[0], [0, 2], [1], [2], [3], [2, 3]]
SCORES = np.array([1.0, 2.0, 2.0, 5.0, 4.0, 4.0])
LABELS = np.array([-1, 1, 0, 1, 0, -1], dtype=np.int8)
ALL = np.ones(6, dtype=bool)


@pytest.fixture(scope="module")
def model() -> Model:
    vectors = np.zeros((5, 4), dtype=np.float32)
    vectors[0, 0] = 1
    vectors[1, :2] = (0.8, 0.6)
    vectors[2, 2] = 1
    vectors[3, 3] = 1
    vectors[4, :2] = (0.45, -math.sqrt(1 - 0.45 ** 2))
    indptr = np.cumsum([0] + [len(d) for d in DOCS])
    doc_terms = sp.csr_matrix((np.ones(indptr[-1], dtype=bool), np.concatenate(DOCS), indptr), shape=(6, 5))
    doc_vectors = np.asarray(doc_terms.astype(np.float32) @ vectors)
    doc_vectors /= np.linalg.norm(doc_vectors, axis=1, keepdims=True)
    counts = np.asarray(doc_terms.sum(axis=0)).ravel()
    return Model(terms=[f"{t}|en" for t in TERMS], texts=TERMS, counts=counts, doc_counts=counts,
                 scores=np.array([4.0, 3.0, 2.0, 1.0, 0.5]), general=np.full(5, 1e-6), idf=np.ones(5, np.float32),
                 term_vectors=vectors, doc_ids=[f"d{i}" for i in range(6)], doc_vectors=doc_vectors.astype(np.float32),
                 doc_lengths=np.array([len(d) for d in DOCS]), subset_names=["__all__"], subset_counts=np.array([6]),
                 subset_means=np.zeros((1, 4), np.float32), membership=sp.csr_matrix(np.ones((6, 1), dtype=bool)),
                 doc_terms=doc_terms, noise_floor=0.1)


def concepts_of(model, names):
    found = [engine.term_concept(model, TERMS.index(name)) for name in names]
    return found, engine.match(model, found, engine.related_terms_many(model, found))


def test_related_terms_need_the_threshold(model):
    battery = engine.term_concept(model, 0)
    related = engine.related_terms(model, battery)
    assert [(model.texts[i], round(s, 6)) for i, s in related] == [("charge", 0.8)]  # power: 0.45 < 0.5
    assert engine.conceptual_threshold(model) == 0.5
    assert engine.related_terms(model, battery, hidden=frozenset({1})) == []  # an ignored term is never related


def test_match_counts(model):
    _, matches = concepts_of(model, ["battery", "screen", "power"])
    # battery: exact d0, d1; charge (related) adds d2. screen: d1, d3, d5. power: in no document.
    assert engine.match_counts(matches, ALL) == [(2, 3), (3, 3), (0, 0)]
    first_four = np.array([True] * 4 + [False] * 2)
    assert engine.match_counts(matches, first_four) == [(2, 3), (2, 2), (0, 0)]


def test_one_concepts_documents_as_docs_search_finds_them(model):
    battery = engine.term_concept(model, 0)
    exact, matched = engine.concept_documents(model, battery, engine.related_terms(model, battery))
    assert np.flatnonzero(exact).tolist() == [0, 1] and np.flatnonzero(matched).tolist() == [0, 1, 2]
    both = engine.text_concept(model, ["battery screen"])  # no such term: documents holding both words
    exact, matched = engine.concept_documents(model, both, engine.related_terms(model, both))
    assert np.flatnonzero(exact).tolist() == [1]
    matches = engine.match(model, [both], engine.related_terms_many(model, [both]))
    assert np.flatnonzero(matches.matched.toarray()[:, 0]).tolist() == np.flatnonzero(matched).tolist()


def test_score_drivers_by_hand(model):
    _, matches = concepts_of(model, ["battery", "screen"])
    battery, screen = engine.drivers(matches, SCORES, ALL)
    # baseline = (1 + 2 + 2 + 5 + 4 + 4) / 6 = 3
    assert battery.baseline == pytest.approx(3.0) and screen.baseline == pytest.approx(3.0)
    # battery: M = d0, d1, d2 -> 1, 2, 2 (mean 5/3); R = 5, 4, 4 (mean 13/3); both variances 1/3
    assert battery.average_score == pytest.approx(5 / 3)
    assert battery.impact == pytest.approx(5 / 3 - 3)
    assert battery.confidence == pytest.approx((5 / 3 - 13 / 3) / math.sqrt(1 / 9 + 1 / 9))  # -8 / sqrt(2)
    # impact is (r / n)(mean_M - mean_R): confidence is impact over its standard error
    assert battery.impact == pytest.approx(3 / 6 * (5 / 3 - 13 / 3))
    # screen: M = 2, 5, 4 (mean 11/3); R = 1, 2, 4 (mean 7/3); both variances 7/3
    assert screen.impact == pytest.approx(2 / 3)
    assert screen.confidence == pytest.approx(4 / math.sqrt(14))
    # importance: |impact| * m = 4 for battery, 2 for screen
    assert (battery.importance, screen.importance) == pytest.approx((1.0, 0.5))


def test_score_drivers_within_a_filter_and_without_scores(model):
    _, matches = concepts_of(model, ["battery", "price"])
    first_four = np.array([True] * 4 + [False] * 2)
    battery, price = engine.drivers(matches, SCORES, first_four)
    assert battery.baseline == pytest.approx(2.5)  # (1 + 2 + 2 + 5) / 4
    assert battery.impact == pytest.approx(5 / 3 - 2.5)
    assert battery.confidence == 0.0  # one document outside: no variance to compare with
    assert (price.average_score, price.impact, price.confidence, price.scored_count) == (None, 0.0, 0.0, 0)
    scores = SCORES.copy()
    scores[[0, 2]] = np.nan  # documents without a score take no part
    battery, _ = engine.drivers(matches, scores, ALL)
    assert battery.scored_count == 1 and battery.average_score == 2.0 and battery.baseline == pytest.approx(15 / 4)


def test_sentiment_share_by_hand(model):
    _, matches = concepts_of(model, ["battery", "screen", "power"])
    battery, screen, power = engine.sentiment_counts(matches, LABELS, ALL)
    assert battery["sentiment_counts"] == {"positive": 1, "neutral": 1, "negative": 1, "total": 3}
    assert battery["sentiment_share"] == pytest.approx({"positive": 1 / 3, "neutral": 1 / 3, "negative": 1 / 3})
    assert screen["sentiment_counts"] == {"positive": 2, "neutral": 0, "negative": 1, "total": 3}
    assert power["sentiment_share"] == {"positive": 0.0, "neutral": 0.0, "negative": 0.0}


def test_relevance_associations_and_specified_concepts(model):
    assert engine.term_concept(model, 0).relevance == 4.0
    both = engine.text_concept(model, ["screen", "price"], name="display and cost")
    assert both.name == "display and cost" and both.groups == [[2], [3]]
    assert both.relevance == 2.0  # the highest of its exact terms'
    assert np.allclose(both.vector, [0, 0, 1 / math.sqrt(2), 1 / math.sqrt(2)])
    unknown = engine.text_concept(model, ["velocity"])
    assert unknown.groups == [[]] and unknown.relevance == 0.0 and not np.any(unknown.vector)
    battery, charge = engine.term_concept(model, 0), engine.term_concept(model, 1)
    assert engine.associations([battery, charge, both]) == pytest.approx(
        np.array([[1, 0.8, 0], [0.8, 1, 0], [0, 0, 1]]), abs=1e-6)


def test_selectors_by_hand(model):
    assert [c.name for c in engine.top_concepts(model, 3)] == ["battery", "charge", "screen"]
    assert [c.name for c in engine.top_concepts(model, 3, frozenset({"charge|en"}))] == ["battery", "screen", "price"]
    related = engine.related_concepts(model, engine.term_concept(model, 0), 3, frozenset())
    assert [(c.name, round(c.extra["match_score"], 3)) for c in related] == [
        ("battery", 1.0), ("charge", 0.8), ("power", 0.45)]
    # screen has 3 scored exact matches (battery 2, price 2): the only candidate
    assert [c.name for c in engine.drivers_suggested(model, SCORES, ALL, 5)] == ["screen"]
    # exact matches that are positive or negative: screen 3, battery 2, price 1, charge 0
    assert [c.name for c in engine.sentiment_suggested(model, LABELS, ALL, 5, frozenset())] == [
        "screen", "battery", "price"]
    # unique to d3, d4, d5: price 2 ln((2/3) / (2/6)), screen 2 ln((2/3) / (3/6))
    unique = engine.unique_to_filter(model, ALL, np.array([False] * 3 + [True] * 3), 5)
    assert [(c.name, round(c.extra["unique_score"], 4)) for c in unique] == [
        ("price", round(2 * math.log(2), 4)), ("screen", round(2 * math.log(4 / 3), 4))]


def test_document_sentiment_by_hand():
    """compound = s / sqrt(s^2 + 15): "great" is 3.1 in VADER's lexicon, "terrible" -2.1."""
    from lumiwork.engine.classify.sentiment import general_lexicon

    lexicon = general_lexicon()
    great, terrible = lexicon["great"], lexicon["terrible"]
    assert (great, terrible) == (3.1, -2.1)
    # "great but terrible": s = 3.1 - 2.1 = 1, compound 1 / 4 = 0.25 >= 0.2: positive
    compounds = [great / math.sqrt(great ** 2 + 15), 1 / math.sqrt(1 + 15), 0.0, -0.2, 0.19]
    assert doc_sentiment.labels(np.array(compounds)).tolist() == [1, 1, 0, -1, 0]


# ---- metadata -----------------------------------------------------------------------------

def test_metadata_entries_are_checked():
    entries = check_entries([{"type": "date", "name": "when", "value": "2020-01-01T00:00:00Z"},
                             {"type": "string", "name": "tag", "value": "a"},
                             {"type": "string", "name": "tag", "value": "b"},
                             {"type": "score", "name": "stars", "value": 4}])
    assert entries[0]["value"] == 1577836800.0 and entries[3]["value"] == 4
    for bad, words in [
        ([{"type": "colour", "name": "x", "value": "red"}], "type"),
        ([{"type": "number", "name": "x", "value": "4"}], "finite number"),
        ([{"type": "number", "name": "x", "value": float("nan")}], "finite number"),
        ([{"type": "number", "name": "x", "value": True}], "finite number"),
        ([{"type": "score", "name": "x", "value": 1}, {"type": "score", "name": "x", "value": 2}], "one value"),
        ([{"type": "date", "name": "x", "value": "yesterday"}], "ISO 8601"),
        ([{"type": "string", "name": "", "value": "a"}], "name"),
        ({"type": "string"}, "list"),
    ]:
        with pytest.raises(MetadataError, match=words):
            check_entries(bad)
    with pytest.raises(MetadataError, match="is a number field in this project"):
        check_entries([{"type": "string", "name": "stars", "value": "5"}], {"stars": "number"})


def test_filters_on_a_table():
    table = MetadataTable(["a", "b", "c", "d"], [
        [{"type": "string", "name": "tag", "value": "x"}, {"type": "string", "name": "tag", "value": "y"},
         {"type": "score", "name": "stars", "value": 1}, {"type": "date", "name": "when", "value": 100.0}],
        [{"type": "string", "name": "tag", "value": "y"}, {"type": "score", "name": "stars", "value": 5}],
        [{"type": "score", "name": "stars", "value": 3}, {"type": "date", "name": "when", "value": 300.0}],
        [],
    ])

    def passing(conditions):
        mask = table.mask(parse_filter(conditions))
        return None if mask is None else [doc for doc, kept in zip(table.doc_ids, mask) if kept]

    assert passing(None) is None and passing([]) is None
    assert passing([{"name": "tag", "values": ["x"]}]) == ["a"]
    assert passing([{"name": "tag", "values": ["y", "z"]}]) == ["a", "b"]
    assert passing([{"name": "stars", "minimum": 2}]) == ["b", "c"]
    assert passing([{"name": "stars", "minimum": 1, "maximum": 3}, {"name": "tag", "values": ["x"]}]) == ["a"]
    assert passing([{"name": "stars", "values": [5]}]) == ["b"]
    assert passing([{"name": "when", "maximum": "1970-01-01T00:03:20Z"}]) == ["a"]  # 200 s
    for bad in ([{"name": "nope", "values": ["x"]}], [{"name": "tag", "minimum": 1}], {"name": "tag"},
                [{"name": "tag"}], [{"special": "outliers"}], [{"name": "stars", "minimum": "soon"}]):
        with pytest.raises(MetadataError):
            table.mask(parse_filter(bad))
    fields = {f["name"]: f for f in table.fields(10)}
    assert fields["tag"]["values"] == [{"value": "y", "count": 2}, {"value": "x", "count": 1}]
    assert (fields["stars"]["minimum"], fields["stars"]["maximum"], fields["stars"]["document_count"]) == (1, 5, 3)
    assert fields["when"]["value_count"] == 2 and "values" not in fields["when"]
    assert np.isnan(table.score("stars")[3])
    with pytest.raises(MetadataError, match="score fields here: \\['stars'\\]"):
        table.score("tag")
