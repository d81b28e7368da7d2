"""Tokenizing and lemmatizing by language."""
import pytest

from lumiwork.engine import text
from lumiwork.engine.text import (
    SUPPORTED_LANGUAGES,
    UnsupportedLanguage,
    check_language,
    lemmatize,
    stopwords,
    tag,
    tokenize,
)


def test_english_lemmas_and_stopwords():
    tokens = tokenize("The ferryman's boats were thinking")
    assert [t.lemma for t in tokens] == ["the", "ferryman", "boat", "be", "thinking"]
    assert [t.is_stopword for t in tokens] == [True, False, False, True, False]


@pytest.mark.parametrize("language,word,lemma", [
    ("de", "Flüsse", "fluß"), ("de", "Boot", "boot"), ("de", "Bäume", "baum"),
    ("fr", "bateaux", "bateau"), ("fr", "traversent", "traverser"),
    ("es", "ríos", "río"), ("it", "fiumi", "fiume"), ("nl", "rivieren", "rivier"),
    ("pt", "barcos", "barco"),
])
def test_lemmas_in_other_languages(language, word, lemma):
    assert lemmatize(word, language) == lemma


@pytest.mark.parametrize("language,function_words", [
    ("de", {"der", "die", "und"}), ("fr", {"le", "la", "et"}), ("es", {"el", "la", "y"}),
    ("it", {"il", "e", "di"}), ("pt", {"o", "a", "e"}), ("nl", {"de", "het", "en"}),
])
def test_each_language_has_its_stopwords(language, function_words):
    assert function_words <= stopwords(language)
    assert "fluss" not in stopwords(language)


def test_tags_carry_the_language():
    assert tag(["ferry", "across"]) == "ferry|en across|en"
    assert tag(["fluß"], "de") == "fluß|de"


def test_unsupported_language_names_the_supported_ones():
    assert check_language("pt") == "pt"
    with pytest.raises(UnsupportedLanguage, match=", ".join(SUPPORTED_LANGUAGES)):
        check_language("tlh")


def test_the_lemma_cache_stays_bounded_whatever_words_arrive(monkeypatch):
    monkeypatch.setattr(text, "LEMMA_CACHE_WORDS", 50)
    made_up = [f"zorblax{'q' * i}ing" for i in range(500)]
    for word in made_up:
        text.lemmatize(word, "en")
        assert len(text._lemma_caches["en"]) <= 50
    assert text.lemmatize("rivers", "en") == "river"  # still right after starting again
