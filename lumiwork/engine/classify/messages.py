"""Messages prepared once for every classifier: tokens, project terms, the vectors of
words only the background knows, and each message's unit vector.

Tokenizing is the one step every classifier needs; doing it once per batch (not once
per classifier) is what keeps three active classifiers within the server's budget.
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..model import Model
from ..text import Token, tokenize


@dataclass
class Messages:
    """A batch of n messages prepared against one model.

    texts:        n strings
    tokens:       n token lists (surface, lemma, offsets, stopword flag)
    term_indices: n int arrays of project term indices (phrases included), in text order
    unseen:       n float32 arrays (k_i, dimensions): vectors of words only the background knows
    unseen_background: n float32 arrays (k_i, background dimensions): the same words' unit
                  vectors in the background space itself (k_i = 0 without a background)
    vectors:      (n, dimensions) float32 unit rows, equal to model.vector_for_text(text)
    """

    texts: list[str]
    tokens: list[list[Token]]
    term_indices: list[np.ndarray]
    unseen: list[np.ndarray]
    unseen_background: list[np.ndarray]
    vectors: np.ndarray

    def __len__(self) -> int:
        return len(self.texts)

    def concept_rows(self, model: Model, i: int) -> np.ndarray:
        """(k, dimensions) unit vectors of message i's concepts: its project terms, the
        background-only words, and the message vector itself (so a concept spread over
        several words can still match)."""
        rows = [model.term_vectors[self.term_indices[i]], _unit_rows(self.unseen[i]), self.vectors[i:i + 1]]
        return np.vstack(rows)


def prepare(model: Model, texts: Sequence[str] | Messages) -> Messages:
    """Tokenize and vectorize `texts` once; an already prepared batch is returned as is."""
    if isinstance(texts, Messages):
        return texts
    texts = [str(text) for text in texts]
    tokens = [tokenize(text, model.language) for text in texts]
    term_indices = [np.array([index for index, _, _ in model.token_terms(found)], dtype=np.int64)
                    for found in tokens]
    unseen_lemmas = [[lemma for lemma, _, _ in model.token_background_words(found)] for found in tokens]
    unseen = [model.unseen_vectors(lemmas) for lemmas in unseen_lemmas]
    unseen_background = [_background_rows(model, lemmas) for lemmas in unseen_lemmas]
    vectors = np.zeros((len(texts), model.dimensions), dtype=np.float32)
    for i in range(len(texts)):
        vectors[i] = model.vector_for_terms(term_indices[i], unseen[i])
    return Messages(texts, tokens, term_indices, unseen, unseen_background, vectors)


def _background_rows(model: Model, lemmas: list[str]) -> np.ndarray:
    """(len(lemmas), background dimensions) unit background vectors of words the
    background knows (every word `token_background_words` returns)."""
    background = model.background
    if background is None or not lemmas:
        return np.zeros((0, background.dimensions if background is not None else 0), dtype=np.float32)
    return _unit_rows(background.vectors[[background.index[lemma] for lemma in lemmas]])


def _unit_rows(rows: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(rows, axis=1, keepdims=True)
    return (rows / np.where(norms == 0, 1, norms)).astype(np.float32)
