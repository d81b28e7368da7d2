"""What a query's answer rests on, so that an answer can say how sure it is.

Every word of a query is one of:

- ``term``: the project has it (its own evidence, maybe blended with general knowledge);
- ``background``: the project never saw it, general knowledge knows it;
- ``stopword``: a function word ("the", "of"), which carries no meaning and is never searched;
- ``unknown``: neither the project nor general knowledge knows it (a typo, a rare name).

A query resting on background words only is answered through general
knowledge, and how much that says about the project is measured by its
*support*: the highest correlation, in the background space, between a query
word and any of the project's terms. Below the background's noise floor
(`Model.background_noise_floor`, calibration.py) nothing in the project is
clearly related to the query, and the scores of its answers are noise:
"smartphone" against Siddhartha has support 0.44 (nearest: memory) below a
floor of 0.60, where "bicycle" has 0.83 (cart) and "thoughtful" 0.79 (polite).
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .blend import term_background
from .model import Model
from .text import known_words, stopwords, tokenize, untag

TERM, BACKGROUND, STOPWORD, UNKNOWN = "term", "background", "stopword", "unknown"


@dataclass(frozen=True)
class Word:
    """One word of a query: its text, lemma, character span and kind (TERM,
    BACKGROUND, STOPWORD or UNKNOWN)."""

    text: str
    lemma: str
    start: int
    end: int
    kind: str


@dataclass
class Evidence:
    """What a query's answer rests on.

    basis: "terms" (at least one project term), "background" (background words
    only), "stopwords" (stopwords only), "unknown" (words nobody knows, maybe
    with stopwords) or "empty" (no words). support: for "background", the
    highest background correlation of a query word with a project term, and
    `nearest` that term's text; None otherwise. supported: whether the answer
    rests on evidence above noise (always True for "terms"). message: one
    sentence for the analyst ("" for a query the project knows).
    """

    basis: str
    words: list[Word] = field(default_factory=list)
    support: float | None = None
    nearest: str | None = None
    noise_floor: float = 0.0
    supported: bool = False
    message: str = ""

    @property
    def background_only(self) -> bool:
        """True when the query rests on general knowledge only."""
        return self.basis == "background"

    def of_kind(self, kind: str) -> list[str]:
        return [word.text for word in self.words if word.kind == kind]


def word_kinds(model: Model, text: str) -> list[Word]:
    """Each word of `text` with its kind (see the module's docstring).

    A word counts as a project term when the project has it as a single-word
    term or it starts or ends one of the project's phrases found in the text.
    """
    tokens = tokenize(text, model.language)
    in_terms: set[int] = set()
    for _, start, end in model.token_terms(tokens):
        in_terms.update(i for i, token in enumerate(tokens) if token.start >= start and token.end <= end)
    stop = stopwords(model.language)
    background = model.background
    words = []
    for i, token in enumerate(tokens):
        if i in in_terms and not token.is_stopword:
            kind = TERM
        elif token.is_stopword or token.lemma in stop:
            kind = STOPWORD
        elif background is not None and token.lemma in background.index:
            kind = BACKGROUND
        else:
            kind = UNKNOWN
        words.append(Word(token.surface, token.lemma, token.start, token.end, kind))
    return words


def term_backgrounds(model: Model) -> tuple[np.ndarray, np.ndarray]:
    """(terms, background dims) background vectors of the model's terms and
    (terms,) whether each has one, from the attached background (made once
    per model)."""
    background = model.background
    if background is None:
        return np.zeros((len(model.terms), 0), np.float32), np.zeros(len(model.terms), dtype=bool)

    def compute():
        vectors, known = term_background(background, [tuple(untag(term)) for term in model.terms],
                                         stopwords(model.language), known_words(model.language))
        return vectors.astype(np.float32), known

    return model.memo(("term backgrounds", background.key), compute, keep=True)


def background_support(model: Model, lemmas: list[str]) -> tuple[float, str | None]:
    """The highest background correlation between any of `lemmas` (words the
    background knows) and any project term, and that term's display text."""
    background = model.background
    rows = [background.index[lemma] for lemma in lemmas if background is not None and lemma in background.index]
    if not rows or background is None:
        return 0.0, None
    vectors, known = term_backgrounds(model)
    candidates = np.flatnonzero(known)
    if not len(candidates):
        return 0.0, None
    scores = vectors[candidates] @ background.vectors[rows].T
    best = np.unravel_index(int(np.argmax(scores)), scores.shape)
    return float(scores[best]), model.texts[int(candidates[best[0]])]


def query_evidence(model: Model, text: str) -> Evidence:
    """What the answer to `text` rests on, with a message for the analyst.

    Examples on the Siddhartha demo: "river" -> basis "terms"; "the" ->
    "stopwords" ("'the' is a stopword ..."); "bicycle" -> "background",
    supported (nearest project term in general knowledge: cart, 0.83);
    "smartphone" -> "background", not supported (0.44, below the noise floor
    0.60); "xqzt" -> "unknown".
    """
    words = word_kinds(model, text)
    kinds = {word.kind for word in words}
    def quoted(kind: str) -> str:
        return ", ".join(f"'{w.text}'" for w in words if w.kind == kind)

    def is_are(kind: str) -> str:
        return "is" if sum(w.kind == kind for w in words) == 1 else "are"

    if not words:
        return Evidence("empty", words, message="the text has no words")
    if TERM in kinds:
        evidence = Evidence("terms", words, noise_floor=model.noise_floor, supported=True)
        if UNKNOWN in kinds:
            evidence.message = f"not known to the project or to general knowledge, so left out: {quoted(UNKNOWN)}"
        return evidence
    if BACKGROUND in kinds:
        lemmas = [w.lemma for w in words if w.kind == BACKGROUND]
        support, nearest = background_support(model, lemmas)
        floor = model.background_noise_floor
        supported = support > floor
        if supported:
            message = (f"{quoted(BACKGROUND)} {is_are(BACKGROUND)} not in this project: the answer comes from "
                       f"general knowledge only (nearest project term there: {nearest}, {support:.2f})")
        else:
            message = (f"{quoted(BACKGROUND)} {is_are(BACKGROUND)} not in this project, and general knowledge "
                       f"relates nothing in it clearly (nearest: {nearest}, {support:.2f}, below the noise floor "
                       f"{floor:.2f}): the scores are noise")
        return Evidence("background", words, support, nearest, floor, supported, message)
    if kinds == {STOPWORD}:
        verb = "is a stopword" if len(words) == 1 else "are stopwords"
        return Evidence("stopwords", words, message=f"{quoted(STOPWORD)} {verb}: words like these carry "
                                                    f"no meaning of their own and are not searched for")
    if model.background is None:
        return Evidence("unknown", words, message=f"{quoted(UNKNOWN)} {is_are(UNKNOWN)} not in this project, "
                                                  f"and no general knowledge is in use for its language")
    return Evidence("unknown", words, message=f"{quoted(UNKNOWN)} {is_are(UNKNOWN)} not known to the project "
                                              f"or to general knowledge: check the spelling")
