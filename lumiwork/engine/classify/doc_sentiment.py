"""The sentiment of every document of a build (API v5's sentiment), from the
same lexicon scoring as Compass's sentiment classifiers (sentiment.py): VADER's
lexicon with negation, plus the project's own sentiment words found by domain
expansion (sentiment.expand_domain).

Each document gets a compound in (-1, 1): normalize(P - N), with P and N the
sums of its positive and |negative| word valences (sentiment.normalize, VADER's
x / sqrt(x^2 + 15)). Its label is positive when compound >= THRESHOLD, negative
when compound <= -THRESHOLD, else neutral.

THRESHOLD and the use of domain expansion were chosen on the tuning reviews of
tests/data/v5-sentiment-split.md only (`benchmarks/sentiment.py --tune`): macro-F1
0.569 at 0.2 without expansion, 0.561 with it (expansion found sentiment in product
words there); VADER's full rules (capitals, "but", degree words) reached 0.571, no
better. benchmarks/sentiment.py measures the choice on the held-out reviews
(benchmarks/RESULTS.md).
"""
from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from ..model import Model
from ..text import tokenize
from .sentiment import WordScorer, expand_domain, lemma_lexicon, normalize

#: |compound| at which a document stops being neutral.
THRESHOLD = 0.2
#: Whether the project's own sentiment words (domain expansion) are used.
DOMAIN_EXPANSION = False
POSITIVE, NEUTRAL, NEGATIVE = 1, 0, -1


def domain_terms(model: Model) -> dict[str, float]:
    """The project's own sentiment words ({text: score in [-5, 5]}), or none."""
    return expand_domain(model)[0] if DOMAIN_EXPANSION else {}


def compounds(model: Model, texts: Sequence[str], domain: dict[str, float] | None = None) -> np.ndarray:
    """(n,) float32 compound of each text (see the module's docstring); `domain`:
    the project's sentiment words, domain_terms(model) when None."""
    scorer = WordScorer(domain_terms(model) if domain is None else domain, model.language)
    totals = np.zeros((len(texts), 2))
    for i, text in enumerate(texts):
        for valence in scorer.valences(tokenize(text, model.language)):
            totals[i, 0 if valence > 0 else 1] += abs(valence)
    return normalize(totals[:, 0] - totals[:, 1]).astype(np.float32)


def labels(compound: np.ndarray, threshold: float = THRESHOLD) -> np.ndarray:
    """(n,) int8: POSITIVE, NEUTRAL or NEGATIVE for each compound."""
    negative_or_neutral = np.where(compound <= -threshold, NEGATIVE, NEUTRAL)
    return np.where(compound >= threshold, POSITIVE, negative_or_neutral).astype(np.int8)


def sentiment_lemmas(language: str) -> frozenset[str]:
    """The lemmas the general lexicon rates (sentiment words themselves)."""
    return frozenset(lemma_lexicon(language))
