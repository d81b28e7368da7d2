"""Blending a project's own space with general knowledge (`background`).

Each term's final vector joins two unit blocks, ``[sqrt(1 - share) * p ; sqrt(share) * b]``:

- ``p`` (project block, DIMENSIONS - 50 axes) is the term's vector in the
  project's co-occurrence space, shrunk towards ``M b`` for rare terms: a term
  seen `count` times keeps weight count / (count + PRIOR_COUNT) on its own
  vector, the rest coming from where its background vector maps into the
  project space. ``M`` is a ridge regression from background to project space
  fitted on the project's frequent terms. This is the empirical-Bayes reading
  of "a word used twice says little about itself" (the prior of DESIGN.md 2.1).
- ``b`` (background block, 50 axes) is the term's retrofitted GloVe vector.
  For the project's own names (terms far more frequent here than in general
  English, or unknown to the background) it is instead the correlation-weighted
  mean background vector of their project neighbours, so "Govinda" keeps his
  project meaning (friend, Siddhartha) instead of GloVe's (an actor, a god).

The dot product of two blended vectors is then (for equal shares)
``(1 - share) * cos_project + share * cos_background``: common words get
common-sense neighbours, while the project's own usage still counts.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .background import Background, unit_rows

# Share of the background block in every blended vector.
BACKGROUND_SHARE = 0.7
# A term seen this many times gets half its project block from the background prior.
PRIOR_COUNT = 2
# A term seen this many times gets half of BACKGROUND_SHARE as its background block.
SHARE_COUNT = 20
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


def term_background(background: Background, lemma_tuples: list[tuple[str, ...]],
                    stopwords: frozenset[str]) -> tuple[np.ndarray, np.ndarray]:
    """Background vector of each term (mean of its content words' vectors for a
    phrase) and whether it has one. Returns ((terms, 50) array, (terms,) bool)."""
    vectors = np.zeros((len(lemma_tuples), background.dimensions), dtype=np.float64)
    known = np.zeros(len(lemma_tuples), dtype=bool)
    for i, lemmas in enumerate(lemma_tuples):
        content = [w for w in lemmas if w not in stopwords] or list(lemmas)
        rows = [background.index[w] for w in content if w in background.index]
        if rows and len(rows) == len(content):
            vectors[i] = background.vectors[rows].mean(axis=0)
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
    """For each target term, the mean background vector of its nearest donor
    terms in the project space, weighted by their (positive) correlation."""
    result = np.zeros((len(targets), background_vectors.shape[1]))
    if not len(donors) or not len(targets):
        return result
    k = min(DOMAIN_NEIGHBOURS, len(donors))
    donor_vectors = project_vectors[donors].astype(np.float32)
    donor_background = background_vectors[donors]
    # In float32 blocks of rows: the full (targets, donors) matrix was 190 MB and
    # 1.2 s at 10,000 documents; blocks keep memory flat and the whole blend takes 0.24 s.
    for start in range(0, len(targets), DOMAIN_BLOCK):
        rows = targets[start:start + DOMAIN_BLOCK]
        similarity = project_vectors[rows].astype(np.float32) @ donor_vectors.T
        nearest = np.argpartition(-similarity, k - 1, axis=1)[:, :k]
        weights = np.maximum(np.take_along_axis(similarity, nearest, axis=1), 0).astype(np.float64)
        result[start:start + len(rows)] = np.einsum("tk,tkd->td", weights, donor_background[nearest])
    return unit_rows(result)


def blend(project_vectors: np.ndarray, counts: np.ndarray, project_frequency: np.ndarray,
          general_frequency: np.ndarray, lemma_tuples: list[tuple[str, ...]],
          background: Background, stopwords: frozenset[str]) -> tuple[np.ndarray, Blend, np.ndarray]:
    """Blend project term vectors with the background.

    project_vectors: (terms, project dims) unit rows; counts: (terms,) occurrences;
    project_frequency / general_frequency: (terms,) relative frequencies here and
    in general English. Returns the (terms, project + background dims) unit
    vectors, the Blend for unseen words, and (terms,) bool: which terms' vectors
    drew on the background.
    """
    project_vectors = project_vectors.astype(np.float64)
    b, known = term_background(background, lemma_tuples, stopwords)
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
    share = (BACKGROUND_SHARE * SHARE_COUNT / (counts + SHARE_COUNT))[:, None]
    blended = unit_rows(np.hstack([np.sqrt(1 - share) * unit_rows(project_block),
                                   np.sqrt(share) * background_block]))
    # Centre, as the project space alone is: without it every pair of terms
    # correlated at about +0.3 (GloVe's and the prior's shared direction).
    center = blended.mean(axis=0)
    unseen = Blend(mapping.astype(np.float32), BACKGROUND_SHARE, center.astype(np.float32))
    return unit_rows(blended - center).astype(np.float32), unseen, common
