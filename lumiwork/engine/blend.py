"""Blending a project's own space with general knowledge (`background`).

Each term's final vector joins two unit blocks, ``[sqrt(1 - share) * p ; sqrt(share) * b]``:

- ``p`` (project block, DIMENSIONS - 50 axes) is the term's vector in the
  project's co-occurrence space, shrunk towards ``M b`` for rare terms: a term
  seen `count` times keeps weight count / (count + PRIOR_COUNT) on its own
  vector, the rest coming from where its background vector maps into the
  project space. ``M`` is a ridge regression from background to project space
  fitted on the project's frequent terms. This is the empirical-Bayes reading
  of "a word used twice says little about itself": general knowledge is the
  prior, the project's co-occurrences the evidence.
- ``b`` (background block, 50 axes) is the term's retrofitted GloVe vector.
  For the project's own names (terms far more frequent here than in general
  English, or unknown to the background) it is instead the correlation-weighted
  mean background vector of their project neighbours, so "Govinda" keeps his
  project meaning (friend, Siddhartha) instead of GloVe's (an actor, a god).

The dot product of two blended vectors is then (for equal shares)
``(1 - share) * cos_project + share * cos_background``: common words get
common-sense neighbours, while the project's own usage still counts.

How much a term leans on the background falls with its count:
``share = ceiling / (1 + (count / SHARE_COUNT) ** SHARE_POWER)``, a logistic
curve in log(count). With SHARE_COUNT 25 and power 4 it is nearly a switch: a
word seen up to ~15 times (Siddhartha's "coconut", 5) keeps almost the whole
ceiling and is everyone's coconut; one seen 25 times half; one seen 40 times
or more ("river", 110; "laugh", 38) under a sixth, so it keeps the project's
own sense (Siddhartha's river, which laughs and ferries). The ceiling is
BACKGROUND_SHARE[kind]: 0.8 for a background a lexical graph shaped
(retrofitted GloVe, a thesaurus' embedding), 0.7 for distributional vectors
alone, which err more (GloVe's river neighbours lean to lake and road).

Chosen on Siddhartha with the tuning pairs (tests/data/tuning-neighbours.tsv)
and the cookbook's river and coconut lists, on three splittings of the text
(evaluation.SPLITTINGS), never with the held-out pairs. With WordNet, MRR on
the tuning pairs / river@20 / coconut@20: hyperbola (power 1, count 20, 0.7)
0.21 / 4 / 3; power 2 0.24-0.27 / 4-5 / 3; power 4, count 25, 0.8:
0.28 / 5 / 4 on every splitting. With GloVe alone the 0.8 ceiling lost a
coconut word (2) that 0.7 keeps (3).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .background import Background, unit_rows

# Share of the background block in a blended vector: the ceiling for a word
# the project never saw, by the background's kind (Background.info["kind"]),
# half that at SHARE_COUNT occurrences, falling with the count's SHARE_POWER
# (see the module's docstring).
BACKGROUND_SHARE = {"retrofitted": 0.8, "graph": 0.8, "distributional": 0.7, "translated": 0.7}
DEFAULT_SHARE = 0.7
SHARE_COUNT = 25
SHARE_POWER = 4.0
# A term seen this many times gets half its project block from the background prior.
PRIOR_COUNT = 2
# A term whose frequency here is this many times its general-English frequency
# is one of the project's own names: its background comes from its neighbours.
DOMAIN_RATIO = 300.0
DOMAIN_NEIGHBOURS = 20
DOMAIN_BLOCK = 512
# Terms seen at least this often train the background -> project map.
MAP_MIN_COUNT = 10
RIDGE = 1.0


@dataclass
class Blend:
    """What a model keeps to blend words it has never seen at query time."""

    mapping: np.ndarray        # (background dims, project dims): background -> project block
    share: float
    center: np.ndarray         # (dims,) mean blended term vector, removed from every vector

    def vector_for_background(self, background_vectors: np.ndarray) -> np.ndarray:
        """Blended vectors (n, project + background dims) of words known only to
        the background, placed as the project's own terms are."""
        project = unit_rows(background_vectors @ self.mapping)
        joined = np.hstack([np.sqrt(1 - self.share) * project, np.sqrt(self.share) * background_vectors])
        return unit_rows(unit_rows(joined) - self.center).astype(np.float32)


PHRASE_SMOOTHING = 1e-4


def term_background(background: Background, lemma_tuples: list[tuple[str, ...]],
                    stopwords: frozenset[str], frequencies: dict[str, float] | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Background vector of each term and whether it has one. Returns
    ((terms, background dims) unit rows, (terms,) bool).

    A phrase's vector is the weighted mean of its content words' vectors, each
    word weighted a / (a + p(word)) with p its general frequency (`frequencies`,
    wordfreq's) and a = PHRASE_SMOOTHING: the smooth inverse frequency of
    Arora, Liang & Ma (2017), "A Simple but Tough-to-Beat Baseline for
    Sentence Embeddings". So "ferried across" is mostly ferry, not a
    preposition's average. Without `frequencies`, a plain mean. (On the
    Siddhartha tuning pairs, mostly single words, no change either way.)
    """
    vectors = np.zeros((len(lemma_tuples), background.dimensions), dtype=np.float64)
    known = np.zeros(len(lemma_tuples), dtype=bool)
    for i, lemmas in enumerate(lemma_tuples):
        content = [w for w in lemmas if w not in stopwords] or list(lemmas)
        rows = [background.index[w] for w in content if w in background.index]
        if rows and len(rows) == len(content):
            if len(rows) == 1:
                vectors[i] = background.vectors[rows[0]]
            else:
                weights = np.array([PHRASE_SMOOTHING / (PHRASE_SMOOTHING + frequencies.get(w, 0.0))
                                    if frequencies else 1.0 for w in content])
                vectors[i] = weights @ background.vectors[rows]
            known[i] = True
    return unit_rows(vectors), known


def fit_mapping(background_vectors: np.ndarray, project_vectors: np.ndarray,
                rows: np.ndarray) -> np.ndarray:
    """Ridge regression M minimising |B M - P|^2 + RIDGE |M|^2 over `rows`."""
    b, p = background_vectors[rows], project_vectors[rows]
    gram = b.T @ b + RIDGE * np.eye(b.shape[1])
    return np.linalg.solve(gram, b.T @ p)


def domain_background(project_vectors: np.ndarray, background_vectors: np.ndarray,
                      donors: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """For each target term, the mean background vector of its DOMAIN_NEIGHBOURS
    nearest donor terms in the project space, weighted by their (positive)
    correlation: (targets, background dims) unit rows."""
    return neighbour_mean(project_vectors[targets], project_vectors[donors], background_vectors[donors],
                          DOMAIN_NEIGHBOURS)


def neighbour_mean(queries: np.ndarray, keys: np.ndarray, values: np.ndarray, k: int) -> np.ndarray:
    """For each query row, the mean of `values` rows of its k nearest `keys`
    rows (by dot product), weighted by positive similarity.

    queries: (t, d) unit rows; keys: (n, d) unit rows; values: (n, e).
    Returns (t, e) float64 unit rows (zero where no key is similar). Computed
    in float32 blocks of DOMAIN_BLOCK queries: the full (targets, donors)
    matrix grows with both; blocks keep memory flat.
    """
    result = np.zeros((len(queries), values.shape[1]))
    if not len(keys) or not len(queries):
        return result
    k = min(k, len(keys))
    keys32 = keys.astype(np.float32)
    for start in range(0, len(queries), DOMAIN_BLOCK):
        similarity = queries[start:start + DOMAIN_BLOCK].astype(np.float32) @ keys32.T
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        weights = np.maximum(np.take_along_axis(similarity, nearest, axis=1), 0).astype(np.float64)
        result[start:start + len(similarity)] = np.einsum("tk,tkd->td", weights, values[nearest])
    return unit_rows(result)


def share_ceiling(background: Background) -> float:
    """The share of a word the project never saw, by the background's kind."""
    return BACKGROUND_SHARE.get(background.info.get("kind", ""), DEFAULT_SHARE)


def background_share(counts: np.ndarray, ceiling: float = DEFAULT_SHARE) -> np.ndarray:
    """(terms,) share of the background block for terms seen `counts` times."""
    return ceiling / (1 + (np.asarray(counts, dtype=np.float64) / SHARE_COUNT) ** SHARE_POWER)


def blend(project_vectors: np.ndarray, counts: np.ndarray, project_frequency: np.ndarray,
          general_frequency: np.ndarray, lemma_tuples: list[tuple[str, ...]],
          background: Background, stopwords: frozenset[str],
          term_backgrounds: tuple[np.ndarray, np.ndarray] | None = None) -> tuple[np.ndarray, Blend, np.ndarray]:
    """Blend project term vectors with the background.

    project_vectors: (terms, project dims) unit rows; counts: (terms,) occurrences;
    project_frequency / general_frequency: (terms,) relative frequencies here and
    in general English. Returns the (terms, project + background dims) unit
    vectors, the Blend for unseen words, and (terms,) bool: which terms' vectors
    drew on the background. `term_backgrounds`: `term_background`'s answer, if
    the caller already has it.
    """
    project_vectors = project_vectors.astype(np.float64)
    b, known = term_backgrounds or term_background(background, lemma_tuples, stopwords)
    ratio = project_frequency / np.maximum(general_frequency, 1e-9)
    domain = ~known | ((ratio > DOMAIN_RATIO) & (counts >= 5))
    common = known & ~domain
    train = np.flatnonzero(common & (counts >= MAP_MIN_COUNT))
    if len(train) < 2 * background.dimensions:  # too little to learn a map from
        train = np.flatnonzero(common)
    mapping = fit_mapping(b, project_vectors, train) if len(train) else np.zeros(
        (background.dimensions, project_vectors.shape[1]))

    own_weight = (counts / (counts + PRIOR_COUNT))[:, None]
    prior = unit_rows(b @ mapping)
    project_block = np.where(common[:, None],
                             own_weight * project_vectors + (1 - own_weight) * prior,
                             project_vectors)
    background_block = b.copy()
    targets = np.flatnonzero(domain)
    background_block[targets] = domain_background(project_vectors, b, np.flatnonzero(common), targets)

    # Frequent terms are well known to the project: they lean less on general
    # knowledge than rare ones, whose own evidence is thin.
    ceiling = share_ceiling(background)
    share = background_share(counts, ceiling)[:, None]
    blended = unit_rows(np.hstack([np.sqrt(1 - share) * unit_rows(project_block),
                                   np.sqrt(share) * background_block]))
    # Centre, as the project space alone is: without it every pair of terms
    # correlated at about +0.3 (GloVe's and the prior's shared direction).
    center = blended.mean(axis=0)
    unseen = Blend(mapping.astype(np.float32), ceiling, center.astype(np.float32))
    return unit_rows(blended - center).astype(np.float32), unseen, common
