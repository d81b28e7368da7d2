"""Measuring a model's related terms against gold lists: hits in the top k and
mean reciprocal rank. Counts on lemmas, so "ate" matches "eat"."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from .model import Model
from .query import related_terms
from .text import lemmatize


def neighbour_lemmas(model: Model, query: str, depth: int) -> list[str]:
    """Lemma strings of the `depth` terms nearest a query text, the query's own
    terms left out (a multi-word term is its words joined by spaces)."""
    spans = model.text_terms(query)
    own = {index for index, _, _ in spans}
    vector = model.vector_for_terms(own)
    if not np.any(vector):
        return []
    found = related_terms(model, vector, depth + len(own))
    return [" ".join(p.split("|")[0] for p in model.terms[i].split(" "))
            for i, _ in found if i not in own][:depth]


def hits_at(model: Model, query: str, gold: set[str], k: int) -> int:
    """How many gold lemmas are among the k nearest terms."""
    gold_lemmas = {" ".join(lemmatize(w) for w in g.split()) for g in gold}
    return len(gold_lemmas & set(neighbour_lemmas(model, query, k)))


def reciprocal_rank(model: Model, query: str, gold: set[str], depth: int = 100) -> float:
    """1 / rank of the first gold lemma among the nearest terms (0 if none in `depth`)."""
    gold_lemmas = {lemmatize(g) for g in gold}
    for rank, lemma in enumerate(neighbour_lemmas(model, query, depth), start=1):
        if lemma in gold_lemmas:
            return 1.0 / rank
    return 0.0


def read_pairs(path: Path | str) -> list[tuple[str, set[str]]]:
    """query <TAB> space-separated neighbours, one pair a line; '#' comments."""
    pairs = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            query, neighbours = line.split("\t")
            pairs.append((query, set(neighbours.split())))
    return pairs


def mean_reciprocal_rank(model: Model, pairs: list[tuple[str, set[str]]], depth: int = 100) -> float:
    return float(np.mean([reciprocal_rank(model, q, gold, depth) for q, gold in pairs]))
