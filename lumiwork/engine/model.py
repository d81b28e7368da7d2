"""A built project: term and document vectors plus what queries need, and the
build pipeline tokenize -> terms -> counts -> association -> vectors -> documents
-> statistics. No HTTP here."""
from __future__ import annotations

import functools
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from ..wire.names import ALL_SUBSET
from . import counting as counting_lib
from . import space
from . import terms as termlib
from .background import Background
from .blend import Blend, blend, term_background
from .calibration import NOISE_FLOOR, noise_floor
from .text import LANGUAGE, Token, check_language, lemma_spans, lemmatize, stopwords, tokenize, untag

# Stage names, in build order; benchmarks and progress bars report these.
STAGES = ("tokenize", "terms", "association", "vectors", "documents", "statistics")
# Model.memo's mark for a key it holds no answer for (an answer may be None).
_MISSING = object()


@dataclass
class Model:
    """Everything a query needs about one recalculated project."""

    terms: list[str]
    texts: list[str]
    counts: np.ndarray            # occurrences of each term
    doc_counts: np.ndarray        # documents containing each term
    scores: np.ndarray            # relevance
    general: np.ndarray           # frequency of each term in general English
    idf: np.ndarray
    term_vectors: np.ndarray      # (terms, 150) float32, unit rows
    doc_ids: list[str]
    doc_vectors: np.ndarray       # (docs, 150) float32, unit rows (zero if no terms)
    doc_lengths: np.ndarray       # words in each document
    subset_names: list[str]
    subset_counts: np.ndarray
    subset_means: np.ndarray      # (subsets, 150) plain means of document vectors
    membership: sp.csr_matrix     # (docs, subsets) bool
    doc_terms: sp.csr_matrix      # (docs, terms) bool: which terms each document has
    built_at: float = 0.0
    timings: dict = field(default_factory=dict)
    blend: Blend | None = None        # how unseen words are blended (None: no background)
    from_background: np.ndarray | None = None  # (terms,) bool: vector drew on the background
    background_key: str = ""          # which background space the model was built with
    background: Background | None = field(default=None, repr=False)  # attached, not saved
    language: str = LANGUAGE
    # The corpus' words (at most REMEMBERED_WORDS, in first-use order) and their
    # lemmas, for the server to prime its lemma cache (see text.remember_lemmas).
    word_forms: list[str] = field(default_factory=list, repr=False)
    word_lemmas: list[str] = field(default_factory=list, repr=False)
    # The correlation unrelated terms reach only one time in a hundred in this
    # model's space (see `above_noise` and calibration.py), and the same in the
    # background space over the project's terms (0.0 without a background).
    noise_floor: float = NOISE_FLOOR
    background_noise_floor: float = 0.0
    # (docs,) float32 sentiment compound of each document (classify/doc_sentiment.py),
    # set by project builds; None for a model built before it existed.
    doc_sentiment: np.ndarray | None = None

    def __post_init__(self) -> None:
        self.term_index = {term: i for i, term in enumerate(self.terms)}
        self.subset_index = {name: i for i, name in enumerate(self.subset_names)}
        # Lookups for text_terms: single words by lemma (never a stopword),
        # phrases by their lemmas (tried only from a lemma that starts one).
        self.words: dict[str, int] = {}
        self.phrases: dict[tuple, int] = {}
        stop = stopwords(self.language)
        for i, term in enumerate(self.terms):
            lemmas = tuple(untag(term))
            if len(lemmas) > 1:
                self.phrases[lemmas] = i
            elif lemmas[0] not in stop:
                self.words[lemmas[0]] = i
        self.phrase_starts = {lemmas[0] for lemmas in self.phrases}
        self.top_order = np.argsort(-self.scores, kind="stable")
        self._memo: OrderedDict = OrderedDict()
        self._kept: dict = {}
        self._memo_lock = threading.Lock()  # guards _memo, _kept and _key_locks only
        self._key_locks: dict = {}  # key -> the lock of the thread computing it

    # Made on first use, not in every build process that only saves the model;
    # the server makes them after a new model is recorded as current.
    @functools.cached_property
    def doc_index(self) -> dict[str, int]:
        return {doc_id: i for i, doc_id in enumerate(self.doc_ids)}

    @functools.cached_property
    def term_docs(self) -> sp.csc_matrix:
        """(docs, terms) doc_terms by columns: the documents of each term."""
        return self.doc_terms.tocsc()

    def make_lookups(self) -> None:
        """Make now the lookups otherwise made on first use."""
        _ = self.doc_index, self.term_docs

    @property
    def dimensions(self) -> int:
        return self.term_vectors.shape[1]

    def above_noise(self, correlation: float) -> bool:
        """Whether a correlation in this model's space (term-term, query-term)
        is above the noise floor: `noise_floor`, the 99th percentile of the
        correlations of 20,000 random pairs of distinct single-word terms of
        this model, each drawn with probability proportional to its count
        (fixed seed), measured when the model was built (calibration.py has
        the definition and the reasons). On the Siddhartha demo it is
        0.36 with GloVe + WordNet, 0.33 with GloVe alone and 0.28
        without a background. Compass classifiers can use it as the least
        correlation that means a match."""
        return bool(correlation > self.noise_floor)

    def memo(self, key, compute, capacity: int = 64, keep: bool = False):
        """`compute()` once per key for this model (a model never changes once
        built), keeping the `capacity` most recently used answers, and for good
        those asked with `keep`.

        Two threads never compute the same answer twice: the second waits for
        the first. Answers to other keys do not wait: a term search right after
        a recalculation goes ahead while another thread makes the document
        search index, which takes far longer at 1M documents."""
        with self._memo_lock:
            found = self._remembered(key)
            if found is not _MISSING:
                return found
            key_lock = self._key_locks.setdefault(key, threading.RLock())
        with key_lock:
            with self._memo_lock:
                found = self._remembered(key)
            if found is not _MISSING:  # computed meanwhile by the thread this one waited for
                return found
            value = compute()
            with self._memo_lock:
                if keep:
                    self._kept[key] = value
                else:
                    self._memo[key] = value
                    while len(self._memo) > capacity:
                        self._memo.popitem(last=False)
                self._key_locks.pop(key, None)
            return value

    def _remembered(self, key):
        """The memo's answer for `key`, or _MISSING (under _memo_lock)."""
        if key in self._kept:
            return self._kept[key]
        if key in self._memo:
            self._memo.move_to_end(key)
            return self._memo[key]
        return _MISSING

    # ---- text -> terms -> vectors -------------------------------------------------
    def text_terms(self, text: str) -> list[tuple[int, int, int]]:
        """(term index, start, end) of every known term in a text, in order."""
        return self.lemma_terms(*lemma_spans(text, self.language))

    def token_terms(self, tokens: Sequence[Token]) -> list[tuple[int, int, int]]:
        return self.lemma_terms([token.lemma for token in tokens], [token.start for token in tokens],
                                [token.end for token in tokens])

    def lemma_terms(self, lemmas: list[str], starts: list[int], ends: list[int]) -> list[tuple[int, int, int]]:
        """(term index, start, end) of the terms among words given by their
        lemmas and spans: each word's own term, then the phrases it starts."""
        found = []
        words, phrases, phrase_starts = self.words, self.phrases, self.phrase_starts
        for i, lemma in enumerate(lemmas):
            index = words.get(lemma)
            if index is not None:
                found.append((index, starts[i], ends[i]))
            if lemma in phrase_starts:
                for n in (2, 3):
                    if i + n <= len(lemmas):
                        index = phrases.get(tuple(lemmas[i:i + n]))
                        if index is not None:
                            found.append((index, starts[i], ends[i + n - 1]))
        return found

    def vector_for_terms(self, term_indices, unseen: np.ndarray | None = None) -> np.ndarray:
        """Unit idf-weighted mean of term vectors (zero vector for no terms),
        plus `unseen` (k, dimensions), vectors of words only the background
        knows, weighted as the rarest term."""
        vector = np.zeros(self.dimensions, dtype=np.float64)
        for index in term_indices:
            vector += self.idf[index] * self.term_vectors[index]
        if unseen is not None and len(unseen):
            vector += float(self.idf.max(initial=1.0)) * unseen.sum(axis=0)
        norm = np.linalg.norm(vector)
        return (vector / norm if norm else vector).astype(np.float32)

    def vector_for_text(self, text: str) -> np.ndarray:
        """Unit vector of a text: its project terms, plus the words the project
        has never seen but the background knows (weighted as the rarest terms)."""
        return self.read_text(text)[0]

    def read_text(self, text: str) -> tuple[np.ndarray, list[tuple[int, int, int]], list[tuple[str, int, int]]]:
        """A text's vector (`vector_for_text`), its terms (`text_terms`) and its
        words only the background knows (`background_words`), reading it once."""
        tokens = tokenize(text, self.language)
        spans = self.token_terms(tokens)
        unseen_words = self.token_background_words(tokens)
        unseen = self.unseen_vectors([lemma for lemma, _, _ in unseen_words])
        return self.vector_for_terms([index for index, _, _ in spans], unseen), spans, unseen_words

    # ---- words only the background knows --------------------------------------------
    def attach_background(self, background: Background | None) -> None:
        """Use `background` for words the project never saw, if it is the one the
        model was blended with (another one would not fit the model's mapping)."""
        usable = background is not None and self.blend is not None and background.key == self.background_key
        self.background = background if usable else None

    def background_words(self, text: str) -> list[tuple[str, int, int]]:
        """(lemma, start, end) of content words the project lacks but the attached
        background knows, in order."""
        if self.background is None:
            return []
        return self.token_background_words(tokenize(text, self.language))

    def token_background_words(self, tokens: Sequence[Token]) -> list[tuple[str, int, int]]:
        """`background_words` among a text's tokens."""
        if self.background is None:
            return []
        return [(token.lemma, token.start, token.end) for token in tokens
                if not token.is_stopword and f"{token.lemma}|{self.language}" not in self.term_index
                and token.lemma in self.background.index]

    def unseen_vectors(self, lemmas: list[str]) -> np.ndarray:
        """Blended vectors (len(lemmas), dimensions) of words known only to the background."""
        if not lemmas or self.background is None or self.blend is None:
            return np.zeros((0, self.dimensions), dtype=np.float32)
        rows = [self.background.index[lemma] for lemma in lemmas]
        return self.blend.vector_for_background(self.background.vectors[rows])

    # ---- persistence ---------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write atomically: a crash mid-write never leaves a half model in place."""
        path = Path(path)
        tmp = path.with_suffix(".tmp.npz")
        with open(tmp, "wb") as handle:
            np.savez(
                handle,
                terms=np.array(self.terms, dtype=str),
                texts=np.array(self.texts, dtype=str),
                counts=self.counts, doc_counts=self.doc_counts, scores=self.scores,
                general=self.general,
                idf=self.idf, term_vectors=self.term_vectors,
                doc_ids=np.array(self.doc_ids, dtype=str), doc_vectors=self.doc_vectors,
                doc_lengths=self.doc_lengths,
                subset_names=np.array(self.subset_names, dtype=str),
                subset_counts=self.subset_counts, subset_means=self.subset_means,
                membership_indptr=self.membership.indptr,
                membership_indices=self.membership.indices,
                doc_terms_indptr=self.doc_terms.indptr,
                doc_terms_indices=self.doc_terms.indices,
                built_at=np.array(self.built_at),
                blend_mapping=self.blend.mapping if self.blend else np.zeros((0, 0), np.float32),
                blend_share=np.array(self.blend.share if self.blend else 0.0),
                blend_center=self.blend.center if self.blend else np.zeros(0, np.float32),
                from_background=(self.from_background if self.from_background is not None
                                 else np.zeros(len(self.terms), dtype=bool)),
                background_key=np.array(self.background_key),
                language=np.array(self.language),
                # NUL-joined UTF-8, not a fixed-width str array: one long word would widen every entry
                word_forms=_joined(self.word_forms), word_lemmas=_joined(self.word_lemmas),
                timing_names=np.array(list(self.timings), dtype=str),
                timing_values=np.array(list(self.timings.values()), dtype=np.float64),
                noise_floor=np.array(self.noise_floor), background_noise_floor=np.array(self.background_noise_floor),
                doc_sentiment=(self.doc_sentiment if self.doc_sentiment is not None
                               else np.zeros(0, dtype=np.float32)),
            )
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Model:
        with np.load(path, allow_pickle=False) as data:
            n_docs = len(data["doc_ids"])
            n_subsets = len(data["subset_names"])
            indices = data["membership_indices"]
            membership = sp.csr_matrix(
                (np.ones(len(indices), dtype=bool), indices, data["membership_indptr"]),
                shape=(n_docs, n_subsets),
            )
            term_indices = data["doc_terms_indices"]
            doc_terms = sp.csr_matrix(
                (np.ones(len(term_indices), dtype=bool), term_indices, data["doc_terms_indptr"]),
                shape=(n_docs, len(data["terms"])),
            )
            return cls(
                terms=data["terms"].tolist(), texts=data["texts"].tolist(),
                counts=data["counts"], doc_counts=data["doc_counts"], scores=data["scores"],
                general=data["general"],
                idf=data["idf"], term_vectors=data["term_vectors"],
                doc_ids=data["doc_ids"].tolist(), doc_vectors=data["doc_vectors"],
                doc_lengths=data["doc_lengths"],
                subset_names=data["subset_names"].tolist(),
                subset_counts=data["subset_counts"], subset_means=data["subset_means"],
                membership=membership, doc_terms=doc_terms, built_at=float(data["built_at"]),
                timings=dict(zip(data["timing_names"].tolist(), data["timing_values"].tolist())),
                blend=(Blend(data["blend_mapping"], float(data["blend_share"]), data["blend_center"])
                       if "blend_mapping" in data and data["blend_mapping"].size else None),
                from_background=(data["from_background"] if "from_background" in data
                                 else np.zeros(len(data["terms"]), dtype=bool)),
                background_key=str(data["background_key"]) if "background_key" in data else "",
                language=str(data["language"]) if "language" in data else LANGUAGE,
                word_forms=_split(data["word_forms"]) if "word_forms" in data else [],
                word_lemmas=_split(data["word_lemmas"]) if "word_lemmas" in data else [],
                noise_floor=float(data["noise_floor"]) if "noise_floor" in data else NOISE_FLOOR,
                background_noise_floor=(float(data["background_noise_floor"])
                                        if "background_noise_floor" in data else 0.0),
                doc_sentiment=(data["doc_sentiment"] if "doc_sentiment" in data
                               and len(data["doc_sentiment"]) == n_docs else None),
            )


class BuildError(ValueError):
    """The documents cannot be made into a model (e.g. none has any words)."""


def build_model(documents: Sequence[dict], progress: Callable[[str], None] | None = None,
                dimensions: int = space.DIMENSIONS, background: Background | None = None,
                seed: int = space.SEED, language: str = LANGUAGE, counting: str | None = None,
                dask_client=None, dask_scheduler: str = "local") -> Model:
    """Build a model from documents with ``_id``, ``text`` and optional ``subsets``.

    With a `background` (general knowledge, see `background.py`), the project's
    space takes ``dimensions - background.dimensions`` axes and is blended with
    it (see `blend.py`); the model then also answers for words it never saw
    once the background is attached (`attach_background`). The decomposition is
    converged and term ids are alphabetical, so neither `seed` nor the order of
    the documents changes the result. `progress` is called with each stage name
    as it starts.

    `counting` picks where tokenize -> terms -> association run: "local" (this
    process, the default) or "dask" (a dask.distributed cluster: `dask_client`,
    else `dask_scheduler`, an address or "local" for a LocalCluster). A
    `dask_client` alone means "dask". Both give identical models.
    """
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def stage(name: str):
        nonlocal clock
        now = time.perf_counter()
        if name != STAGES[0]:
            timings[STAGES[STAGES.index(name) - 1]] = now - clock
        clock = now
        if progress:
            progress(name)

    if not documents:
        raise BuildError("the project has no documents to build from")
    stage("tokenize")
    check_language(language)
    if background is not None and background.language != language:  # another language's knowledge
        background = None
    # tokenize -> terms -> association, chunk by chunk (counting.py), in this
    # process or on a dask cluster (dask_counting.py); both give the same counts.
    runner = _counting_runner(counting, dask_client, dask_scheduler)
    try:
        counted = counting_lib.count_corpus([doc["text"] for doc in documents], language, runner,
                                            stage=stage)
    except counting_lib.EmptyCorpus as exc:
        raise BuildError(str(exc)) from exc
    n_terms = len(counted.terms)
    association = space.ppmi(counted.cooccurrence)

    stage("vectors")
    counts = counted.counts
    frequencies = termlib.general_frequencies(language)
    general = np.array([termlib.general_frequency(lemmas, frequencies) for lemmas in counted.lemma_tuples])
    blended: Blend | None = None
    from_background = np.zeros(n_terms, dtype=bool)
    backgrounds: tuple[np.ndarray, np.ndarray] | None = None
    if background is None:
        term_vectors = space.term_vectors(association, dimensions, seed=seed)
    else:
        project_vectors = space.term_vectors(association, dimensions - background.dimensions, seed=seed)
        backgrounds = term_background(background, counted.lemma_tuples, stopwords(language), frequencies)
        term_vectors, blended, from_background = blend(
            project_vectors, counts, counts / max(counted.total_words, 1), general,
            counted.lemma_tuples, background, stopwords(language), term_backgrounds=backgrounds)

    stage("documents")
    doc_term = counted.doc_terms
    doc_counts = np.diff(doc_term.tocsc().indptr).astype(np.int64)
    idf = (np.log((1 + counted.n_docs) / (1 + doc_counts)) + 1).astype(np.float32)
    weighted = doc_term.multiply(idf[np.newaxis, :]).tocsr()
    doc_vectors = document_vectors(weighted, term_vectors)

    stage("statistics")
    scores = termlib.relevance(counts.astype(np.float64), counted.total_words, general)
    texts = counted.display_texts()
    subset_names, membership = _subset_membership(documents)
    subset_counts = np.asarray(membership.sum(axis=0)).ravel().astype(np.int64)
    subset_means = (subset_sums(membership, doc_vectors) / np.maximum(subset_counts, 1)[:, None]).astype(np.float32)
    single = np.array([len(lemmas) == 1 for lemmas in counted.lemma_tuples])
    floor = noise_floor(term_vectors, np.flatnonzero(single), counts[single])
    background_floor = (noise_floor(backgrounds[0], np.flatnonzero(single & backgrounds[1]))
                        if backgrounds is not None else 0.0)
    timings["statistics"] = time.perf_counter() - clock

    return Model(
        terms=counted.terms, texts=texts,
        counts=counts, doc_counts=doc_counts, scores=scores, general=general, idf=idf,
        term_vectors=term_vectors,
        doc_ids=[str(doc["_id"]) for doc in documents], doc_vectors=doc_vectors,
        doc_lengths=counted.doc_lengths,
        subset_names=subset_names, subset_counts=subset_counts, subset_means=subset_means,
        membership=membership, doc_terms=doc_term.astype(bool), built_at=time.time(),
        timings=timings, blend=blended, from_background=from_background,
        background_key=background.key if background is not None else "",
        background=background, language=language,
        word_forms=counted.surfaces[:REMEMBERED_WORDS],
        # In process these are the lemma cache's own answers from tokenizing.
        word_lemmas=[lemmatize(word, language) for word in counted.surfaces[:REMEMBERED_WORDS]],
        noise_floor=floor, background_noise_floor=background_floor,
    )


# Words whose lemmas a model keeps for the server (see Model.word_forms): the
# 100,000 documents of Siddhartha sentences use 3,865 words; a million varied
# documents may use millions, and the lemma cache holds at most a million.
REMEMBERED_WORDS = 500_000


def _joined(words: list[str]) -> np.ndarray:
    return np.frombuffer("\0".join(words).encode("utf-8"), dtype=np.uint8)


def _split(data: np.ndarray) -> list[str]:
    return data.tobytes().decode("utf-8").split("\0") if data.size else []


# Documents per block of the documents stage: sums of 100,000 x 150 are 60 MB,
# where the whole matrix at 1M documents would be 600 MB more (twice).
DOCUMENT_BLOCK = 100_000


def document_vectors(weighted: sp.csr_matrix, term_vectors: np.ndarray) -> np.ndarray:
    """Unit rows (docs, dims) float32 of ``weighted`` (docs, terms) @ term_vectors,
    a block of documents at a time (zero rows stay zero). Summed in float32: a
    sentence sums ~20 unit vectors, so rounding stays near 1e-7, and float64
    sums were most of the stage's time at 1M documents."""
    vectors = np.empty((weighted.shape[0], term_vectors.shape[1]), dtype=np.float32)
    weighted = weighted.astype(np.float32)
    for start in range(0, weighted.shape[0], DOCUMENT_BLOCK):
        block = np.asarray(weighted[start:start + DOCUMENT_BLOCK] @ term_vectors)
        vectors[start:start + len(block)] = space.normalize_rows(block)
    return vectors


COUNTING_CHOICES = ("local", "dask")


def counting_choice(counting: str | None = None, dask_client=None) -> str:
    """Where the counting stage runs: `counting`, else "dask" when a client is
    given, else "local". ValueError names a value that is neither, or dask
    asked for without it installed."""
    choice = (counting or ("dask" if dask_client is not None else None) or "local").strip().lower()
    if choice in ("process", "in-process"):
        choice = "local"
    if choice not in COUNTING_CHOICES:
        raise ValueError(f"counting {choice!r} is not one of 'local', 'dask'")
    if choice == "dask":
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ValueError("counting on dask needs it installed: pip install 'lumiwork[dask]'") from None
    return choice


def subset_sums(membership: sp.csr_matrix, doc_vectors: np.ndarray) -> np.ndarray:
    """(subsets, dims) float64 sums of the document vectors (docs, dims) of each
    subset (membership: docs x subsets), a block of documents at a time: at 1M
    documents one product over the whole matrix is many times slower."""
    sums = np.zeros((membership.shape[1], doc_vectors.shape[1]))
    for start in range(0, doc_vectors.shape[0], DOCUMENT_BLOCK):
        block = slice(start, start + DOCUMENT_BLOCK)
        sums += membership[block].T.astype(np.float64) @ doc_vectors[block].astype(np.float64)
    return sums


def _counting_runner(counting: str | None, dask_client, dask_scheduler: str) -> counting_lib.Runner:
    """The runner for the counting stage: in process unless dask is asked for
    (dask is imported only then)."""
    if counting_choice(counting, dask_client) == "local":
        return counting_lib.LocalRunner()
    from .dask_counting import DaskRunner, shared_client
    return DaskRunner(dask_client or shared_client(dask_scheduler))




def _subset_membership(documents: Sequence[dict]):
    """Subset names (``__all__`` first, then sorted) and a docs x subsets bool matrix."""
    per_doc = [doc.get("subsets") or () for doc in documents]
    names = sorted({s for subsets in per_doc for s in subsets if s != ALL_SUBSET})
    names.insert(0, ALL_SUBSET)
    index = {name: i for i, name in enumerate(names)}
    n_docs = len(documents)
    # Every document is in __all__; flat arrays rather than a loop per membership.
    columns = np.fromiter((index[name] for subsets in per_doc for name in subsets), dtype=np.int64)
    rows = np.repeat(np.arange(n_docs), [len(subsets) for subsets in per_doc])
    membership = sp.csr_matrix(
        (np.ones(n_docs + len(rows), dtype=bool),
         (np.concatenate([np.arange(n_docs), rows]), np.concatenate([np.zeros(n_docs, np.int64), columns]))),
        shape=(n_docs, len(names)),
    )
    membership.sum_duplicates()  # a subset named twice (or __all__ named) is one membership
    return names, membership
