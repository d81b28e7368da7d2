"""A built project: term and document vectors plus what queries need, and the
build pipeline tokenize -> terms -> counts -> association -> vectors -> documents
-> statistics. No HTTP here."""
from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from . import space
from . import terms as termlib
from .text import Token, tokenize, untag

# Stage names, in build order; benchmarks and progress bars report these.
STAGES = ("tokenize", "terms", "association", "vectors", "documents", "statistics")


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

    def __post_init__(self):
        self.term_index = {term: i for i, term in enumerate(self.terms)}
        self.doc_index = {doc_id: i for i, doc_id in enumerate(self.doc_ids)}
        self.subset_index = {name: i for i, name in enumerate(self.subset_names)}
        self.phrases: dict[tuple, int] = {}
        for i, term in enumerate(self.terms):
            lemmas = tuple(untag(term))
            if len(lemmas) > 1:
                self.phrases[lemmas] = i
        self.top_order = np.argsort(-self.scores, kind="stable")
        self.term_docs = self.doc_terms.tocsc()

    @property
    def dimensions(self) -> int:
        return self.term_vectors.shape[1]

    # ---- text -> terms -> vectors -------------------------------------------------
    def text_terms(self, text: str) -> list[tuple[int, int, int]]:
        """(term index, start, end) of every known term in a text, in order."""
        return self.token_terms(tokenize(text))

    def token_terms(self, tokens: Sequence[Token]) -> list[tuple[int, int, int]]:
        found = []
        for i, token in enumerate(tokens):
            if not token.is_stopword:
                index = self.term_index.get(f"{token.lemma}|en")
                if index is not None:
                    found.append((index, token.start, token.end))
            for n in (2, 3):
                if i + n <= len(tokens):
                    index = self.phrases.get(tuple(t.lemma for t in tokens[i:i + n]))
                    if index is not None:
                        found.append((index, token.start, tokens[i + n - 1].end))
        return found

    def vector_for_terms(self, term_indices) -> np.ndarray:
        """Unit idf-weighted mean of term vectors (zero vector for no terms)."""
        vector = np.zeros(self.dimensions, dtype=np.float64)
        for index in term_indices:
            vector += self.idf[index] * self.term_vectors[index]
        norm = np.linalg.norm(vector)
        return (vector / norm if norm else vector).astype(np.float32)

    def vector_for_text(self, text: str) -> np.ndarray:
        return self.vector_for_terms(index for index, _, _ in self.text_terms(text))

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
                timing_names=np.array(list(self.timings), dtype=str),
                timing_values=np.array(list(self.timings.values()), dtype=np.float64),
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
            )


class BuildError(ValueError):
    """The documents cannot be made into a model (e.g. none has any words)."""


def build_model(documents: Sequence[dict], progress: Callable[[str], None] | None = None,
                dimensions: int = space.DIMENSIONS) -> Model:
    """Build a model from documents with ``_id``, ``text`` and optional ``subsets``.

    `progress` is called with each stage name as it starts.
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
    corpus = termlib.tokenize_corpus(doc["text"] for doc in documents)
    if not len(corpus.lemma_ids):
        raise BuildError("no document contains any words")

    stage("terms")
    occurrences = termlib.find_occurrences(corpus)
    min_count = 2 if corpus.n_docs >= 50 else 1
    term_totals = np.bincount(occurrences.term_ids, minlength=len(occurrences.terms))
    vocabulary = np.flatnonzero(term_totals >= min_count)
    if not len(vocabulary):
        raise BuildError("no term occurs often enough to build from")
    new_id = np.full(len(occurrences.terms), -1, np.int64)
    new_id[vocabulary] = np.arange(len(vocabulary))
    keep = new_id[occurrences.term_ids] >= 0
    occ_terms = new_id[occurrences.term_ids[keep]]
    occ_docs = occurrences.doc_index[keep]
    occ_pos = occurrences.position[keep]
    n_terms = len(vocabulary)

    stage("association")
    association = space.ppmi(space.cooccurrence(occ_terms, occ_docs, occ_pos, n_terms))

    stage("vectors")
    term_vectors = space.term_vectors(association, dimensions)

    stage("documents")
    doc_term = sp.csr_matrix(
        (np.ones(len(occ_terms), dtype=np.float64), (occ_docs, occ_terms)),
        shape=(corpus.n_docs, n_terms),
    )
    doc_term.sum_duplicates()
    counts = np.asarray(doc_term.sum(axis=0)).ravel().astype(np.int64)
    doc_counts = np.diff(doc_term.tocsc().indptr).astype(np.int64)
    idf = (np.log((1 + corpus.n_docs) / (1 + doc_counts)) + 1).astype(np.float32)
    weighted = doc_term.multiply(idf[np.newaxis, :]).tocsr()
    doc_vectors = space.normalize_rows(np.asarray(weighted @ term_vectors.astype(np.float64)))
    doc_vectors = doc_vectors.astype(np.float32)

    stage("statistics")
    frequencies = termlib.english_frequencies()
    general = np.array([termlib.general_frequency(occurrences.lemma_tuples[t], frequencies)
                        for t in vocabulary])
    scores = termlib.relevance(counts.astype(np.float64), len(corpus.lemma_ids), general)
    texts = termlib.display_texts(corpus, occurrences, vocabulary)
    subset_names, membership = _subset_membership(documents)
    subset_counts = np.asarray(membership.sum(axis=0)).ravel().astype(np.int64)
    sums = membership.T.astype(np.float64) @ doc_vectors.astype(np.float64)
    subset_means = (sums / np.maximum(subset_counts, 1)[:, None]).astype(np.float32)
    timings["statistics"] = time.perf_counter() - clock

    return Model(
        terms=[occurrences.terms[t] for t in vocabulary], texts=texts,
        counts=counts, doc_counts=doc_counts, scores=scores, general=general, idf=idf,
        term_vectors=term_vectors,
        doc_ids=[str(doc["_id"]) for doc in documents], doc_vectors=doc_vectors,
        doc_lengths=np.bincount(corpus.doc_index, minlength=corpus.n_docs).astype(np.int64),
        subset_names=subset_names, subset_counts=subset_counts, subset_means=subset_means,
        membership=membership, doc_terms=doc_term.astype(bool), built_at=time.time(),
        timings=timings,
    )


ALL_SUBSET = "__all__"


def _subset_membership(documents: Sequence[dict]):
    """Subset names (``__all__`` first, then sorted) and a docs x subsets matrix."""
    names = sorted({s for doc in documents for s in doc.get("subsets") or () if s != ALL_SUBSET})
    names.insert(0, ALL_SUBSET)
    index = {name: i for i, name in enumerate(names)}
    rows, cols = [], []
    for row, doc in enumerate(documents):
        for name in {ALL_SUBSET, *(doc.get("subsets") or ())}:
            rows.append(row)
            cols.append(index[name])
    membership = sp.csr_matrix(
        (np.ones(len(rows), dtype=bool), (rows, cols)), shape=(len(documents), len(names))
    )
    membership.sort_indices()
    return names, membership

