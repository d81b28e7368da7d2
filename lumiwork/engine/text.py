"""Tokenizing and lemmatizing text into tagged term parts (``river|en``)."""
from __future__ import annotations

import functools
import re
from dataclasses import dataclass

import simplemma
import wordfreq

LANGUAGE = "en"

# Function words carry no topic; they are dropped as single terms and may not
# begin or end a multi-word term (but may sit inside one: "reached the large").
STOPWORDS = frozenset("""
a about above after again against all also am an and any are as at be because been
before being below between both but by can could did do does doing down during each
either else ever every few for from further had has have having he her here hers
herself him himself his how however i if in into is it its itself just let like
may me might mine more most much must my myself neither no nor not now of off on
once only or other ought our ours ourselves out over own per quite rather same shall
she should since so some such than that the their theirs them themselves then there
these they this those though through thus till to too toward towards under until up
upon us very was we were what when whence where whether which while who whom whose
why will with within without would yet you your yours yourself yourselves
s t d ll m re ve o y
""".split())

WORD_PATTERN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)

_lemma_cache: dict[str, str] = {}


@dataclass(frozen=True, slots=True)
class Token:
    """One word of a text: its surface form, lemma and character span."""

    surface: str
    lemma: str
    start: int
    end: int

    @property
    def is_stopword(self) -> bool:
        return self.lemma in STOPWORDS


def lemmatize(word: str) -> str:
    """Lowercase lemma of one word, cached because corpora repeat words a lot.

    simplemma guesses lemmas of words it does not know ("thinking" -> "thinke");
    a guess that is no English word is dropped in favour of the word itself.
    """
    lemma = _lemma_cache.get(word)
    if lemma is None:
        base = _POSSESSIVE.sub("", word).lower() or word.lower()
        lemma = simplemma.lemmatize(base, lang=LANGUAGE).lower()
        if lemma != base and lemma not in _known_words():
            lemma = base
        _lemma_cache[word] = lemma
    return lemma


@functools.cache
def _known_words() -> dict[str, float]:
    return wordfreq.get_frequency_dict(LANGUAGE)


def tokenize(text: str) -> list[Token]:
    """Split text into word tokens with lemmas and character spans."""
    return [
        Token(match.group(), lemmatize(match.group()), match.start(), match.end())
        for match in WORD_PATTERN.finditer(text)
    ]


def tag(lemmas) -> str:
    """Term string for a sequence of lemmas: ``ferry|en across|en``."""
    return " ".join(f"{lemma}|{LANGUAGE}" for lemma in lemmas)


def untag(term: str) -> list[str]:
    """Lemmas of a term string; raises ValueError on a malformed term."""
    parts = term.split(" ")
    lemmas = []
    for part in parts:
        lemma, sep, language = part.rpartition("|")
        if not sep or not lemma or not language:
            raise ValueError(f"{term!r} is not a term like 'river|en'")
        lemmas.append(lemma)
    return lemmas
