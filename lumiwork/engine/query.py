"""Questions asked of a built model: related terms, document search, statistics."""
from __future__ import annotations

from collections.abc import Set as AbstractSet

import numpy as np

from .model import ALL_SUBSET, Model
from .quantized import QuantizedRows
from .terms import relevance

# A term in a found document is highlighted as a conceptual match when its
# vector correlates at least this much with the search vector.
CONCEPTUAL_THRESHOLD = 0.3


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest scores (ties by index)."""
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    # Partition from the top rather than negating: no copy of all the scores.
    part = np.argpartition(scores, len(scores) - k)[len(scores) - k:]
    return part[np.lexsort((part, -scores[part]))]


def allowed_terms(model: Model, ignored: AbstractSet[str]) -> np.ndarray:
    """Boolean mask of terms not on the ignore list (full terms)."""
    mask = np.ones(len(model.terms), dtype=bool)
    for term in ignored:
        index = model.term_index.get(term)
        if index is not None:
            mask[index] = False
    return mask


def phrases_containing(model: Model, term_indices) -> set[int]:
    """The phrase terms, other than `term_indices` themselves, that contain a
    word of one of those terms ("river laugh", "across the river" for "river")."""
    by_word = model.memo(("phrases by word",), lambda: _phrases_by_word(model), keep=True)
    own = set(int(i) for i in term_indices)
    found: set[int] = set()
    for index in own:
        for lemma in model.terms[index].split(" "):
            found.update(by_word.get(lemma, ()))
    return found - own


def _phrases_by_word(model: Model) -> dict[str, list[int]]:
    by_word: dict[str, list[int]] = {}
    for index, term in enumerate(model.terms):
        parts = term.split(" ")
        if len(parts) > 1:
            for part in dict.fromkeys(parts):
                by_word.setdefault(part, []).append(index)
    return by_word


def related_terms(model: Model, vector: np.ndarray, limit: int,
                  ignored: AbstractSet[str] = frozenset(), without_phrases_of=()):
    """(term index, correlation) of the terms nearest a vector.

    `without_phrases_of`: term indices (a query's own terms) whose containing
    phrases are left out, so that the neighbours of "river" are not "river
    laugh", "ask the river" and "across the river": phrases that only repeat
    the query took 3 of river's 20 places on Siddhartha, and leaving them out
    raised the tuning pairs' MRR from 0.17 to 0.21 (tests/data/tuning-neighbours.tsv).
    """
    hidden = [model.term_index[term] for term in ignored if term in model.term_index]
    hidden += sorted(phrases_containing(model, without_phrases_of))
    # the usual case, nothing hidden: no mask over every term
    pool = None
    if hidden:
        mask = allowed_terms(model, ignored)
        mask[hidden] = False
        pool = np.flatnonzero(mask)
    rows, scores = term_search_index(model).top(vector, limit, pool)
    return [(int(i), float(score)) for i, score in zip(rows, scores)]


def top_terms(model: Model, limit: int, ignored: AbstractSet[str] = frozenset(),
              subset: str | None = None):
    """Term indices by relevance, optionally only terms found in one subset."""
    mask = allowed_terms(model, ignored)
    if subset is None:
        order = model.top_order[mask[model.top_order]]
        return [int(i) for i in order[:limit]]
    # Within a subset, relevance is recomputed from the subset's own counts
    # (documents containing each term), against the same general frequencies.
    docs = model.membership[:, model.subset_index[subset]].nonzero()[0]
    counts = np.bincount(model.doc_terms[docs].indices, minlength=len(model.terms))
    scores = relevance(counts.astype(np.float64), int(model.doc_lengths[docs].sum()), model.general)
    scores[~mask | (counts == 0)] = -np.inf
    chosen = top_k(scores, limit)
    return [int(i) for i in chosen if np.isfinite(scores[i])]


def expand_query(model: Model, vector: np.ndarray, neighbours: int = 10) -> np.ndarray:
    """Correlation-weighted mean of the terms nearest a query vector.

    A one-word query vector sits on that word, so documents containing it crowd
    out the rest; spreading it over its neighbours lets documents that speak of
    the same thing in other words rank among them (measured on Siddhartha:
    the first document without "river" moves from rank 40 to rank 4).
    """
    if not np.any(vector):
        return vector
    nearest, scores = term_search_index(model).top(vector, neighbours)
    weights = np.maximum(scores, 0)
    expanded = weights @ model.term_vectors[nearest]
    norm = np.linalg.norm(expanded)
    return (expanded / norm).astype(np.float32) if norm else vector


def exact_docs(model: Model, term_indices) -> np.ndarray:
    """Sorted indices of the documents containing any of the terms."""
    column = model.term_docs
    found = [column.indices[column.indptr[index]:column.indptr[index + 1]] for index in set(term_indices)]
    if len(found) == 1:  # a column of the canonical CSC matrix is already sorted and unique
        return found[0].astype(np.int64)
    if not found:
        return np.zeros(0, np.int64)
    # Marks over all documents rather than np.unique of the joined columns, which
    # sorts them: "the listening river" at 100,000 documents joins 11,454 entries.
    marked = np.zeros(column.shape[0], dtype=bool)
    for docs in found:
        marked[docs] = True
    return np.flatnonzero(marked).astype(np.int64)


def doc_search_index(model: Model) -> QuantizedRows:
    """The document vectors as int8 codes (made once per model)."""
    return model.memo(("quantized docs",), lambda: QuantizedRows(model.doc_vectors), keep=True)


def term_search_index(model: Model) -> QuantizedRows:
    """The term vectors as int8 codes (made once per model), searched as the
    documents are (quantized.py): a top ten scans a quarter of the bytes of the
    float32 vectors or fewer, and scores only the rows in doubt exactly."""
    return model.memo(("quantized terms",), lambda: QuantizedRows(model.term_vectors), keep=True)


def search_docs(model: Model, vector: np.ndarray, exact_terms: list[int], limit: int,
                subset: str | None = None, exact_only: bool = False):
    """Documents ranked by correlation with `vector`; returns the chosen
    (doc index, score) pairs and the exact/related match counts.

    Every document is scored from its int8 codes (`doc_search_index`), and only those
    whose bounded approximate score could change the answer are scored
    exactly: the ranks and scores are those of an exact scan, and so is the
    related count unless more than quantized.EXACT_STRADDLING documents lie
    that close to CONCEPTUAL_THRESHOLD (measured at 1M documents: within
    0.23% of the exact count).
    """
    index = doc_search_index(model)
    estimate = index.estimate(vector)
    # Index arrays rather than (docs,) masks where they can be: every pass over
    # all documents costs a fair part of the scan itself.
    exact = exact_docs(model, exact_terms)
    members = None if subset is None else subset_docs(model, subset)
    if members is not None:
        exact = np.intersect1d(exact, members, assume_unique=True)
    rows, scores = index.top(vector, limit, exact if exact_only else members, estimate)
    found = [(int(row), float(score)) for row, score in zip(rows, scores)]
    if exact_only:  # related matches are the close documents outside the exact ones
        return found, len(exact), 0
    close = index.at_least(vector, CONCEPTUAL_THRESHOLD, estimate)
    n_close = int(np.count_nonzero(close if members is None else close[members]))
    related = n_close - int(np.count_nonzero(close[exact]))
    return found, len(exact), related


def subset_docs(model: Model, subset: str) -> np.ndarray:
    """Sorted indices of the documents in a subset (cached per model)."""
    column = model.subset_index[subset]
    return model.memo(("subset docs", column),
                      lambda: model.membership[:, column].nonzero()[0].astype(np.int64))


def match_spans(model: Model, texts_spans: list[list[tuple[int, int, int]]], vector: np.ndarray,
                exact_terms: set[int]) -> list[tuple[list, list]]:
    """Character spans of exact matches and of conceptual matches among each
    text's term spans (``model.text_terms(text)``), scored in one product for
    all the texts rather than one per document.

    A term is a conceptual match when it correlates with the search vector at
    least CONCEPTUAL_THRESHOLD and above the model's noise floor (0.36 on the
    Siddhartha demo): 0.3 alone lies below what one pair of random terms in a
    hundred reaches there. (A query that only general knowledge knows and that
    it does not relate to the project, evidence.query_evidence, is best shown
    with no conceptual matches at all: "smartphone" marked goat sentences.)"""
    threshold = max(CONCEPTUAL_THRESHOLD, model.noise_floor)
    indices = [index for spans in texts_spans for index, _, _ in spans]
    scores = iter((model.term_vectors[indices] @ vector).tolist() if indices else [])
    matches = []
    for spans in texts_spans:
        exact, conceptual = [], []
        for (index, start, end), score in zip(spans, scores):
            if index in exact_terms:
                exact.append([start, end])
            elif score >= threshold:
                conceptual.append([start, end])
        matches.append((exact, conceptual))
    return matches


def correlation_stats(values: np.ndarray) -> dict:
    """Mean, sample standard deviation, n and Zscore = mean / (stdev / sqrt(n))."""
    n = len(values)
    mean = float(values.mean()) if n else 0.0
    stdev = float(values.std(ddof=1)) if n > 1 else 0.0
    zscore = mean / (stdev / np.sqrt(n)) if stdev > 0 else 0.0
    return {"mean": mean, "stdev": stdev, "Zscore": float(zscore), "n": n}


def topic_distance(model: Model, topic_vector: np.ndarray) -> float:
    """Distance of a topic from the project: the Euclidean distance between the
    topic vector and the mean document vector of the whole project, scaled by
    the vectors' dimension (sqrt(150) * |t - m|) so values read like the
    cookbook's (about 10 for a topic unrelated to the documents' centre)."""
    centre = model.subset_means[model.subset_index[ALL_SUBSET]]
    return float(np.sqrt(model.dimensions) * np.linalg.norm(topic_vector - centre))


ALL_TOPICS = ".all"


def topic_stats(model: Model, topic_vectors: dict[str, np.ndarray]) -> dict:
    """Per-topic correlation statistics over all modelled documents, plus the
    same for the normalised mean of all topic vectors under ``".all"`` (when
    there is any topic).

    Parameters: topic_vectors maps topic id -> (dimensions,) vector.
    Returns: {id: {"distance": float, "correlation": {mean, stdev, Zscore, n}}}.
    """
    vectors = dict(topic_vectors)
    if vectors:
        mean = np.mean(np.stack(list(vectors.values())), axis=0)
        norm = np.linalg.norm(mean)
        vectors[ALL_TOPICS] = mean / norm if norm else mean
    if not vectors:
        return {}
    correlations = model.doc_vectors @ np.stack(list(vectors.values()), axis=1)
    return {topic_id: {"distance": topic_distance(model, vector),
                       "correlation": correlation_stats(correlations[:, column].astype(np.float64))}
            for column, (topic_id, vector) in enumerate(vectors.items())}
