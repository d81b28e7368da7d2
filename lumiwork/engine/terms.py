"""Corpus-level term finding: lemma ids, multi-word phrases, relevance.

Every function here works on flat numpy arrays over the whole corpus so that
100,000 documents cost a few array passes, not a Python loop per token pair.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .text import LANGUAGE, WORD_PATTERN, known_words, lemmatize, stopwords, tag

# Smallest general-English frequency we assume for a term wordfreq has never seen.
UNSEEN_FREQUENCY = 1e-8


@dataclass
class TokenizedCorpus:
    """All word tokens of a corpus as parallel arrays (one entry per token)."""

    lemma_ids: np.ndarray     # int32 index into `lemmas`
    doc_index: np.ndarray     # int32 document number
    position: np.ndarray      # int32 word position inside its document
    lemmas: list[str]
    is_stop: np.ndarray       # bool per lemma id
    surface_ids: np.ndarray   # int32 index into `surfaces`, per token
    surfaces: list[str]       # distinct surface forms, for display text
    n_docs: int
    language: str = LANGUAGE


def tokenize_corpus(texts, language: str = LANGUAGE) -> TokenizedCorpus:
    """Tokenize and lemmatize every text once."""
    lemma_index: dict[str, int] = {}
    surface_index: dict[str, int] = {}
    lemma_of_surface: list[int] = []
    lemmas: list[str] = []
    surface_ids: list[int] = []
    lengths: list[int] = []
    for text in texts:
        words = WORD_PATTERN.findall(text)
        for word in words:
            surface_id = surface_index.get(word)
            if surface_id is None:
                lemma = lemmatize(word, language)
                lemma_id = lemma_index.get(lemma)
                if lemma_id is None:
                    lemma_id = lemma_index[lemma] = len(lemmas)
                    lemmas.append(lemma)
                surface_id = surface_index[word] = len(lemma_of_surface)
                lemma_of_surface.append(lemma_id)
            surface_ids.append(surface_id)
        lengths.append(len(words))
    lengths_array = np.asarray(lengths, dtype=np.int64)
    surface_array = np.asarray(surface_ids, dtype=np.int32)
    doc_index = np.repeat(np.arange(len(lengths), dtype=np.int32), lengths_array)
    starts = np.concatenate([[0], np.cumsum(lengths_array)[:-1]]) if len(lengths) else np.zeros(0, np.int64)
    position = (np.arange(len(surface_ids), dtype=np.int64) - np.repeat(starts, lengths_array)).astype(np.int32)
    return TokenizedCorpus(
        lemma_ids=np.asarray(lemma_of_surface, dtype=np.int32)[surface_array] if surface_ids else np.zeros(0, np.int32),
        doc_index=doc_index,
        position=position,
        lemmas=lemmas,
        is_stop=np.fromiter((lemma in stopwords(language) for lemma in lemmas), dtype=bool, count=len(lemmas)),
        surface_ids=surface_array,
        surfaces=list(surface_index),
        n_docs=len(lengths),
        language=language,
    )


@dataclass
class Occurrences:
    """Every term occurrence: term id, document, word position, word length."""

    term_ids: np.ndarray
    doc_index: np.ndarray
    position: np.ndarray
    length: np.ndarray
    token_start: np.ndarray     # corpus-wide index of the first word
    terms: list[str]            # term strings, e.g. "ferry|en across|en"
    lemma_tuples: list[tuple]   # the lemmas of each term


def _ngram_keys(corpus: TokenizedCorpus, n: int):
    """Start indices and int64 keys of every n-gram that stays inside one document
    and neither begins nor ends with a stopword."""
    ids = corpus.lemma_ids.astype(np.int64)
    total = len(ids)
    if total < n:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts = np.arange(total - n + 1)
    ok = corpus.doc_index[starts] == corpus.doc_index[starts + n - 1]
    ok &= ~corpus.is_stop[ids[starts]] & ~corpus.is_stop[ids[starts + n - 1]]
    starts = starts[ok]
    base = len(corpus.lemmas) + 1
    keys = np.zeros(len(starts), np.int64)
    for offset in range(n):
        keys = keys * base + ids[starts + offset]
    return starts, keys


def _decode_key(key: int, n: int, base: int) -> tuple[int, ...]:
    parts = []
    for _ in range(n):
        key, part = divmod(key, base)
        parts.append(part)
    return tuple(reversed(parts))


def find_occurrences(corpus: TokenizedCorpus, min_phrase_count: int = 3,
                     min_phrase_association: float = 10.0) -> Occurrences:
    """Single non-stopword lemmas plus 2- and 3-word phrases.

    A phrase is kept when it occurs at least `min_phrase_count` times and its
    words occur together at least `min_phrase_association` times more often
    than chance (count * total / product of word counts, a PMI ratio).
    """
    ids = corpus.lemma_ids
    total = max(len(ids), 1)
    word_counts = np.bincount(ids, minlength=len(corpus.lemmas)).astype(np.float64)
    base = len(corpus.lemmas) + 1

    unigram_positions = np.flatnonzero(~corpus.is_stop[ids])
    term_ids_parts = [ids[unigram_positions].astype(np.int64)]
    start_parts = [unigram_positions]
    length_parts = [np.ones(len(unigram_positions), np.int32)]
    terms = [tag([lemma], corpus.language) for lemma in corpus.lemmas]
    lemma_tuples: list[tuple[str, ...]] = [(lemma,) for lemma in corpus.lemmas]

    for n in (2, 3):
        starts, keys = _ngram_keys(corpus, n)
        if not len(keys):
            continue
        unique_keys, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        frequent = np.flatnonzero(counts >= min_phrase_count)
        phrase_id_of_key = np.full(len(unique_keys), -1, np.int64)
        for key_index in frequent:
            parts = _decode_key(int(unique_keys[key_index]), n, base)
            expected = np.prod([word_counts[p] for p in parts]) / total ** (n - 1)
            if counts[key_index] / expected < min_phrase_association:
                continue
            phrase_id_of_key[key_index] = len(terms)
            phrase_lemmas = tuple(corpus.lemmas[p] for p in parts)
            terms.append(tag(phrase_lemmas, corpus.language))
            lemma_tuples.append(phrase_lemmas)
        phrase_ids = phrase_id_of_key[inverse]
        keep = phrase_ids >= 0
        term_ids_parts.append(phrase_ids[keep])
        start_parts.append(starts[keep])
        length_parts.append(np.full(int(keep.sum()), n, np.int32))

    token_starts = np.concatenate(start_parts)
    return Occurrences(
        term_ids=np.concatenate(term_ids_parts).astype(np.int64),
        doc_index=corpus.doc_index[token_starts],
        position=corpus.position[token_starts],
        length=np.concatenate(length_parts),
        token_start=token_starts,
        terms=terms,
        lemma_tuples=lemma_tuples,
    )


def display_texts(corpus: TokenizedCorpus, occurrences: Occurrences, term_ids) -> list[str]:
    """Most common surface form of each term, e.g. "ferried across" for
    ``ferry|en across|en`` (ties go to the form seen first)."""
    wanted = np.full(len(occurrences.terms), -1, np.int64)
    wanted[term_ids] = np.arange(len(term_ids))
    row = wanted[occurrences.term_ids]
    keep = row >= 0
    row = row[keep]
    # global token index of each occurrence's first word
    first = occurrences.token_start[keep]
    lengths = occurrences.length[keep]
    base = len(corpus.surfaces) + 1
    key = np.zeros(len(first), np.int64)
    for offset in range(3):
        inside = offset < lengths
        index = np.minimum(first + offset, len(corpus.surface_ids) - 1)
        key = key * base + np.where(inside, corpus.surface_ids[index] + 1, 0)
    # Count (term, surface form) pairs with 1-D uniques, which are far faster
    # than a unique over columns of a 2-D array.
    distinct_keys, key_ids = np.unique(key, return_inverse=True)
    pairs, counts = np.unique(row * len(distinct_keys) + key_ids, return_counts=True)
    pair_rows, pair_keys = np.divmod(pairs, len(distinct_keys))
    order = np.lexsort((-counts, pair_rows))
    first_of_row = np.ones(len(order), dtype=bool)
    first_of_row[1:] = pair_rows[order][1:] != pair_rows[order][:-1]
    best = order[first_of_row]
    best_key = dict(zip(pair_rows[best].tolist(), distinct_keys[pair_keys[best]].tolist()))
    texts = []
    for position in range(len(term_ids)):
        words, key = [], best_key[position]
        while key:
            key, part = divmod(key, base)
            if part:
                words.append(corpus.surfaces[part - 1])
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

