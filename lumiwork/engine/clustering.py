"""Unsupervised clustering of message vectors into topics titled by their
characteristic terms (Compass's "pending" topics). No HTTP here.

k-means (Lloyd's algorithm with k-means++ seeding, scikit-learn) on unit message
vectors is spherical k-means up to normalisation: cosine is what the semantic
space measures. A fixed seed keeps the same messages giving the same topics.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .model import Model
from .text import untag

SEED = 20181216
TITLE_TERMS = 3


@dataclass
class Cluster:
    """One cluster: its members (row indices of the input), unit centroid,
    characteristic terms {text: weight in (0, 1]} and a title made of the first ones."""

    members: np.ndarray
    centroid: np.ndarray
    terms: dict[str, float]
    title: str


def cluster_messages(model: Model, vectors: np.ndarray, n_clusters: int, seed: int = SEED) -> list[Cluster]:
    """Cluster (n, dimensions) message vectors into at most `n_clusters` groups.

    Messages with no known terms (zero vectors) stay out of every cluster. Clusters
    come largest first; each is titled by the terms nearest its centroid among
    those its own messages contain, weighted by relevance, so a title names what
    the messages say rather than words common to every message.
    """
    from sklearn.cluster import KMeans

    usable = np.flatnonzero(np.linalg.norm(vectors, axis=1) > 0)
    k = min(n_clusters, len(usable))
    if k < 1:
        return []
    fitted = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(vectors[usable].astype(np.float64))
    clusters = []
    for label in range(k):
        members = usable[fitted.labels_ == label]
        if not len(members):
            continue
        centroid = vectors[members].astype(np.float64).mean(axis=0)
        norm = np.linalg.norm(centroid)
        centroid = centroid / norm if norm else centroid
        terms = characteristic_terms(model, centroid)
        title = ", ".join(list(terms)[:TITLE_TERMS]) or "(no terms)"
        clusters.append(Cluster(members, centroid.astype(np.float32), terms, title))
    clusters.sort(key=lambda c: -len(c.members))
    return clusters


def characteristic_terms(model: Model, centroid: np.ndarray, limit: int = 10) -> dict[str, float]:
    """{term text: weight}: the terms nearest a centroid, scaled by relevance so that
    distinctive terms outrank frequent ones; weights in (0, 1], best first."""
    similarity = model.term_vectors @ centroid
    relevance = np.log1p(np.maximum(model.scores, 0)) + 1
    score = np.maximum(similarity, 0) * relevance
    ranked = [int(i) for i in np.argsort(-score, kind="stable")[:limit] if score[i] > 0]
    if not ranked:
        return {}
    best = float(score[ranked[0]])
    return {" ".join(untag(model.terms[i])): round(float(score[i]) / best, 3) for i in ranked}


def centrality(vectors: np.ndarray, centroid: np.ndarray) -> np.ndarray:
    """How central each message is to its topic: cosine with the centroid minus the
    median cosine of the topic's messages, so typical messages sit near 0 and
    outliers are negative."""
    cosines = vectors @ centroid
    return cosines - np.median(cosines) if len(cosines) else cosines


def assign_to_topics(vectors: np.ndarray, topic_vectors: np.ndarray, preferred: np.ndarray,
                     central: float) -> tuple[np.ndarray, np.ndarray]:
    """Each message's topic and centrality.

    vectors: (n, d) unit message vectors (zero rows: messages with no known word);
    topic_vectors: (t, d) unit topic vectors; preferred: (t,) bool, the topics that
    keep their central messages whatever else is near (an analyst's active topics
    before machine-made pending ones). Returns (n,) topic rows (-1 for none) and
    (n,) centralities: cosine with the topic minus `central`.

    A message goes to the nearest preferred topic when their cosine is at least
    `central`; otherwise to the nearest topic of all, as an outlier when below
    `central`. Ties go to the first topic in order. A pure function of its
    inputs: the same messages and topics always give the same memberships,
    whenever clusterings happened.
    """
    n = len(vectors)
    if not len(topic_vectors) or not n:
        return np.full(n, -1), np.zeros(n)
    cosines = vectors @ topic_vectors.T
    nearest = np.argmax(cosines, axis=1)
    if preferred.any():
        own = np.where(preferred[None, :], cosines, -np.inf)
        best_own = np.argmax(own, axis=1)
        claimed = own[np.arange(n), best_own] >= central
        nearest = np.where(claimed, best_own, nearest)
    chosen = cosines[np.arange(n), nearest]
    known = np.any(vectors != 0, axis=1)
    return np.where(known, nearest, -1), np.where(known, chosen - central, 0.0)
