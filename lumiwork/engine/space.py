"""The association space: windowed co-occurrence -> PPMI -> truncated SVD."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import scipy.linalg
import scipy.sparse as sp
import scipy.sparse.linalg

DIMENSIONS = 150
SEED = 20160119  # the cookbook's date; any fixed seed keeps builds identical


WINDOW = 8


def cooccurrence(term_ids: np.ndarray, doc_index: np.ndarray, position: np.ndarray,
                 n_terms: int, window: int = WINDOW) -> sp.csr_matrix:
    """(n_terms, n_terms) float64 symmetric weighted counts of term pairs at most
    `window` words apart in one document, over occurrences in any order.

    Pairs nearer together weigh more (1/distance), as in word2vec-style windows.
    Builds chunk by chunk go through `cooccurrence_pairs` and `symmetric_matrix`
    directly (counting.py); this is the same for one array of occurrences.
    """
    order = np.lexsort((position, doc_index))
    keys, weights = cooccurrence_pairs(term_ids[order].astype(np.int32), doc_index[order], position[order],
                                       n_terms, window)
    return symmetric_matrix(keys, weights, n_terms, weight_scale(window))


def weight_scale(window: int = WINDOW) -> int:
    """Least common multiple of 1..window (840 for 8): every 1/distance weight
    is a whole number of 1/scale units, so sums of weights are exact integers."""
    return math.lcm(*range(1, window + 1))


def cooccurrence_pairs(term: np.ndarray, doc: np.ndarray, word: np.ndarray, n_terms: int,
                       window: int = WINDOW, sort: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Summed weights of term pairs at most `window` words apart in one document.

    term, doc, word: (occurrences,) sorted by (doc, word) (ties: shorter term
    first). Returns distinct int64 keys ``low * n_terms + high`` (sorted unless
    `sort` is False; low <
    high: the matrix is symmetric, so only its upper half is counted, half the
    entries of counting both directions) and int64 weights in units of
    1 / weight_scale(window): a pair `distance` words apart weighs
    scale // max(distance, 1). Integer weights make sums exact, so summing chunks
    in any order or cut gives the same matrix bit for bit (float32 sums of
    1/distance differed in the last bits with document order).

    Phrase occurrences share words with their words' occurrences, so this
    looks up to 2 * window occurrences ahead and the word test keeps the real
    window.
    """
    scale = weight_scale(window)
    weight_of_distance = np.array([scale // max(d, 1) for d in range(window + 1)], np.int64)
    keys, weights = [], []
    for offset in range(1, min(2 * window, len(term) - 1) + 1):
        distance = word[offset:] - word[:-offset]
        near = (doc[offset:] == doc[:-offset]) & (distance <= window) & (term[offset:] != term[:-offset])
        if not near.any():
            continue
        left, right = term[:-offset][near], term[offset:][near]
        keys.append(np.minimum(left, right).astype(np.int64) * n_terms + np.maximum(left, right))
        weights.append(weight_of_distance[distance[near]])
    if not keys:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return sum_by_key(np.concatenate(keys), np.concatenate(weights), sort=sort)


def sum_by_key(keys: np.ndarray, weights: np.ndarray, sort: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Distinct int64 keys (sorted, unless `sort` is False) with their summed
    integer weights (int64).

    pandas' hash factorize, a bincount, then a sort of the distinct keys only:
    on millions of skewed pairs several times faster than np.unique (a full
    sort) or scipy's COO -> CSR with duplicate summing. bincount sums in
    float64, which is exact for integer sums below 2**53."""
    if not len(keys):
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    codes, distinct = pd.factorize(keys, sort=False)
    sums = np.bincount(codes, weights=weights, minlength=len(distinct)).astype(np.int64)
    distinct = np.asarray(distinct, dtype=np.int64)
    if not sort:
        return distinct, sums
    order = np.argsort(distinct)
    return distinct[order], sums[order]


def symmetric_matrix(keys: np.ndarray, weights: np.ndarray, n_terms: int, scale: int) -> sp.csr_matrix:
    """(n_terms, n_terms) float64 CSR, canonical, from distinct upper-half keys
    (any order) and integer weights: the half plus its transpose, over `scale`."""
    low, high = np.divmod(keys, n_terms)
    values = weights / scale
    matrix = sp.csr_matrix((np.concatenate([values, values]),
                            (np.concatenate([low, high]), np.concatenate([high, low]))),
                           shape=(n_terms, n_terms))
    matrix.sum_duplicates()
    return matrix


def ppmi(counts: sp.csr_matrix, context_smoothing: float = 1.0) -> sp.csr_matrix:
    """Positive pointwise mutual information. `context_smoothing` < 1 damps rare
    contexts (Levy, Goldberg & Dagan 2015); on Siddhartha 1.0 measured best."""
    counts = counts.tocoo()
    total = counts.sum()
    if total == 0:
        return counts.tocsr()
    row_sums = np.asarray(counts.sum(axis=1)).ravel()
    context = np.asarray(counts.sum(axis=0)).ravel() ** context_smoothing
    context_total = context.sum()
    pmi = np.log(counts.data.astype(np.float64) * context_total
                 / (row_sums[counts.row] * context[counts.col]))
    keep = pmi > 0
    return sp.csr_matrix((pmi[keep], (counts.row[keep], counts.col[keep])), shape=counts.shape)


# Extra Ritz vectors ARPACK keeps beyond the wanted rank, so that eigenvalues
# just below the cut are resolved before the float64 refinement picks the top.
# At 100,000 documents (rank 100 of 15,598 terms) 10 give the vectors of 20 to
# within what another seed moves them, in less time.
EXTRA_VECTORS = 10


def truncated_svd(matrix: sp.csr_matrix, rank: int, seed: int = SEED):
    """Top `rank` singular vectors and values of a symmetric matrix, converged.

    PPMI of symmetric co-occurrence counts is symmetric, so its left singular
    vectors are the eigenvectors of largest |eigenvalue| and the singular values
    are those |eigenvalues|. Small matrices use LAPACK's dense eigensolver.
    Larger ones use ARPACK's Lanczos iteration (scipy's eigsh) run to
    convergence, so that the result does not depend on the start vector drawn
    from `seed`: a randomized SVD with two power iterations moved neighbour
    lists with the seed (ferryman -> vasudeva at rank 22 or 56).

    The Lanczos run is in float32 and finds ``rank + EXTRA_VECTORS`` vectors;
    one Rayleigh-Ritz step in float64 over the block [V, S V] then refines them
    (Saad, *Numerical Methods for Large Eigenvalue Problems*, ch. 4). The
    float32 run takes much less CPU than a float64 Lanczos run to machine
    precision, and the refinement is one QR and one small eigh. At 100,000
    documents (15,598 terms, 1.07M non-zeros) the refined vectors differ from
    that float64 reference by at most ~1e-5 whatever the seed (relative
    residuals ~2e-6), far below any gap that orders neighbours.

    Returns u (n, rank) and s (rank,), by decreasing s.
    """
    n_rows = matrix.shape[0]
    rank = max(0, min(rank, n_rows - 1))
    if rank == 0:
        return np.zeros((n_rows, 0)), np.zeros(0)
    symmetric = ((matrix + matrix.T) / 2).astype(np.float64).tocsr()
    if n_rows <= 1000:
        values, vectors = scipy.linalg.eigh(symmetric.toarray())
    else:
        wanted = min(rank + EXTRA_VECTORS, n_rows - 1)
        start = np.random.default_rng(seed).standard_normal(n_rows).astype(np.float32)
        _, rough = scipy.sparse.linalg.eigsh(symmetric.astype(np.float32), k=wanted, which="LM",
                                             v0=start, tol=0)
        values, vectors = rayleigh_ritz(symmetric, rough.astype(np.float64))
    order = np.argsort(-np.abs(values), kind="stable")[:rank]
    return vectors[:, order], np.abs(values[order])


def rayleigh_ritz(matrix: sp.csr_matrix, approximate: np.ndarray):
    """Eigenpairs of a symmetric `matrix` (n, n) within the span of the block
    [V, matrix @ V] for approximate eigenvectors V (n, k): returns values (2k,)
    and orthonormal vectors (n, 2k), in float64."""
    basis, _ = scipy.linalg.qr(np.hstack([approximate, matrix @ approximate]), mode="economic")
    projected = basis.T @ (matrix @ basis)
    values, small = scipy.linalg.eigh((projected + projected.T) / 2)
    return values, basis @ small


def fix_signs(u: np.ndarray) -> np.ndarray:
    """Make each axis's largest entry positive, so identical input gives
    identical vectors whatever sign the SVD happened to pick."""
    if not u.size:
        return u
    pivots = np.argmax(np.abs(u), axis=0)
    signs = np.sign(u[pivots, np.arange(u.shape[1])])
    signs[signs == 0] = 1
    return u * signs


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Unit-length rows; all-zero rows stay zero."""
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1
    return matrix / norms


def term_vectors(association: sp.csr_matrix, dimensions: int = DIMENSIONS,
                 singular_weight: float = 0.5, center: bool = True, seed: int = SEED) -> np.ndarray:
    """Unit term vectors with `dimensions` axes (zero-padded for tiny vocabularies).

    Scaling axes by singular value ** 0.5 rather than ** 1 spreads meaning over
    more axes, which measurably helps word similarity (Levy et al. 2015).
    Centering removes the direction all terms share (mostly word frequency), so
    an unrelated pair correlates near 0 rather than at a common positive level.
    """
    u, s = truncated_svd(association, dimensions, seed)
    vectors = fix_signs(u) * (s ** singular_weight)
    padded = np.zeros((association.shape[0], dimensions), dtype=np.float64)
    padded[:, : vectors.shape[1]] = vectors
    padded = normalize_rows(padded)
    if center:
        padded -= padded.mean(axis=0)
    return normalize_rows(padded).astype(np.float32)
