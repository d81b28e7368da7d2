"""How high a correlation must be to mean something: the noise floor.

A correlation between two term vectors (or a query and a term) is a cosine in
the model's space. Unrelated words do not correlate at exactly zero: the
space has 150 axes and a few thousand terms, so chance alignments are common.
The NOISE FLOOR of a space is the correlation that unrelated words reach only
rarely: the NOISE_PERCENTILE-th percentile of the correlations of NOISE_PAIRS
pairs of distinct single-word terms drawn at random as words of the text are
(each term with probability proportional to its count; fixed seed). Most
random pairs are unrelated, so a correlation below the floor is what chance
gives one pair in a hundred; a neighbour scoring below it is not evidence of
anything. Terms are drawn by count, not uniformly, because queries and
documents are made of the text's words: drawn uniformly, the many rare terms,
whose vectors lean on general knowledge and correlate more readily, set the
floor (0.41 instead of 0.35 with WordNet), above the project's own true
neighbours (river -> ferry 0.39).

Measured on the Siddhartha demo (suite splitting, 1,739 terms, 2026-12-07;
benchmarks/knowledge.py prints each model's floor):

==========================================  ===========
space                                       99th pct.
==========================================  ===========
project text only (no background)           0.28
blended with GloVe alone                    0.33
blended with GloVe + WordNet (+ thesaurus)  0.36
background space alone (GloVe + WordNet)    0.60
==========================================  ===========

while the neighbours an analyst would accept mostly score above it (coconut
-> mango 0.76, coconut -> milk 0.70, govinda -> friend 0.46, river -> ferry
0.39), and unrelated ones below (river -> mango 0.05, coconut -> ferryman
0.10). The 99th percentile is used: at the 95th, one answer in twenty from a
query about nothing would look related. Each model measures its own floor when
it is built (`Model.noise_floor`), because the level depends on the corpus and
the knowledge it was blended with; NOISE_FLOOR is the Siddhartha value with
WordNet, for model files saved before models measured their own.
"""
from __future__ import annotations

import numpy as np

NOISE_PERCENTILE = 99.0
NOISE_PAIRS = 20_000
NOISE_SEED = 20160119
# The Siddhartha demo's floor with GloVe + WordNet (see the table above).
NOISE_FLOOR = 0.36


def noise_floor(vectors: np.ndarray, rows: np.ndarray | None = None, weights: np.ndarray | None = None,
                pairs: int = NOISE_PAIRS, percentile: float = NOISE_PERCENTILE, seed: int = NOISE_SEED) -> float:
    """The `percentile`-th percentile of the correlations (dot products of
    unit rows) of `pairs` random pairs of distinct rows among `rows` (default:
    all rows of `vectors`), each row drawn with probability proportional to
    its weight (`weights`, (m,) e.g. term counts; default: uniform).

    vectors: (n, d) unit rows; rows: (m,) candidate row indices, e.g. the
    single-word terms (phrases share words, so a phrase and its word are not a
    random pair). Returns 0.0 when there are fewer than two candidates.
    Deterministic: the pairs come from `seed`.
    """
    candidates = np.arange(len(vectors)) if rows is None else np.asarray(rows)
    if len(candidates) < 2:
        return 0.0
    chance = None
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
        if weights.sum() <= 0:
            return 0.0
        chance = weights / weights.sum()
    rng = np.random.default_rng(seed)
    first = rng.choice(candidates, pairs, p=chance)
    second = rng.choice(candidates, pairs, p=chance)
    distinct = first != second
    if not distinct.any():
        return 0.0
    a, b = vectors[first[distinct]], vectors[second[distinct]]
    correlations = np.einsum("ij,ij->i", a.astype(np.float64), b.astype(np.float64))
    return float(np.percentile(correlations, percentile))
