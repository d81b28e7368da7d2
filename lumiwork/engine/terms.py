"""Term finding: multi-word phrases, display forms, relevance.

Every function here works on flat numpy arrays (one chunk of the corpus, or
corpus-wide counts; see counting.py) so that 100,000 documents cost a few array
passes, not a Python loop per token pair.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .text import LANGUAGE, known_words, tag

# Smallest general-English frequency we assume for a term wordfreq has never seen.
UNSEEN_FREQUENCY = 1e-8


def ngram_keys(lemma_ids: np.ndarray, doc_index: np.ndarray, is_stop: np.ndarray, base: int, n: int):
    """Start indices and int64 keys of every n-gram that stays inside one document
    and neither begins nor ends with a stopword.

    lemma_ids, doc_index: (words,) in text order; is_stop: (lemmas,) bool;
    key = sum of lemma id * base ** (n - 1 - i), base > every lemma id."""
    ids = lemma_ids.astype(np.int64)
    total = len(ids)
    if total < n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.arange(total - n + 1)
    ok = doc_index[starts] == doc_index[starts + n - 1]
    ok &= ~is_stop[ids[starts]] & ~is_stop[ids[starts + n - 1]]
    starts = starts[ok]
    keys = np.zeros(len(starts), np.int64)
    for offset in range(n):
        keys = keys * base + ids[starts + offset]
    return starts, keys


def decode_keys(keys: np.ndarray, n: int, base: int) -> np.ndarray:
    """(len(keys), n) lemma ids of n-gram keys."""
    parts = np.zeros((len(keys), n), np.int64)
    rest = keys.astype(np.int64)
    for column in range(n - 1, -1, -1):
        rest, parts[:, column] = np.divmod(rest, base)
    return parts


@dataclass
class Phrases:
    """Every term before the vocabulary cut: single lemmas (term id = lemma id)
    then the chosen 2- and 3-word phrases, with a lookup from n-gram key to term id."""

    terms: list[str]                 # term strings, e.g. "ferry|en across|en"
    lemma_tuples: list[tuple]        # the lemmas of each term
    keys: dict[int, np.ndarray]      # per n: sorted n-gram keys of the chosen phrases
    term_ids: dict[int, np.ndarray]  # per n: their term ids

    def lookup(self, n: int, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Which `keys` are chosen phrases (bool mask) and the term ids of those."""
        chosen = self.keys[n]
        if not len(chosen) or not len(keys):
            return np.zeros(len(keys), bool), np.zeros(0, np.int64)
        at = np.minimum(np.searchsorted(chosen, keys), len(chosen) - 1)
        found = chosen[at] == keys
        return found, self.term_ids[n][at[found]]


def select_phrases(lemmas: list[str], word_counts: np.ndarray, ngrams: dict[int, tuple[np.ndarray, np.ndarray]],
                   language: str = LANGUAGE, min_phrase_count: int = 3,
                   min_phrase_association: float = 10.0) -> Phrases:
    """Choose 2- and 3-word phrases from corpus-wide counts.

    `word_counts` (lemmas,) counts every word; `ngrams[n]` holds the sorted
    distinct n-gram keys (see `ngram_keys`, base = len(lemmas) + 1) and their
    counts. A phrase is kept when it occurs at least `min_phrase_count` times
    and its words occur together at least `min_phrase_association` times more
    often than chance (count * total / product of word counts, a PMI ratio).
    Vectorized over keys; same float operations, in the same order, as the
    per-key loop it replaced, so the same phrases are chosen.
    """
    total = max(int(word_counts.sum()), 1)
    counts_of_word = word_counts.astype(np.float64)
    base = len(lemmas) + 1
    terms = [tag([lemma], language) for lemma in lemmas]
    lemma_tuples: list[tuple[str, ...]] = [(lemma,) for lemma in lemmas]
    chosen_keys, chosen_ids = {}, {}
    for n in (2, 3):
        keys, counts = ngrams[n]
        frequent = counts >= min_phrase_count
        keys, counts = keys[frequent], counts[frequent]
        parts = decode_keys(keys, n, base)
        expected = counts_of_word[parts[:, 0]]
        for column in range(1, n):
            expected = expected * counts_of_word[parts[:, column]]
        expected = expected / float(total ** (n - 1))
        keep = ~(counts / expected < min_phrase_association)
        chosen_keys[n] = keys[keep]
        chosen_ids[n] = np.arange(len(terms), len(terms) + int(keep.sum()), dtype=np.int64)
        for row in parts[keep].tolist():
            phrase_lemmas = tuple(lemmas[p] for p in row)
            terms.append(tag(phrase_lemmas, language))
            lemma_tuples.append(phrase_lemmas)
    return Phrases(terms, lemma_tuples, chosen_keys, chosen_ids)


def surface_keys(surface_ids: np.ndarray, start: np.ndarray, length: np.ndarray, n_surfaces: int) -> np.ndarray:
    """One int64 key per occurrence naming its surface words (up to 3), e.g. the
    key of "ferried across": base-(n_surfaces + 1) digits surface id + 1, 0 past
    the term's end. Keys order like the tuples of surface ids."""
    base = n_surfaces + 1
    key = np.zeros(len(start), np.int64)
    for offset in range(3):
        inside = offset < length
        index = np.minimum(start + offset, len(surface_ids) - 1)
        key = key * base + np.where(inside, surface_ids[index].astype(np.int64) + 1, 0)
    return key


def count_forms(rows: np.ndarray, keys: np.ndarray, counts: np.ndarray | None = None):
    """Distinct (row, surface key) pairs, sorted by row then key, with their
    summed counts (one per entry when `counts` is None).

    Counted with 1-D uniques, which are far faster than a unique over the
    columns of a 2-D array."""
    if not len(rows):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64)
    distinct, key_ids = np.unique(keys, return_inverse=True)
    pairs, pair_ids = np.unique(rows.astype(np.int64) * len(distinct) + key_ids, return_inverse=True)
    weights = None if counts is None else counts.astype(np.float64)
    totals = np.bincount(pair_ids.ravel(), weights=weights, minlength=len(pairs)).astype(np.int64)
    pair_rows, pair_keys = np.divmod(pairs, len(distinct))
    return pair_rows, distinct[pair_keys], totals


def choose_display_texts(rows: np.ndarray, keys: np.ndarray, counts: np.ndarray, n_terms: int,
                         surfaces: list[str]) -> list[str]:
    """Most common surface form of each of `n_terms` terms, e.g. "ferried across"
    for ``ferry|en across|en``, from (term, surface key, count) entries that
    may repeat (one set per chunk); ties go to the form whose surface ids come
    first, i.e. the form seen first in the corpus."""
    pair_rows, pair_keys, totals = count_forms(rows, keys, counts)
    order = np.lexsort((-totals, pair_rows))
    first_of_row = np.ones(len(order), dtype=bool)
    first_of_row[1:] = pair_rows[order][1:] != pair_rows[order][:-1]
    best = order[first_of_row]
    best_key = dict(zip(pair_rows[best].tolist(), pair_keys[best].tolist()))
    base = len(surfaces) + 1
    texts = []
    for position in range(n_terms):
        words, key = [], best_key[position]
        while key:
            key, part = divmod(key, base)
            if part:
                words.append(surfaces[part - 1])
        texts.append(" ".join(reversed(words)))
    return texts


def general_frequency(lemmas: tuple[str, ...], frequencies: dict[str, float]) -> float:
    """Frequency of a term in general text: wordfreq's, combined for phrases
    the way wordfreq combines tokens (reciprocal of summed reciprocals)."""
    inverse_sum = sum(1.0 / max(frequencies.get(lemma, 0.0), UNSEEN_FREQUENCY) for lemma in lemmas)
    # each extra word in a phrase makes the exact sequence rarer still
    return 1.0 / inverse_sum / (10.0 ** (len(lemmas) - 1))


def relevance(counts: np.ndarray, total_tokens: int, general: np.ndarray) -> np.ndarray:
    """How much more a term occurs here than in general text, weighted by how
    often it occurs: count-weighted log ratio of the two frequencies."""
    project = counts / max(total_tokens, 1)
    ratio = np.log(np.maximum(project / general, 1.0))
    return ratio * np.log1p(counts)


def general_frequencies(language: str = LANGUAGE) -> dict[str, float]:
    """Frequencies of words in general text of a language (wordfreq)."""
    return known_words(language)

