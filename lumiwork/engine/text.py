"""Tokenizing and lemmatizing text into tagged term parts (``river|en``,
``fluss|de``), for every language simplemma and wordfreq both cover well."""
from __future__ import annotations

import functools
import re
from typing import NamedTuple

import simplemma
import wordfreq

LANGUAGE = "en"  # the default
SUPPORTED_LANGUAGES = ("en", "de", "fr", "es", "it", "pt", "nl")
# Outside English, the most frequent words of general text (wordfreq) serve as
# stopwords: in every one of these languages they are articles, pronouns,
# prepositions, auxiliaries and conjunctions.
GENERATED_STOPWORDS = 150


class UnsupportedLanguage(ValueError):
    """A language the engine cannot tokenize, lemmatize and weigh."""


def check_language(code: str) -> str:
    """The language code, or UnsupportedLanguage naming the supported ones."""
    if code not in SUPPORTED_LANGUAGES:
        raise UnsupportedLanguage(f"language {code!r} is not supported; use one of "
                                  f"{', '.join(SUPPORTED_LANGUAGES)}")
    return code

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



@functools.cache
def stopwords(language: str = LANGUAGE) -> frozenset[str]:
    """Function words of a language: dropped as single terms, and never the
    first or last word of a phrase."""
    if language == "en":
        return STOPWORDS
    return frozenset(wordfreq.top_n_list(check_language(language), GENERATED_STOPWORDS))


WORD_PATTERN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*", re.UNICODE)
_POSSESSIVE = re.compile(r"['’]s$", re.IGNORECASE)

# language -> word -> lemma. Every distinct word any query sends lands here, so
# a language's cache starts again past LEMMA_CACHE_WORDS (a million words, at most
# ~200 MB; a million-document corpus has a few hundred thousand distinct words).
_lemma_caches: dict[str, dict[str, str]] = {}
LEMMA_CACHE_WORDS = 1_000_000


class Token(NamedTuple):
    """One word of a text: its surface form, lemma and character span.

    A named tuple: a search tokenizes every document it answers with, and
    this is made much faster than a frozen dataclass."""

    surface: str
    lemma: str
    start: int
    end: int
    is_stopword: bool


def remember_lemmas(words: list[str], lemmas: list[str], language: str = LANGUAGE) -> None:
    """Put known (word, lemma) pairs in a language's lemma cache, as far as
    LEMMA_CACHE_WORDS leaves room: a model's own words, so that finding the
    terms of its documents never waits for the lemmatizer."""
    cache = _lemma_caches.setdefault(language, {})
    room = max(0, LEMMA_CACHE_WORDS - len(cache))
    cache.update(zip(words[:room], lemmas[:room]))


def lemmatize(word: str, language: str = LANGUAGE) -> str:
    """Lowercase lemma of one word, cached because corpora repeat words a lot.

    simplemma guesses lemmas of words it does not know ("thinking" -> "thinke");
    a guess that is no word of the language is dropped in favour of the word itself.
    """
    cache = _lemma_caches.setdefault(language, {})
    lemma = cache.get(word)
    if lemma is None:
        if len(cache) >= LEMMA_CACHE_WORDS:
            cache.clear()
        lemma = cache[word] = _lemma(word, language)
    return lemma


def _lemma(word: str, language: str) -> str:
    if language == "en":
        base = _POSSESSIVE.sub("", word).lower() or word.lower()
        lemma = simplemma.lemmatize(base, lang=language).lower()
        return lemma if lemma == base or _is_word(lemma, language) else base
    # German nouns are capitalised and simplemma's dictionaries keep that case
    # ("Boot" is a boat, "boot" a form of "booten"), so look the word up as written.
    base = word.lower()
    if simplemma.is_known(word, lang=language):
        return simplemma.lemmatize(word, lang=language).lower()
    lemma = simplemma.lemmatize(base, lang=language).lower()
    return lemma if lemma == base or _is_word(lemma, language) else base


# A lemma guess must be at least this frequent in general text to count as a
# word: wordfreq also lists debris such as "thinke" (about 1e-8).
MIN_WORD_FREQUENCY = 1e-7


def _is_word(lemma: str, language: str) -> bool:
    return known_words(language).get(lemma, 0.0) >= MIN_WORD_FREQUENCY


@functools.cache
def known_words(language: str = LANGUAGE) -> dict[str, float]:
    """wordfreq's frequency of each word of a language in general text."""
    return wordfreq.get_frequency_dict(language)


def warm_up(language: str = LANGUAGE) -> None:
    """Load what lemmatizing a language reads on first use: simplemma's
    dictionary, the stopwords and wordfreq's frequencies (which check a guessed
    lemma), which would otherwise fall on the first text that needs them."""
    lemmatize("warming", language)
    stopwords(language)
    known_words(language)


def lemma_spans(text: str, language: str = LANGUAGE) -> tuple[list[str], list[int], list[int]]:
    """The lemmas of a text's words and their character spans (starts, ends):
    what a search needs of each document it answers with, without a Token
    per word (making those was a large share of finding a document's terms)."""
    known = _lemma_caches.setdefault(language, {})
    lemmas, starts, ends = [], [], []
    for match in WORD_PATTERN.finditer(text):
        word = match.group()
        lemmas.append(known.get(word) or lemmatize(word, language))
        start, end = match.span()
        starts.append(start)
        ends.append(end)
    return lemmas, starts, ends


def tokenize(text: str, language: str = LANGUAGE) -> list[Token]:
    """Split text into word tokens with lemmas and character spans."""
    stop = stopwords(language)
    return [Token(text[start:end], lemma, start, end, lemma in stop)
            for lemma, start, end in zip(*lemma_spans(text, language))]


def tag(lemmas, language: str = LANGUAGE) -> str:
    """Term string for a sequence of lemmas: ``ferry|en across|en``."""
    return " ".join(f"{lemma}|{language}" for lemma in lemmas)


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
