"""Vectors from links: retrofitting distributional vectors to a lexical graph,
and embedding a graph that has no vectors to start from."""
from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp

RETROFIT_ITERATIONS = 10
# Random-projection embedding: width of the random start, steps of propagation,
# and the dimensions kept (those of GloVe 6B 50d, so every background has the
# same shape in a blended model).
PROJECTION_WIDTH = 256
PROJECTION_STEPS = 3
EMBEDDING_DIMENSIONS = 50
SEED = 20160119


def adjacency(pairs: Iterable[tuple[int, int]], n: int) -> sp.csr_matrix:
    """(n, n) float32 symmetric 0/1 adjacency of the linked id pairs, no self-links."""
    flat = np.fromiter((x for pair in pairs for x in pair), dtype=np.int64)
    rows, cols = flat[0::2], flat[1::2]
    keep = rows != cols
    graph = sp.coo_matrix((np.ones(int(keep.sum()), np.float32), (rows[keep], cols[keep])), shape=(n, n)).tocsr()
    return ((graph + graph.T) > 0).astype(np.float32).tocsr()


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; zero rows stay zero."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def retrofit(vectors: np.ndarray, graph: sp.csr_matrix, iterations: int = RETROFIT_ITERATIONS,
             has_vector: np.ndarray | None = None) -> np.ndarray:
    """Faruqui et al. (2015), "Retrofitting Word Vectors to Semantic Lexicons",
    with alpha = 1 and beta_ij = 1 / degree(i): each iteration sets
    q_i = (alpha_i q^_i + mean_j q_j) / (alpha_i + 1) over i's neighbours j, ten
    iterations as in the paper.

    vectors: (n, d) original vectors q^; graph: (n, n) adjacency; has_vector:
    (n,) bool, the words that have an original vector (alpha_i = 1; default
    all). A word without one (alpha_i = 0) takes the mean of its neighbours, as
    the paper's words outside the vector vocabulary would; one with neither
    vector nor linked vectors stays zero. Words without neighbours keep their
    vectors. Exact arithmetic on fixed inputs, so deterministic. Returns (n, d) float32.
    """
    degree = np.asarray(graph.sum(axis=1)).ravel()
    has_links = degree > 0
    mean_of_neighbours = sp.diags(np.where(has_links, 1 / np.maximum(degree, 1), 0)) @ graph
    original = vectors.astype(np.float64)
    alpha = np.ones(len(original)) if has_vector is None else np.asarray(has_vector, dtype=np.float64)
    current = original.copy()
    for _ in range(iterations):
        mixed = (alpha[:, None] * original + mean_of_neighbours @ current) / (alpha[:, None] + 1)
        current = np.where(has_links[:, None], mixed, original)
    return current.astype(np.float32)


def random_projection_embedding(graph: sp.csr_matrix, dimensions: int = EMBEDDING_DIMENSIONS,
                                width: int = PROJECTION_WIDTH, steps: int = PROJECTION_STEPS,
                                seed: int = SEED) -> np.ndarray:
    """Unit vectors (n, dimensions) float32 for the nodes of a graph that has no
    vectors of its own (a thesaurus in a language without installed word vectors).

    FastRP (Chen et al. 2019, "Fast and Accurate Network Embeddings via Very
    Sparse Random Projection"): a fixed random Gaussian matrix R (n, width) is
    propagated along the row-normalised adjacency P = D^-1 A, and the
    row-normalised steps P R, P^2 R, ..., P^steps R are summed. Two words then
    correlate as far as their neighbourhoods of up to `steps` links overlap:
    synonyms (one link), words sharing synonyms (two), and so on. By the
    Johnson-Lindenstrauss lemma the random projection keeps those overlaps to
    about 1/sqrt(width). The sum is centred and cut to its `dimensions` principal
    axes (PCA), which keeps the shared structure and drops most of the
    projection's noise; the result has the dimensions of GloVe 6B 50d so that a
    blended model has the same layout in every language. Nodes without links
    get zero rows. Deterministic: R comes from `seed`.

    Chosen over a truncated SVD of the graph (or of its random-walk PPMI, as
    NetMF does): those need k-step products of a 100,000-node thesaurus graph,
    far denser than the graph, where this needs `steps` sparse products with
    an (n, width) block.
    """
    n = graph.shape[0]
    degree = np.asarray(graph.sum(axis=1)).ravel()
    step = (sp.diags(np.where(degree > 0, 1 / np.maximum(degree, 1), 0)) @ graph).astype(np.float32).tocsr()
    current = np.random.default_rng(seed).standard_normal((n, width)).astype(np.float32)
    total = np.zeros((n, width), dtype=np.float64)
    for _ in range(steps):
        current = step @ current
        total += unit_rows(current)
    linked = degree > 0
    centred = total - total[linked].mean(axis=0)
    centred[~linked] = 0
    covariance = centred.T @ centred
    values, axes = np.linalg.eigh(covariance)
    order = np.argsort(-values, kind="stable")[:dimensions]
    top = axes[:, order]
    # Fix each axis's sign (largest entry positive) so the result never depends on LAPACK's choice.
    top = top * np.sign(top[np.argmax(np.abs(top), axis=0), np.arange(top.shape[1])])
    return unit_rows(centred @ top).astype(np.float32)
