"""Measuring a model's related terms against gold lists: hits in the top k and
mean reciprocal rank. Counts on lemmas, so "ate" matches "eat"."""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from .model import Model
from .query import related_terms
from .text import lemmatize


def neighbour_lemmas(model: Model, query: str, depth: int, drop_repeats: bool = True) -> list[str]:
    """Lemma strings of the `depth` terms nearest a query text, the query's own
    terms and the phrases containing them left out (`related_terms`'
    without_phrases_of; a multi-word term is its words joined by spaces)."""
    spans = model.text_terms(query)
    own = {index for index, _, _ in spans}
    vector = model.vector_for_terms(own)
    if not np.any(vector):
        return []
    found = related_terms(model, vector, depth + len(own), without_phrases_of=own if drop_repeats else ())
    return [" ".join(p.split("|")[0] for p in model.terms[i].split(" "))
            for i, _ in found if i not in own][:depth]


def hits_at(model: Model, query: str, gold: set[str], k: int, drop_repeats: bool = True) -> int:
    """How many gold lemmas are among the k nearest terms (`drop_repeats`:
    phrases containing the query left out, see `neighbour_lemmas`)."""
    gold_lemmas = {" ".join(lemmatize(w) for w in g.split()) for g in gold}
    return len(gold_lemmas & set(neighbour_lemmas(model, query, k, drop_repeats)))


def reciprocal_rank(model: Model, query: str, gold: set[str], depth: int = 100, drop_repeats: bool = True) -> float:
    """1 / rank of the first gold lemma among the nearest terms (0 if none in `depth`)."""
    gold_lemmas = {lemmatize(g) for g in gold}
    for rank, lemma in enumerate(neighbour_lemmas(model, query, depth, drop_repeats), start=1):
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


def mean_reciprocal_rank(model: Model, pairs: list[tuple[str, set[str]]], depth: int = 100,
                         drop_repeats: bool = True) -> float:
    return float(np.mean([reciprocal_rank(model, q, gold, depth, drop_repeats) for q, gold in pairs]))


# ---- splittings of the demo text -----------------------------------------------------
# A quality figure that moves when the same book is cut into sentences differently
# is a property of the cut, not of the method. These give the Siddhartha text in
# three cuts, each a list of documents with their chapter subsets as
# `lumiwork.datasets.siddhartha` gives them, so that quality is measured on all three.

def siddhartha_paragraphs(path) -> list[tuple[str, str]]:
    """(chapter subset name, paragraph text) of the story, in order: the same
    chapters and paragraphs `lumiwork.datasets.siddhartha` reads."""
    from ..datasets import CHAPTERS, siddhartha_path

    raw = siddhartha_path(path).read_text(encoding="utf-8-sig", errors="replace")
    lines = raw.replace("\r\n", "\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("*** START OF")), -1)
    end = next((i for i, line in enumerate(lines) if line.startswith("*** END OF")), len(lines))
    paragraphs: list[tuple[str, str]] = []
    chapter: str | None = None
    current: list[str] = []

    def flush() -> None:
        if chapter and current:
            paragraphs.append((chapter, re.sub(r"\s+", " ", " ".join(current)).strip()))
        current.clear()

    for line in lines[start + 1:end]:
        stripped = line.strip()
        if stripped in CHAPTERS:
            flush()
            chapter = f"Chapter {CHAPTERS.index(stripped) + 1}: {stripped}"
        elif stripped in ("FIRST PART", "SECOND PART") or stripped.startswith("End of the Project Gutenberg"):
            flush()
            chapter = None
        elif not stripped:
            flush()
        else:
            current.append(stripped)
    flush()
    return paragraphs


def quote_joined_sentences(paragraph: str) -> list[str]:
    """Sentences that never end at a closing quotation mark: a quotation stays
    with the narration around it ('"Yes." He went.' is one sentence), and a
    sentence ends only at . ! ? outside quotes before a word in upper case."""
    sentences, start, inside = [], 0, False
    for i, char in enumerate(paragraph):
        if char == '"':
            inside = not inside
            continue
        rest = paragraph[i + 1:]
        if not inside and char in ".!?" and (not rest or (rest[0].isspace() and rest.lstrip()[:1].isupper())):
            sentences.append(paragraph[start:i + 1].strip())
            start = i + 1
    tail = paragraph[start:].strip()
    return [s for s in [*sentences, tail] if s]


PLAIN_SENTENCE_END = re.compile(r"(?<=[.!?][\"'])\s+|(?<=[.!?])\s+")


def plain_sentences(paragraph: str) -> list[str]:
    """Sentences cut at every . ! ? followed by a space (quotes or not), as a
    plain sentence splitter does: '"Do you hear?" he asked.' is two."""
    return [s.strip() for s in PLAIN_SENTENCE_END.split(paragraph) if s.strip()]


SPLITTINGS = ("suite", "quote-joined", "plain")


def siddhartha_split(path, splitting: str = "suite") -> list[dict]:
    """The Siddhartha documents (``_id``, ``text``, ``subsets``) in one of
    SPLITTINGS: "suite" is `lumiwork.datasets.siddhartha` (quotations kept
    whole, 1,289 documents), "quote-joined" `quote_joined_sentences`, "plain"
    `plain_sentences`."""
    if splitting == "suite":
        from ..datasets import siddhartha

        docs = siddhartha(path)
    else:
        cut = {"quote-joined": quote_joined_sentences, "plain": plain_sentences}[splitting]
        docs = [{"text": sentence, "subsets": [chapter]}
                for chapter, paragraph in siddhartha_paragraphs(path) for sentence in cut(paragraph)]
    return [{"_id": f"{splitting}-{i}", "text": doc["text"], "subsets": list(doc["subsets"])}
            for i, doc in enumerate(docs)]
