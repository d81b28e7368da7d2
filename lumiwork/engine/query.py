"""Questions asked of a built model: related terms, document search, statistics."""
from __future__ import annotations

from collections.abc import Set as AbstractSet

import numpy as np

from .model import ALL_SUBSET, Model
from .terms import relevance
from .text import tokenize

# A term in a found document is highlighted as a conceptual match when its
# vector correlates at least this much with the search vector.
CONCEPTUAL_THRESHOLD = 0.3


def top_k(scores: np.ndarray, k: int, candidates: np.ndarray | None = None) -> np.ndarray:
    """Indices of the k highest scores (ties by index), optionally among candidates."""
    if candidates is not None:
        scores_sub = scores[candidates]
        order = top_k(scores_sub, k)
        return candidates[order]
    k = min(k, len(scores))
    if k <= 0:
        return np.zeros(0, dtype=np.int64)
    part = np.argpartition(-scores, k - 1)[:k]
    return part[np.lexsort((part, -scores[part]))]


def allowed_terms(model: Model, ignored: AbstractSet[str]) -> np.ndarray:
    """Boolean mask of terms not on the ignore list (full terms)."""
    mask = np.ones(len(model.terms), dtype=bool)
    for term in ignored:
        index = model.term_index.get(term)
        if index is not None:
            mask[index] = False
    return mask


def related_terms(model: Model, vector: np.ndarray, limit: int,
                  ignored: AbstractSet[str] = frozenset()):
    """(term index, correlation) of the terms nearest a vector."""
    scores = model.term_vectors @ vector
    candidates = np.flatnonzero(allowed_terms(model, ignored))
    chosen = top_k(scores, limit, candidates)
    return [(int(i), float(scores[i])) for i in chosen]


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
    scores = model.term_vectors @ vector
    nearest = top_k(scores, neighbours)
    weights = np.maximum(scores[nearest], 0)
    expanded = weights @ model.term_vectors[nearest]
    norm = np.linalg.norm(expanded)
    return (expanded / norm).astype(np.float32) if norm else vector


def exact_docs(model: Model, term_indices) -> np.ndarray:
    """Boolean mask of documents containing any of the terms."""
    mask = np.zeros(len(model.doc_ids), dtype=bool)
    for index in term_indices:
        column = model.term_docs
        mask[column.indices[column.indptr[index]:column.indptr[index + 1]]] = True
    return mask


def search_docs(model: Model, vector: np.ndarray, exact_terms: list[int], limit: int,
                subset: str | None = None, exact_only: bool = False):
    """Documents ranked by correlation with `vector`; returns the chosen
    (doc index, score) pairs and the exact/related match counts."""
    scores = model.doc_vectors @ vector
    candidates = np.ones(len(model.doc_ids), dtype=bool)
    if subset is not None:
        candidates[:] = False
        candidates[model.membership[:, model.subset_index[subset]].nonzero()[0]] = True
    exact = exact_docs(model, exact_terms) & candidates
    if exact_only:
        candidates = exact
    chosen = top_k(scores, limit, np.flatnonzero(candidates))
    n_exact = int(exact.sum())
    related = int((candidates & ~exact & (scores >= CONCEPTUAL_THRESHOLD)).sum())
    return [(int(i), float(scores[i])) for i in chosen], n_exact, related


def match_spans(model: Model, text: str, vector: np.ndarray, exact_terms: set[int]):
    """Character spans in `text` of exact matches and of conceptual matches."""
    exact, conceptual = [], []
    for index, start, end in model.token_terms(tokenize(text, model.language)):
        if index in exact_terms:
            exact.append([start, end])
        elif float(model.term_vectors[index] @ vector) >= CONCEPTUAL_THRESHOLD:
            conceptual.append([start, end])
    return exact, conceptual


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
    stats = {}
    for topic_id, vector in vectors.items():
        correlations = model.doc_vectors @ vector
        stats[topic_id] = {"distance": topic_distance(model, vector),
                           "correlation": correlation_stats(correlations)}
    return stats
