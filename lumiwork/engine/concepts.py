"""Concepts (API v5) on a built model: what a concept is, which documents
match it, and the statistics asked of it (match counts, sentiment shares,
score drivers, associations), plus the ways of choosing concepts (selectors).

A concept is a set of texts. Its exact terms are, for each text, the model's
term for the whole text (a word or a phrase it knows), else the terms of the
text's words, all of which a document must hold. Its vector is the unit sum of
its texts' vectors (Model.vector_for_text). Its related terms are the terms
whose vectors correlate with its vector at least `conceptual_threshold(model)`,
at most RELATED_TERMS of them, best first, never its exact terms.

A document matches a concept exactly when it holds one of its exact terms
(every term of one text), and conceptually when it holds one of its related
terms but matches it not exactly. This is term-based, as Luminoso describes its
own conceptual matches ("up to the top 20 terms with association score above
0.60"): a count answers "how many documents speak of this", and is the same
whichever endpoint asks.

Every function takes `usable`, an (n_docs,) bool mask over the model's
documents: those still stored and passing the request's filter. No HTTP here.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from .model import Model
from .query import top_terms
from .text import tokenize, untag

#: At most this many related terms per concept (Luminoso: "up to the top 20").
RELATED_TERMS = 20
#: Least correlation of a related term with the concept: Luminoso's 0.6 is for
#: its own space; in lumiwork's (150 dimensions, PPMI blended with general
#: knowledge) 0.5 keeps near-synonyms ("battery" -> "charge", "battery life")
#: and leaves out words that only share a review ("price" -> "great", 0.47).
#: Never below the model's noise floor.
CONCEPTUAL_CORRELATION = 0.5
#: Related terms kept per concept before the ignore list and the exact terms
#: are taken out (so a few ignored terms do not shorten the list).
RELATED_CANDIDATES = 40
#: Terms the suggesting selectors rank (by relevance) before choosing.
SUGGESTION_CANDIDATES = 500
#: Least number of scored exact matches a drivers_suggested candidate needs.
MIN_DRIVER_MATCHES = 3
#: Sentiment labels of documents.
POSITIVE, NEUTRAL, NEGATIVE = 1, 0, -1


def conceptual_threshold(model: Model) -> float:
    return max(CONCEPTUAL_CORRELATION, float(model.noise_floor))


@dataclass
class Concept:
    """A concept as the engine sees it.

    groups: for each text, the term indices a document must all hold to match
    it exactly (an empty group: the text has a word the model lacks, so nothing
    matches it exactly). vector: (dimensions,) float32, unit or zero.
    extra: what a selector adds (match_score, cluster_label, shared_concept_id...).
    """

    name: str
    texts: list[str]
    groups: list[list[int]]
    vector: np.ndarray
    relevance: float
    extra: dict = field(default_factory=dict)

    @property
    def exact_terms(self) -> list[int]:
        return list(dict.fromkeys(index for group in self.groups for index in group))

    @property
    def key(self) -> tuple:
        return tuple(self.texts)


def term_concept(model: Model, index: int) -> Concept:
    """The concept of one term of the model: its display text, its vector and relevance."""
    return Concept(model.texts[index], [model.texts[index]], [[index]],
                   model.term_vectors[index].astype(np.float32), float(model.scores[index]))


def text_terms(model: Model, text: str) -> list[int]:
    """The exact terms of one text: the model's term for the whole text, else
    the terms of its content words (all required); [] if one of those words is
    unknown to the model (then no document matches the text exactly)."""
    tokens = tokenize(text, model.language)
    lemmas = tuple(token.lemma for token in tokens)
    if len(lemmas) == 1 and lemmas[0] in model.words:
        return [model.words[lemmas[0]]]
    if lemmas in model.phrases:
        return [model.phrases[lemmas]]
    content = [token.lemma for token in tokens if not token.is_stopword]
    indices = [model.words.get(lemma) for lemma in content]
    if not content or any(index is None for index in indices):
        return []
    return list(dict.fromkeys(index for index in indices if index is not None))


def text_concept(model: Model, texts: Sequence[str], name: str | None = None) -> Concept:
    """A concept given by its texts (a specified concept, a list's, a search).

    Its relevance is the highest relevance of its exact terms (0 without any)."""
    groups = [text_terms(model, text) for text in texts]
    total = np.zeros(model.dimensions, dtype=np.float64)
    for text in texts:
        total += model.vector_for_text(text)
    norm = np.linalg.norm(total)
    vector = (total / norm if norm else total).astype(np.float32)
    exact = [index for group in groups for index in group]
    relevance = float(model.scores[exact].max()) if exact else 0.0
    return Concept(name if name else (texts[0] if texts else ""), list(texts), groups, vector, relevance)


# ---- related terms and matches -------------------------------------------------------

def related_terms(model: Model, concept: Concept, hidden: frozenset[int] = frozenset()) -> list[tuple[int, float]]:
    """(term index, correlation) of the concept's related terms, best first:
    at most RELATED_TERMS terms correlating at least conceptual_threshold(model),
    neither exact terms of the concept nor `hidden` (ignored) terms. The
    candidates of each concept are kept with the model (it never changes)."""
    if not np.any(concept.vector):
        return []
    cache: dict = model.memo(("v5 related candidates",), dict, keep=True)
    key = (concept.key, tuple(concept.exact_terms))
    candidates = cache.get(key)
    if candidates is None:
        scores = model.term_vectors @ concept.vector
        take = min(RELATED_CANDIDATES, len(scores))
        top = np.argpartition(-scores, take - 1)[:take] if take else np.zeros(0, np.int64)
        top = top[np.lexsort((top, -scores[top]))]
        floor = conceptual_threshold(model)
        candidates = [(int(i), float(scores[i])) for i in top if scores[i] >= floor]
        if len(cache) > 100_000:  # a bound on memory; concepts asked for again are recomputed
            cache.clear()
        cache[key] = candidates
    own = set(concept.exact_terms)
    return [(i, s) for i, s in candidates if i not in own and i not in hidden][:RELATED_TERMS]


def related_terms_many(model: Model, concepts: Sequence[Concept],
                       hidden: frozenset[int] = frozenset()) -> list[list[tuple[int, float]]]:
    """related_terms of several concepts, scoring the uncached ones in one product."""
    cache: dict = model.memo(("v5 related candidates",), dict, keep=True)
    missing = [c for c in concepts if np.any(c.vector) and (c.key, tuple(c.exact_terms)) not in cache]
    if len(missing) > 1:
        scores = model.term_vectors @ np.stack([c.vector for c in missing], axis=1)  # (terms, k)
        take = min(RELATED_CANDIDATES, scores.shape[0])
        floor = conceptual_threshold(model)
        if len(cache) > 100_000:
            cache.clear()
        for column, concept in enumerate(missing):
            values = scores[:, column]
            top = np.argpartition(-values, take - 1)[:take]
            top = top[np.lexsort((top, -values[top]))]
            cache[(concept.key, tuple(concept.exact_terms))] = [
                (int(i), float(values[i])) for i in top if values[i] >= floor]
    return [related_terms(model, c, hidden) for c in concepts]


def _docs_with_all(model: Model, terms: Sequence[int]) -> np.ndarray:
    """Sorted indices of the documents holding every one of `terms`."""
    columns = model.term_docs
    found: np.ndarray | None = None
    for index in terms:
        docs = columns.indices[columns.indptr[index]:columns.indptr[index + 1]]
        found = docs if found is None else np.intersect1d(found, docs, assume_unique=True)
    return np.zeros(0, np.int64) if found is None else found


@dataclass
class Matches:
    """Which of the model's documents match each concept: `exact` and `matched`
    (exact or conceptual), each a sparse (n_docs, concepts) matrix of ones,
    over all the model's documents (no filter). Statistics are products of
    their transposes with (n_docs,) vectors: their cost grows with the matches,
    not with the documents."""

    exact: sp.spmatrix
    matched: sp.spmatrix


def concept_documents(model: Model, concept: Concept, related: Sequence[tuple[int, float]]) \
        -> tuple[np.ndarray, np.ndarray]:
    """(n_docs,) bool masks of one concept's exact matches and of all its matches
    (as `match`). For one concept, marking its terms' documents in a mask costs
    less than building the sparse matrices `match` makes for many."""
    columns = model.term_docs
    exact = np.zeros(len(model.doc_ids), dtype=bool)

    def mark(marks: np.ndarray, terms) -> None:
        for index in terms:
            marks[columns.indices[columns.indptr[index]:columns.indptr[index + 1]]] = True

    for group in concept.groups:
        if len(group) == 1:
            mark(exact, group)
        elif group:
            exact[_docs_with_all(model, group)] = True
    matched = exact.copy()
    mark(matched, [index for index, _ in related])
    return exact, matched


def _indicator(matrix: sp.spmatrix) -> sp.spmatrix:
    """The matrix with every stored value made 1 (a count of matching terms -> a match)."""
    matrix.data = np.ones(len(matrix.data), dtype=np.float32)
    return matrix


def _term_matches(model: Model, pairs: list[tuple[int, int]], k: int) -> sp.spmatrix:
    """(n_docs, k): a one where document d holds the term t of a (t, c) pair for
    concept c. Only the needed columns of the term-document matrix are read."""
    n = len(model.doc_ids)
    if not pairs:
        return sp.csc_matrix((n, k), dtype=np.float32)
    terms = np.array([t for t, _ in pairs], dtype=np.int64)
    needed, rows = np.unique(terms, return_inverse=True)
    link = sp.csr_matrix((np.ones(len(pairs), dtype=np.float32), (rows, [c for _, c in pairs])),
                         shape=(len(needed), k))
    return _indicator(model.term_docs[:, needed].astype(np.float32) @ link)


def match(model: Model, concepts: Sequence[Concept], related: Sequence[Sequence[tuple[int, float]]]) -> Matches:
    """Exact matches and all matches of each concept (see the module's docstring)."""
    k = len(concepts)
    single, together = [], []
    for c, concept in enumerate(concepts):
        for group in concept.groups:
            if len(group) == 1:
                single.append((group[0], c))
            elif group:
                together.append((c, group))
    conceptual = [(t, c) for c, terms in enumerate(related) for t, _ in terms]
    exact = _term_matches(model, single, k)
    matched = _term_matches(model, single + conceptual, k) if conceptual else exact
    if together:  # a text that is no term: its documents hold all its words
        rows = [_docs_with_all(model, group) for _, group in together]
        extra = sp.csc_matrix((np.ones(sum(map(len, rows)), dtype=np.float32),
                               (np.concatenate(rows), np.repeat([c for c, _ in together], [len(r) for r in rows]))),
                              shape=(len(model.doc_ids), k))
        exact, matched = _indicator(exact + extra), _indicator(matched + extra)
    return Matches(exact, matched)


def _per_concept(matrix: sp.csc_matrix, values: np.ndarray) -> np.ndarray:
    """(concepts,) sums of `values` (n_docs,) over each concept's documents."""
    return np.asarray(matrix.T @ values).ravel()


# ---- statistics ---------------------------------------------------------------------------

def match_counts(matches: Matches, usable: np.ndarray) -> list[tuple[int, int]]:
    """(exact_match_count, match_count) of each concept among the usable documents."""
    weight = usable.astype(np.float64)
    exact, total = _per_concept(matches.exact, weight), _per_concept(matches.matched, weight)
    return [(int(round(e)), int(round(t))) for e, t in zip(exact, total)]


def sentiment_counts(matches: Matches, labels: np.ndarray, usable: np.ndarray) -> list[dict]:
    """Per concept: documents matching it (exact or conceptual, usable) by
    sentiment label, and each label's share of them.

    labels: (n_docs,) int8, POSITIVE / NEUTRAL / NEGATIVE.
    share = count / total (all three 0 when no document matches)."""
    counted = {name: _per_concept(matches.matched, (usable & (labels == value)).astype(np.float64))
               for name, value in (("positive", POSITIVE), ("neutral", NEUTRAL), ("negative", NEGATIVE))}
    results = []
    for c in range(matches.matched.shape[1]):
        counts = {name: int(round(values[c])) for name, values in counted.items()}
        total = sum(counts.values())
        share = {name: (count / total if total else 0.0) for name, count in counts.items()}
        results.append({"sentiment_counts": {**counts, "total": total}, "sentiment_share": share})
    return results


@dataclass
class Driver:
    """One concept's effect on a score field (see `drivers`)."""

    scored_count: int
    average_score: float | None
    baseline: float | None
    impact: float
    confidence: float
    importance: float = 0.0


def drivers(matches: Matches, scores: np.ndarray, usable: np.ndarray) -> list[Driver]:
    """How much each concept moves a score, among the usable documents that have one.

    scores: (n_docs,) float64, NaN where a document has no score.
    Over the scored documents S (n of them), for concept c with matches M (m of
    them, exact or conceptual) and the rest R = S - M (r of them):
      baseline      = mean(score over S)
      average_score = mean(score over M)
      impact        = average_score - baseline
      confidence    = Welch's t of M against R:
                      (mean_M - mean_R) / sqrt(var_M / m + var_R / r), sample variances
                      (ddof 1); 0 when m < 2, r < 2 or the denominator is 0.
                      Since mean_S = (m mean_M + r mean_R) / n, impact = (r / n)(mean_M - mean_R)
                      and its standard error is r / n times that denominator: the
                      confidence is impact over its own standard error, so
                      impact +- 1.96 * |impact / confidence| is a 95% interval.
      importance    = |impact| * m / max over the concepts asked of |impact| * m,
                      in [0, 1]: 1 for the concept whose matches move the total of
                      the scores most (0 for all when none moves it).
    average_score is None (and impact, confidence 0) for a concept with no scored match.

    Every concept's sums come from three products (count, sum and sum of
    squares of the scores, centred on the baseline so the squares do not lose
    precision); R's are S's minus M's."""
    scored = usable & ~np.isnan(scores)
    n = int(np.count_nonzero(scored))
    k = matches.matched.shape[1]
    if not n:
        return [Driver(0, None, None, 0.0, 0.0) for _ in range(k)]
    baseline = float(scores[scored].mean())
    centred = np.where(scored, scores - baseline, 0.0)
    counts = np.rint(_per_concept(matches.matched, scored.astype(np.float64))).astype(np.int64)
    sums = _per_concept(matches.matched, centred)
    squares = _per_concept(matches.matched, centred * centred)
    total, total_squares = float(centred.sum()), float((centred * centred).sum())
    results = []
    for m, sum_m, squares_m in zip(counts.tolist(), sums.tolist(), squares.tolist()):
        if not m:
            results.append(Driver(0, None, baseline, 0.0, 0.0))
            continue
        r = n - m
        mean_m = sum_m / m  # centred: the impact itself
        confidence = 0.0
        if m >= 2 and r >= 2:
            mean_r = (total - sum_m) / r
            var_m = max(squares_m - m * mean_m * mean_m, 0.0) / (m - 1)
            var_r = max(total_squares - squares_m - r * mean_r * mean_r, 0.0) / (r - 1)
            spread = math.sqrt(var_m / m + var_r / r)
            if spread > 1e-12:
                confidence = (mean_m - mean_r) / spread
        results.append(Driver(m, baseline + mean_m, baseline, mean_m, confidence))
    weights = [abs(d.impact) * d.scored_count for d in results]
    top = max(weights, default=0.0)
    for driver, weight in zip(results, weights):
        driver.importance = weight / top if top > 0 else 0.0
    return results


def associations(concepts: Sequence[Concept]) -> np.ndarray:
    """(k, k) association scores: the correlations (dot products) of the
    concepts' unit vectors."""
    if not concepts:
        return np.zeros((0, 0))
    vectors = np.stack([c.vector.astype(np.float64) for c in concepts])
    return vectors @ vectors.T


# ---- selectors that choose terms ---------------------------------------------------------

def top_concepts(model: Model, limit: int, ignored: frozenset[str] = frozenset()) -> list[Concept]:
    """The `limit` most relevant terms (relevance as in API v4's terms/)."""
    return [term_concept(model, i) for i in top_terms(model, limit, ignored)]


def related_concepts(model: Model, search: Concept, limit: int, hidden: frozenset[int]) -> list[Concept]:
    """The terms nearest a search concept, each with match_score = its
    correlation with the search concept's vector, best first."""
    if not np.any(search.vector):
        return []
    scores = model.term_vectors @ search.vector
    if hidden:
        scores[list(hidden)] = -np.inf
    take = min(limit, len(scores))
    if take <= 0:
        return []
    top = np.argpartition(-scores, take - 1)[:take]
    top = top[np.lexsort((top, -scores[top]))]
    found = []
    for index in top:
        if np.isfinite(scores[index]):
            concept = term_concept(model, int(index))
            concept.extra["match_score"] = float(scores[index])
            found.append(concept)
    return found


def candidate_terms(model: Model, ignored: frozenset[str], sentiment_words: frozenset[str] = frozenset(),
                    count: int = SUGGESTION_CANDIDATES) -> list[int]:
    """The `count` most relevant terms not ignored, less those holding a word of
    `sentiment_words` (lemmas the sentiment lexicon rates)."""
    def rated(index: int) -> bool:
        return any(word in sentiment_words for word in untag(model.terms[index]))

    return [i for i in top_terms(model, count, ignored) if not rated(i)]


def suggested_concepts(model: Model, num_clusters: int, per_cluster: int,
                       ignored: frozenset[str] = frozenset(), seed: int = 20240101) -> list[Concept]:
    """Concepts in clusters: the most relevant max(num_clusters * per_cluster * 3,
    50) terms, clustered by k-means on their vectors (fixed seed) into
    `num_clusters`; from each cluster its `per_cluster` most relevant terms, each
    with cluster_label = the names of its cluster's three most relevant terms
    joined by "|" (clients take the first as the cluster's name). Clusters come
    in order of their best term's relevance."""
    pool = top_terms(model, max(num_clusters * per_cluster * 3, 50), ignored)
    if not pool or num_clusters <= 0 or per_cluster <= 0:
        return []
    from sklearn.cluster import KMeans

    k = min(num_clusters, len(pool))
    vectors = model.term_vectors[pool].astype(np.float64)
    labels = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(vectors).labels_ if k > 1 else np.zeros(len(pool))
    clusters = [[pool[i] for i in range(len(pool)) if labels[i] == c] for c in range(k)]
    clusters = [c for c in clusters if c]  # pool is by relevance, so each cluster is too
    clusters.sort(key=lambda c: -model.scores[c[0]])
    found = []
    for members in clusters:
        label = "|".join(model.texts[i] for i in members[:3])
        for index in members[:per_cluster]:
            concept = term_concept(model, index)
            concept.extra["cluster_label"] = label
            found.append(concept)
    return found


def _candidate_sums(model: Model, candidates: list[int], values: np.ndarray) -> np.ndarray:
    """(candidates,) sums of `values` (n_docs,) over the documents holding each candidate term."""
    if not candidates:
        return np.zeros(0)
    return np.asarray(model.term_docs[:, candidates].astype(np.float64).T @ values).ravel()


def sentiment_suggested(model: Model, labels: np.ndarray, usable: np.ndarray, limit: int,
                        sentiment_words: frozenset[str], ignored: frozenset[str] = frozenset()) -> list[Concept]:
    """Concepts people express sentiment about: of the SUGGESTION_CANDIDATES
    most relevant terms that are not sentiment words themselves
    (`sentiment_words`, lemmas of the lexicon), the `limit` with the most
    usable documents that hold them and are positive or negative; ties by relevance."""
    candidates = candidate_terms(model, ignored, sentiment_words)
    counts = np.rint(_candidate_sums(model, candidates, (usable & (labels != NEUTRAL)).astype(np.float64)))
    order = sorted(range(len(candidates)), key=lambda j: (-counts[j], j))[:limit]
    return [term_concept(model, candidates[j]) for j in order if counts[j] > 0]


def drivers_suggested(model: Model, scores: np.ndarray, usable: np.ndarray, limit: int,
                      sentiment_words: frozenset[str] = frozenset(),
                      ignored: frozenset[str] = frozenset()) -> list[Concept]:
    """Concepts that move a score: of the SUGGESTION_CANDIDATES most relevant
    terms that are not sentiment words (which move a rating by being one:
    "great", "poor") with at least MIN_DRIVER_MATCHES scored exact matches, the
    `limit` with the largest |impact| * m computed on exact matches alone (the
    importance of `drivers` before scaling: the |sum| of the matches' scores
    less the baseline); ties by relevance."""
    candidates = candidate_terms(model, ignored, sentiment_words)
    scored = usable & ~np.isnan(scores)
    if not np.any(scored) or not candidates:
        return []
    centred = np.where(scored, scores - scores[scored].mean(), 0.0)
    counts = np.rint(_candidate_sums(model, candidates, scored.astype(np.float64)))
    weight = np.abs(_candidate_sums(model, candidates, centred))
    ranked = sorted((j for j in range(len(candidates)) if counts[j] >= MIN_DRIVER_MATCHES),
                    key=lambda j: (-weight[j], j))
    return [term_concept(model, candidates[j]) for j in ranked[:limit]]


def unique_to_filter(model: Model, usable: np.ndarray, inside: np.ndarray, limit: int,
                     ignored: frozenset[str] = frozenset()) -> list[Concept]:
    """Terms far more frequent in the filtered documents than in all of them.

    inside: (n_docs,) bool, the filtered documents (a subset of `usable`).
    For term t held by c_in of the n_in filtered documents and c of all n usable
    ones: lift = (c_in / n_in) / (c / n); score = c_in * ln(lift), kept when
    c_in >= 2 and lift > 1; the `limit` best, each with its score as
    `unique_score`."""
    n_in, n = int(np.count_nonzero(inside)), int(np.count_nonzero(usable))
    if not n_in or not n:
        return []
    count_in = np.asarray(model.doc_terms[np.flatnonzero(inside)].sum(axis=0)).ravel().astype(np.float64)
    count_all = np.asarray(model.doc_terms[np.flatnonzero(usable)].sum(axis=0)).ravel().astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        lift = (count_in / n_in) / (count_all / n)
        score = np.where((count_in >= 2) & (lift > 1), count_in * np.log(lift), 0.0)
    for term in ignored:
        index = model.term_index.get(term)
        if index is not None:
            score[index] = 0.0
    order = [int(i) for i in np.lexsort((np.arange(len(score)), -score))[:limit] if score[i] > 0]
    found = []
    for index in order:
        concept = term_concept(model, index)
        concept.extra["unique_score"] = float(score[index])
        found.append(concept)
    return found
