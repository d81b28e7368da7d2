"""The counting stage in chunks: tokenize -> terms -> co-occurrence.

The corpus is cut into chunks of consecutive documents. Each chunk goes through
the same four functions, and only small per-chunk results (vocabularies, counts,
partial sparse matrices) travel back to the driver, which sums them and makes
the three decisions that need the whole corpus:

1. ``tokenize_chunk``     text -> chunk-local surface and lemma ids.
   driver: merge the chunk vocabularies into corpus-wide ids (first-seen order).
2. ``globalize_chunk`` + ``ngram_counts``   corpus-wide ids; word and n-gram counts.
   driver: choose phrases from the corpus-wide counts (``terms.select_phrases``).
3. ``chunk_occurrences``  every term occurrence in the chunk; term totals.
   driver: vocabulary (terms seen often enough), alphabetical term ids.
4. ``count_chunk``        half co-occurrence, document-term rows, display forms.
   driver: sum the partial matrices (exact integers, so the sum does not depend
   on the order or the cut), stack the document rows.

A runner maps those functions over chunks: `LocalRunner` in this process (the
default; it never imports dask) or `DaskRunner` on a dask.distributed cluster
(`lumiwork.engine.dask_counting`). Both drive the same `count_corpus`, so both
give the same vocabulary, counts and matrices, bit for bit.

Why chunks: counting the whole corpus at once built every (row, col, weight)
co-occurrence entry at the same time (~400M of them at 1,000,000 documents);
in chunks, only one chunk's pair list exists at a time, and the counting is
faster and needs a fraction of the memory (before and after: CHANGELOG.md;
current figures: benchmarks/RESULTS.md).
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pandas as pd
import scipy.sparse as sp

from . import terms as termlib
from .space import WINDOW, cooccurrence_pairs, sum_by_key, symmetric_matrix, weight_scale
from .text import LANGUAGE, WORD_PATTERN, lemmatize, stopwords

# Documents per chunk: a chunk's pair list (~2.6M pairs at 20k) must stay small
# enough for the hash table to stay in cache, and few chunks keep per-chunk
# overhead (dask tasks, vocabulary merges) small; 1M documents make 50 chunks.
# Chunks of 10k to 20k documents were the fastest and smallest at 100,000
# documents (CHANGELOG.md).
CHUNK_DOCS = 20_000

# Words of a chunk are found by one regex pass over its texts joined with NUL,
# which the pattern also matches: the NUL tokens mark where documents end.
_SEPARATOR = "\x00"
_WORDS_AND_SEPARATORS = re.compile(WORD_PATTERN.pattern + "|" + _SEPARATOR, WORD_PATTERN.flags)
# For ASCII text: each character that is neither a letter, an apostrophe nor the
# separator -> space (see find_words).
_ASCII_NON_WORD = {code: " " for code in range(128)
                   if not chr(code).isalpha() and chr(code) not in "'" + _SEPARATOR}


def find_words(joined: str) -> list[str]:
    """``_WORDS_AND_SEPARATORS.findall(joined)``: the words and NUL separators of a
    chunk, in order.

    ASCII text (the usual case) takes a path of whole-string C loops instead:
    other characters become spaces, so do apostrophes that are not between two
    letters, and `str.split` cuts the rest. That is several times faster than
    the regex, with equal results (tests/unit/test_counting.py compares them on
    generated text).
    """
    if not joined.isascii():
        return _WORDS_AND_SEPARATORS.findall(joined)
    text = joined.translate(_ASCII_NON_WORD)
    if "'" in text:
        # In ASCII a word is letters joined by single apostrophes. Pairs first:
        # afterwards no two apostrophes touch, so one next to a space or a
        # separator is no part of a word.
        text = text.replace("''", "  ")
        for lone, blank in ((" '", "  "), ("' ", "  "), (_SEPARATOR + "'", _SEPARATOR + " "),
                            ("'" + _SEPARATOR, " " + _SEPARATOR)):
            text = text.replace(lone, blank)
        if text.startswith("'"):
            text = " " + text[1:]
        if text.endswith("'"):
            text = text[:-1] + " "
    return text.replace(_SEPARATOR, f" {_SEPARATOR} ").split()


# ---- 1. tokenize --------------------------------------------------------------------------
@dataclass
class TokenChunk:
    """The words of a chunk of documents in chunk-local ids."""

    surface_ids: np.ndarray        # (words,) int32: index into `surfaces`
    lengths: np.ndarray            # (docs,) int32: words in each document
    surfaces: list[str]            # distinct surface forms, in order of first use
    lemma_of_surface: np.ndarray   # (surfaces,) int32: index into `lemmas`
    lemmas: list[str]              # distinct lemmas, in order of first use


def join_texts(texts: Sequence[str]) -> str:
    """A chunk's texts as one string, each ended by NUL (a NUL inside a text
    becomes a space: it is no word character, so the words are the same).

    One string is also what ships a chunk to a dask worker: distributed
    serialises a list element by element, which for a chunk's texts is far
    slower than one string."""
    joined = _SEPARATOR.join(texts) + _SEPARATOR
    if joined.count(_SEPARATOR) != len(texts):
        joined = _SEPARATOR.join(text.replace(_SEPARATOR, " ") for text in texts) + _SEPARATOR
    return joined


def tokenize_chunk(joined: str, language: str = LANGUAGE) -> TokenChunk:
    """Words of the texts in `joined` (see `join_texts`) with chunk-local
    surface and lemma ids in first-use order, so merging chunks in corpus order
    gives first-use order over the corpus.

    One pass over the joined texts (`find_words`) is faster than one findall
    per text, and pandas' hash factorize numbers a chunk's words faster than a
    dict lookup per word in Python."""
    words = find_words(joined)
    codes, uniques = pd.factorize(np.array(words, dtype=object), sort=False)
    uniques = uniques.tolist()
    separator = uniques.index(_SEPARATOR)  # (numpy would compare with "": it strips trailing NULs)
    is_end = codes == separator
    lengths = np.diff(np.flatnonzero(is_end), prepend=-1) - 1
    surface_ids = codes[~is_end]
    surface_ids[surface_ids > separator] -= 1
    surfaces = uniques[:separator] + uniques[separator + 1:]
    lemma_index: dict[str, int] = {}
    lemma_of_surface = np.fromiter(
        (lemma_index.setdefault(lemmatize(word, language), len(lemma_index)) for word in surfaces),
        dtype=np.int32, count=len(surfaces))
    return TokenChunk(surface_ids.astype(np.int32), lengths.astype(np.int32), surfaces,
                      lemma_of_surface, list(lemma_index))


def chunk_vocabulary(chunk: TokenChunk) -> tuple[list[str], list[str]]:
    """What the driver needs of a tokenized chunk: its surfaces and lemmas."""
    return chunk.surfaces, chunk.lemmas


@dataclass
class Vocabularies:
    """Corpus-wide surfaces and lemmas, and each chunk's local -> global ids."""

    surfaces: list[str]
    lemmas: list[str]
    surface_maps: list[np.ndarray]   # per chunk: (local surfaces,) int32 global surface id
    lemma_maps: list[np.ndarray]     # per chunk: (local lemmas,) int32 global lemma id


def merge_vocabularies(pieces: Iterable[tuple[list[str], list[str]]]) -> Vocabularies:
    """Merge chunk vocabularies in corpus order: a word first used in chunk k
    gets its id after every word of chunks < k, as a single pass would give."""
    surface_index: dict[str, int] = {}
    lemma_index: dict[str, int] = {}
    surface_maps, lemma_maps = [], []
    for surfaces, lemmas in pieces:
        surface_maps.append(np.fromiter((surface_index.setdefault(s, len(surface_index)) for s in surfaces),
                                        dtype=np.int32, count=len(surfaces)))
        lemma_maps.append(np.fromiter((lemma_index.setdefault(lemma, len(lemma_index)) for lemma in lemmas),
                                      dtype=np.int32, count=len(lemmas)))
    return Vocabularies(list(surface_index), list(lemma_index), surface_maps, lemma_maps)


# ---- 2. corpus-wide ids, n-gram counts ------------------------------------------------------
@dataclass
class WordChunk:
    """The words of a chunk in corpus-wide ids."""

    lemma_ids: np.ndarray     # (words,) int32 global lemma id
    surface_ids: np.ndarray   # (words,) int32 global surface id
    doc_index: np.ndarray     # (words,) int32 document number inside the chunk
    lengths: np.ndarray       # (docs,) int32 words per document


def globalize_chunk(chunk: TokenChunk, surface_map: np.ndarray, lemma_map: np.ndarray) -> WordChunk:
    surface_ids = surface_map[chunk.surface_ids]
    lemma_of_global_surface = lemma_map[chunk.lemma_of_surface]
    return WordChunk(
        lemma_ids=lemma_of_global_surface[chunk.surface_ids].astype(np.int32),
        surface_ids=surface_ids.astype(np.int32),
        doc_index=np.repeat(np.arange(len(chunk.lengths), dtype=np.int32), chunk.lengths),
        lengths=chunk.lengths,
    )


@dataclass
class NgramCounts:
    """Word counts (n_lemmas,) and, per n in (2, 3), distinct n-gram keys with counts."""

    word_counts: np.ndarray
    keys: dict[int, np.ndarray]
    counts: dict[int, np.ndarray]


def ngram_counts(chunk: WordChunk, is_stop: np.ndarray) -> NgramCounts:
    base = len(is_stop) + 1
    keys, counts = {}, {}
    for n in (2, 3):
        _, ngram = termlib.ngram_keys(chunk.lemma_ids, chunk.doc_index, is_stop, base, n)
        keys[n], counts[n] = sum_by_key(ngram, np.ones(len(ngram), np.int64), sort=False)
    return NgramCounts(np.bincount(chunk.lemma_ids, minlength=len(is_stop)), keys, counts)


# ---- 3. occurrences --------------------------------------------------------------------------
@dataclass
class ChunkOccurrences:
    """Term occurrences of a chunk, ordered by (document, word, length)."""

    term_ids: np.ndarray      # (occurrences,) int32 term id (before the vocabulary cut)
    token_start: np.ndarray   # (occurrences,) int32 chunk word index of the first word
    length: np.ndarray        # (occurrences,) int8 words in the term (1..3)


def chunk_occurrences(chunk: WordChunk, is_stop: np.ndarray, phrases: termlib.Phrases) -> ChunkOccurrences:
    """Single non-stopword lemmas (term id = lemma id) plus the chosen phrases.

    Occurrences are written to slot ``3 * first word + length - 1`` of one
    array, so reading it front to back gives them sorted by (document, word,
    length) in one O(words) pass instead of a lexsort."""
    ids = chunk.lemma_ids
    slots = np.full(3 * len(ids), -1, np.int32)
    single = np.flatnonzero(~is_stop[ids])
    slots[3 * single] = ids[single]
    base = len(is_stop) + 1
    for n in (2, 3):
        starts, keys = termlib.ngram_keys(ids, chunk.doc_index, is_stop, base, n)
        found, term_ids = phrases.lookup(n, keys)
        slots[3 * starts[found] + n - 1] = term_ids
    taken = np.flatnonzero(slots >= 0)
    return ChunkOccurrences(slots[taken], (taken // 3).astype(np.int32), (taken % 3 + 1).astype(np.int8))


def term_totals(occurrences: ChunkOccurrences, n_terms: int) -> np.ndarray:
    """(n_terms,) int64 occurrences of each term in the chunk."""
    return np.bincount(occurrences.term_ids, minlength=n_terms)


# ---- 4. co-occurrence, document rows, display forms --------------------------------------------
@dataclass
class ChunkCounts:
    """What a chunk adds to the corpus counts once term ids are final."""

    pair_keys: np.ndarray       # (pairs,) int64 low * n_terms + high, low < high, distinct
    pair_weights: np.ndarray    # (pairs,) int64 summed weights in 1 / weight_scale units
    doc_terms: sp.csr_matrix    # (docs, n_terms) float64 occurrences per document
    display_rows: np.ndarray    # (forms,) int64 term id
    display_keys: np.ndarray    # (forms,) int64 surface-form key (see terms.surface_keys)
    display_counts: np.ndarray  # (forms,) int64 occurrences in that form
    lengths: np.ndarray         # (docs,) int32 words per document
    words: int                  # words in the chunk


def count_chunk(chunk: WordChunk, occurrences: ChunkOccurrences, new_id: np.ndarray, n_terms: int,
                n_surfaces: int, window: int = WINDOW) -> ChunkCounts:
    """Counts of the chunk's occurrences of vocabulary terms (`new_id` maps a
    term id to its alphabetical vocabulary id, or -1 for terms left out)."""
    term = new_id[occurrences.term_ids]
    keep = term >= 0
    term = term[keep].astype(np.int32)
    start = occurrences.token_start[keep]
    length = occurrences.length[keep]
    doc = chunk.doc_index[start]
    pair_keys, pair_weights = cooccurrence_pairs(term, doc, start, n_terms, window, sort=False)
    doc_terms = sp.csr_matrix((np.ones(len(term)), (doc, term)), shape=(len(chunk.lengths), n_terms))
    doc_terms.sum_duplicates()
    forms = termlib.surface_keys(chunk.surface_ids, start, length, n_surfaces)
    display_rows, display_keys, display_counts = termlib.count_forms(term, forms)
    return ChunkCounts(pair_keys, pair_weights, doc_terms, display_rows, display_keys, display_counts,
                       chunk.lengths, len(chunk.lemma_ids))


class KeySums:
    """Running sum of (key, integer weight) lists, compacted as they grow so the
    memory held stays near the number of distinct keys."""

    def __init__(self) -> None:
        self.keys = np.zeros(0, np.int64)
        self.weights = np.zeros(0, np.int64)
        self._pending: list[tuple[np.ndarray, np.ndarray]] = []
        self._pending_size = 0

    def add(self, keys: np.ndarray, weights: np.ndarray) -> None:
        self._pending.append((keys, weights))
        self._pending_size += len(keys)
        if self._pending_size > max(4_000_000, 2 * len(self.keys)):
            self._compact()

    def _compact(self) -> None:
        if self._pending:
            self.keys, self.weights = sum_by_key(
                np.concatenate([self.keys] + [k for k, _ in self._pending]),
                np.concatenate([self.weights] + [w for _, w in self._pending]), sort=False)
            self._pending, self._pending_size = [], 0

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """Sorted distinct keys and their total weights."""
        self._compact()
        order = np.argsort(self.keys)
        return self.keys[order], self.weights[order]


# ---- the driver -----------------------------------------------------------------------------------
class Runner(Protocol):
    """Maps chunk functions over chunks; `LocalRunner` or `DaskRunner`.

    ``map`` returns handles (results, or futures); ``share`` makes one object
    available to every call; ``results`` yields handles' results in order."""

    def scatter(self, items: list) -> list: ...
    def map(self, fn: Callable, *iterables: Iterable, **shared: Any) -> list: ...
    def share(self, value: Any) -> Any: ...
    def results(self, handles: list) -> Iterable: ...
    def release(self, handles: list) -> None: ...


class LocalRunner:
    """Runs every chunk function in this process, one chunk after another."""

    def scatter(self, items: list) -> list:
        return items

    def map(self, fn: Callable, *iterables: Iterable, **shared: Any) -> list:
        return [fn(*args, **shared) for args in zip(*iterables)]

    def share(self, value: Any) -> Any:
        return value

    def results(self, handles: list) -> Iterable:
        return iter(handles)

    def release(self, handles: list) -> None:
        handles.clear()


@dataclass
class CorpusCounts:
    """The counting stage's result: everything later stages need of the text."""

    terms: list[str]                  # vocabulary, alphabetical
    lemma_tuples: list[tuple]         # lemmas of each vocabulary term
    counts: np.ndarray                # (terms,) int64 occurrences
    cooccurrence: sp.csr_matrix       # (terms, terms) float64 symmetric weighted counts
    doc_terms: sp.csr_matrix          # (docs, terms) float64 occurrences per document
    doc_lengths: np.ndarray           # (docs,) int64 words per document
    total_words: int
    surfaces: list[str]               # for display texts
    display_rows: np.ndarray          # (term, surface form) occurrence counts, see terms.count_forms
    display_keys: np.ndarray
    display_counts: np.ndarray

    @property
    def n_docs(self) -> int:
        return len(self.doc_lengths)

    def display_texts(self) -> list[str]:
        """Most common surface form of each vocabulary term."""
        return termlib.choose_display_texts(self.display_rows, self.display_keys, self.display_counts,
                                            len(self.terms), self.surfaces)


class EmptyCorpus(ValueError):
    """No document has a word, or no term occurs often enough."""


def count_corpus(texts: Sequence[str], language: str = LANGUAGE, runner: Runner | None = None,
                 chunk_docs: int | None = None, window: int = WINDOW,
                 stage: Callable[[str], None] | None = None) -> CorpusCounts:
    """Tokenize, find terms and count co-occurrences of `texts`, chunk by chunk.

    `chunk_docs` documents per chunk (default CHUNK_DOCS) changes nothing but
    speed and memory. `stage` is called with "terms" and "association" as
    those stages start.
    Memory: the words (12 bytes each) and occurrences (9 bytes each) of the
    whole corpus, plus one chunk's pair list; never the corpus-wide pair list.
    """
    runner = runner or LocalRunner()
    chunk_docs = chunk_docs or CHUNK_DOCS
    chunks = [join_texts(texts[i:i + chunk_docs]) for i in range(0, len(texts), chunk_docs)]
    text_handles = runner.scatter(chunks)
    del chunks
    tokens = runner.map(tokenize_chunk, text_handles, language=language)
    runner.release(text_handles)
    vocabularies = merge_vocabularies(runner.results(runner.map(chunk_vocabulary, tokens)))
    words = runner.map(globalize_chunk, tokens, vocabularies.surface_maps, vocabularies.lemma_maps)
    runner.release(tokens)
    stop = stopwords(language)
    is_stop = np.fromiter((lemma in stop for lemma in vocabularies.lemmas), dtype=bool,
                          count=len(vocabularies.lemmas))

    if stage:
        stage("terms")
    shared_stop = runner.share(is_stop)
    word_counts = np.zeros(len(vocabularies.lemmas), np.int64)
    ngram_sums = {2: KeySums(), 3: KeySums()}
    for part in runner.results(runner.map(ngram_counts, words, is_stop=shared_stop)):
        word_counts += part.word_counts
        for n, sums in ngram_sums.items():
            sums.add(part.keys[n], part.counts[n])
    total_words = int(word_counts.sum())
    if not total_words:
        raise EmptyCorpus("no document contains any words")
    phrases = termlib.select_phrases(vocabularies.lemmas, word_counts,
                                     {n: sums.result() for n, sums in ngram_sums.items()}, language)
    occurrences = runner.map(chunk_occurrences, words, is_stop=shared_stop, phrases=runner.share(phrases))
    totals = np.zeros(len(phrases.terms), np.int64)
    for part in runner.results(runner.map(term_totals, occurrences, n_terms=len(phrases.terms))):
        totals += part
    min_count = 2 if len(texts) >= 50 else 1
    # Words seen once stay out even when the background knows them: measured on
    # Siddhartha, such background-only vectors crowded common words' neighbour
    # lists (mango, pumpkin around "river"); queries still reach them through
    # Model.unseen_vectors.
    vocabulary = np.flatnonzero(totals >= min_count)
    # Alphabetical term ids: the same documents in any order give the same matrices.
    vocabulary = vocabulary[np.argsort(np.array([phrases.terms[t] for t in vocabulary]), kind="stable")]
    if not len(vocabulary):
        raise EmptyCorpus("no term occurs often enough to build from")
    n_terms = len(vocabulary)
    new_id = np.full(len(phrases.terms), -1, np.int32)
    new_id[vocabulary] = np.arange(n_terms, dtype=np.int32)

    if stage:
        stage("association")
    pairs = KeySums()
    doc_rows, lengths, rows, keys, forms = [], [], [], [], []
    for part in runner.results(runner.map(count_chunk, words, occurrences, new_id=runner.share(new_id),
                                          n_terms=n_terms, n_surfaces=len(vocabularies.surfaces),
                                          window=window)):
        pairs.add(part.pair_keys, part.pair_weights)
        doc_rows.append(part.doc_terms)
        lengths.append(part.lengths)
        rows.append(part.display_rows)
        keys.append(part.display_keys)
        forms.append(part.display_counts)
    runner.release(occurrences)
    runner.release(words)
    pair_keys, pair_weights = pairs.result()
    return CorpusCounts(
        terms=[phrases.terms[t] for t in vocabulary],
        lemma_tuples=[phrases.lemma_tuples[t] for t in vocabulary],
        counts=totals[vocabulary].astype(np.int64),
        cooccurrence=symmetric_matrix(pair_keys, pair_weights, n_terms, weight_scale(window)),
        doc_terms=sp.vstack(doc_rows, format="csr") if doc_rows else sp.csr_matrix((0, n_terms)),
        doc_lengths=np.concatenate(lengths).astype(np.int64),
        total_words=total_words,
        surfaces=vocabularies.surfaces,
        display_rows=np.concatenate(rows), display_keys=np.concatenate(keys),
        display_counts=np.concatenate(forms),
    )


