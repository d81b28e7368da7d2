"""Sentiment classifiers: sentiment_combined, sentiment_split and sentiment_custom
(the 2018 docs' sentiment_wordlist), with optional domain expansion.

Lexicon. The general lexicon is VADER's (Hutto & Gilbert 2014, vaderSentiment 3.3.2, MIT
licence), shipped inside the package as vader_lexicon.txt: 7,500 words and emoticons
rated by people from -4 to +4. Only its alphabetic entries are used here.

Scale. The API speaks Compass's scale: wordlist and domain term scores are in [-5, 5]
(compass-api-2019.txt); internally they are multiplied by 4/5 onto VADER's [-4, 4].

Scoring a message (VADER's own constants, imported from the package):
- each word gets the valence of its surface form, else of its lemma; a user wordlist or a
  domain term (single word or phrase of up to 4 words, matched on lemmas) wins over the
  general lexicon;
- a valence is multiplied by N_SCALAR = -0.74 when one of the 3 words before it negates
  (VADER's NEGATE list or any "n't" word);
- positive sum P and negative sum N (absolute) are squashed by VADER's
  normalize(x) = x / sqrt(x^2 + 15): compound = normalize(P - N) in [-1, 1], positive
  score normalize(P), negative score normalize(N), both in [0, 1).
The rest of VADER's rules (capitals, "!", "but", degree adverbs) are left out: they are a
few points of accuracy on social media text and would need surface-level matching the
domain terms cannot share.

Thresholds (compass-api-endpoints-2018.txt defaults): combined 0.4, positive 0.4,
negative -0.4. A single "good" (1.9) gives compound 0.44 and one "bad" (-2.5) gives -0.54:
at 0.4 one plain sentiment word decides, one weak word ("fine", 0.8: 0.20) does not.

Domain expansion (`expand_domain`): seeds are the project's terms that the lexicon rates
at |valence| >= 1; every other project term looks at its 10 most similar seeds (cosine of
term vectors) that are at least MIN_SEED_SIMILARITY (0.5) similar, needs at least 3 of
them, and takes their similarity-weighted mean valence, shrunk toward 0 by one neutral
pseudo-seed of weight 1. (With 0.45, 1 seed and no shrinkage, Siddhartha's expansion gave
"ten", "third", "country" +4.2 and "blissfulness" -4.4.) If neither polarity has at least 2/3 of the weight and
both have at least 2 seeds, the term goes to `term_conflicts` (not used when
classifying); otherwise, if |valence| >= 0.5, to `domain_terms`. Each polarity keeps its
`max_expansion_terms` strongest (|valence| x mean similarity). Both are plain
{text: score in [-5, 5]} dicts that the API can GET and PUT back.
"""
from __future__ import annotations

import functools
import importlib.resources
from collections.abc import Sequence

import numpy as np
from vaderSentiment.vaderSentiment import N_SCALAR, NEGATE

from ..model import Model
from ..text import Token, lemmatize, untag
from .base import UNCLASSIFIED, TestReport, TopicScore, check_unit, make_test_report
from .messages import Messages, prepare

KINDS = ("sentiment_combined", "sentiment_split", "sentiment_custom")
ALIASES = {"sentiment_wordlist": "sentiment_custom"}
API_SCALE = 5.0          # Compass scores words in [-5, 5]
VADER_SCALE = 4.0        # VADER rates words in [-4, 4]
NORMALIZE_ALPHA = 15.0   # vaderSentiment.normalize
NEGATION_WINDOW = 3
MAX_PHRASE_WORDS = 4
DEFAULT_COMBINED_THRESHOLD = 0.4
DEFAULT_POSITIVE_THRESHOLD = 0.4
DEFAULT_NEGATIVE_THRESHOLD = -0.4
DEFAULT_MAX_EXPANSION_TERMS = 200   # compass-api-2019.txt: "Default is 200 (for each polarity)"
SEED_MIN_VALENCE = 1.0
NEIGHBOURS = 10
MIN_SEED_SIMILARITY = 0.5
MIN_SEEDS = 3            # one or two similar seeds made "ten", "third", "country" +3.4 on Siddhartha
SHRINKAGE = 1.0          # pseudo-weight of a neutral seed: few or weak neighbours pull toward 0
MIN_DOMAIN_VALENCE = 0.5
CONFLICT_SHARE = 2 / 3
NEGATORS = frozenset(NEGATE)


@functools.lru_cache(maxsize=1)
def general_lexicon() -> dict[str, float]:
    """VADER's alphabetic entries: {lowercase word: valence in [-4, 4]}."""
    text = importlib.resources.files("vaderSentiment").joinpath("vader_lexicon.txt").read_text(encoding="utf-8")
    lexicon = {}
    for line in text.splitlines():
        word, valence, *_ = line.split("\t")
        if word.replace("'", "").replace("-", "").isalpha():
            lexicon[word.lower()] = float(valence)
    return lexicon


@functools.lru_cache(maxsize=8)
def lemma_lexicon(language: str = "en") -> dict[str, float]:
    """The general lexicon by lemma (mean valence of the words sharing one)."""
    grouped: dict[str, list[float]] = {}
    for word, valence in general_lexicon().items():
        grouped.setdefault(lemmatize(word, language), []).append(valence)
    return {lemma: float(np.mean(values)) for lemma, values in grouped.items()}


def lemma_phrase(text: str, language: str) -> str:
    """'Mighty Fine' -> 'mighty fine' as lemmas, the form project terms are compared in."""
    return " ".join(lemmatize(word.lower(), language) for word in text.split())


def normalize(total: np.ndarray | float) -> np.ndarray:
    """VADER's squashing x / sqrt(x^2 + 15), elementwise, into (-1, 1)."""
    total = np.asarray(total, dtype=np.float64)
    return total / np.sqrt(total * total + NORMALIZE_ALPHA)


class WordScorer:
    """Valences of a message's words: user/domain entries (lemma phrases) over the
    general lexicon (surface, then lemma). All valences on VADER's [-4, 4] scale."""

    def __init__(self, entries: dict[str, float], language: str, use_general: bool = True):
        self.language = language
        self.use_general = use_general
        self.phrases: dict[tuple[str, ...], float] = {}
        for text, score in entries.items():
            lemmas = tuple(lemmatize(word.lower(), language) for word in text.split())
            if 0 < len(lemmas) <= MAX_PHRASE_WORDS:
                self.phrases[lemmas] = float(score) * VADER_SCALE / API_SCALE
        self.longest = max((len(key) for key in self.phrases), default=1)

    def valences(self, tokens: Sequence[Token]) -> list[float]:
        lemmas = [token.lemma for token in tokens]
        found = []
        i = 0
        while i < len(tokens):
            length, valence = self._entry_at(lemmas, i)
            if length == 0:
                length, valence = 1, self._general(tokens[i])
            if valence:
                found.append(valence * (N_SCALAR if self._negated(tokens, i) else 1.0))
            i += length
        return found

    def _entry_at(self, lemmas: list[str], i: int) -> tuple[int, float]:
        for length in range(min(self.longest, len(lemmas) - i), 0, -1):
            valence = self.phrases.get(tuple(lemmas[i:i + length]))
            if valence is not None:
                return length, valence
        return 0, 0.0

    def _general(self, token: Token) -> float:
        if not self.use_general:
            return 0.0
        surface = token.surface.lower()
        valence = general_lexicon().get(surface)
        return valence if valence is not None else lemma_lexicon(self.language).get(token.lemma, 0.0)

    @staticmethod
    def _negated(tokens: Sequence[Token], i: int) -> bool:
        before = tokens[max(0, i - NEGATION_WINDOW):i]
        return any(t.surface.lower() in NEGATORS or t.surface.lower().endswith(("n't", "n’t")) for t in before)


def polarity_totals(scorer: WordScorer, messages: Messages) -> np.ndarray:
    """(messages, 2) sums of positive and of |negative| valences."""
    totals = np.zeros((len(messages), 2))
    for i, tokens in enumerate(messages.tokens):
        for valence in scorer.valences(tokens):
            totals[i, 0 if valence > 0 else 1] += abs(valence)
    return totals


# ---- domain expansion -------------------------------------------------------------------
def term_text(term: str) -> str:
    """'happy hour|en' -> 'happy hour'."""
    return " ".join(untag(term))


def expand_domain(model: Model, max_expansion_terms: int = DEFAULT_MAX_EXPANSION_TERMS,
                  base: dict[str, float] | None = None,
                  vocabulary: np.ndarray | None = None) -> tuple[dict[str, float], dict[str, float]]:
    """(domain_terms, term_conflicts) for `model`: {text: score in [-5, 5]}.

    base: the lexicon the seeds come from, {lemma or phrase: valence in [-4, 4]}; the
    general lexicon by default, a custom classifier's wordlist (rescaled) otherwise.
    vocabulary: (terms,) bool, the only terms that may be proposed (those the
    project's documents use); every term of the model by default."""
    base = base if base is not None else lemma_lexicon(model.language)
    texts = [term_text(term) for term in model.terms]
    seed_valence = np.array([base.get(text, 0.0) for text in texts])
    rated = np.array([text in base for text in texts])
    seeds = np.flatnonzero(np.abs(seed_valence) >= SEED_MIN_VALENCE)
    proposable = ~rated if vocabulary is None else ~rated & np.asarray(vocabulary, dtype=bool)
    candidates = np.flatnonzero(proposable)
    if not len(seeds) or not len(candidates):
        return {}, {}
    similarity = model.term_vectors[candidates] @ model.term_vectors[seeds].T      # (candidates, seeds)
    nearest = np.argsort(-similarity, axis=1, kind="stable")[:, :NEIGHBOURS]
    found: dict[str, list[tuple[float, str, float]]] = {"positive": [], "negative": [], "conflict": []}
    for row, candidate in enumerate(candidates):
        cosines = similarity[row, nearest[row]]
        keep = cosines >= MIN_SEED_SIMILARITY
        if keep.sum() < MIN_SEEDS:
            continue
        weights, valences = cosines[keep], seed_valence[seeds[nearest[row][keep]]]
        valence = float(weights @ valences / (weights.sum() + SHRINKAGE))
        positive_share = float(weights[valences > 0].sum() / weights.sum())
        strength = abs(valence) * float(weights.mean())
        conflicted = (1 - CONFLICT_SHARE < positive_share < CONFLICT_SHARE
                      and (valences > 0).sum() >= 2 and (valences < 0).sum() >= 2)
        if conflicted:
            found["conflict"].append((strength, texts[candidate], valence))
        elif abs(valence) >= MIN_DOMAIN_VALENCE:
            found["positive" if valence > 0 else "negative"].append((strength, texts[candidate], valence))
    to_api = API_SCALE / VADER_SCALE

    def strongest(kind: str) -> dict[str, float]:
        ranked = sorted(found[kind], key=lambda item: (-item[0], item[1]))[:max_expansion_terms]
        return {text: round(valence * to_api, 2) for _, text, valence in ranked}

    return {**strongest("positive"), **strongest("negative")}, strongest("conflict")


def check_word_scores(name: str, scores: dict) -> dict[str, float]:
    if not isinstance(scores, dict):
        raise ValueError(f"{name} must be an object of word: score, not {type(scores).__name__}")
    for word, score in scores.items():
        check_unit(f"{name}[{word!r}]", score, -API_SCALE, API_SCALE)
    return {str(word): float(score) for word, score in scores.items()}


def check_bands(bands: dict) -> dict[str, tuple[float, float]]:
    if not isinstance(bands, dict) or not bands:
        raise ValueError("a sentiment_custom classifier needs topics: {name: {min, max}} bands in [-1, 1]")
    checked = {}
    for name, band in bands.items():
        if not isinstance(band, dict):
            raise ValueError(f"topics[{name!r}] must be a band {{\"min\": ..., \"max\": ...}}, not {band!r:.40}")
        low = check_unit(f"topics[{name!r}].min", band.get("min"), -1.0, 1.0)
        high = check_unit(f"topics[{name!r}].max", band.get("max"), -1.0, 1.0)
        if low > high:
            raise ValueError(f"topics[{name!r}]: min {low} is above max {high}")
        checked[str(name)] = (low, high)
    return checked


class SentimentClassifier:
    """sentiment_combined / sentiment_split / sentiment_custom (alias sentiment_wordlist)."""

    def __init__(self, kind: str, *, combined_threshold: float = DEFAULT_COMBINED_THRESHOLD,
                 positive_threshold: float = DEFAULT_POSITIVE_THRESHOLD,
                 negative_threshold: float = DEFAULT_NEGATIVE_THRESHOLD,
                 topics: dict | None = None, wordlist: dict | None = None,
                 domain_expansion: bool = False, max_expansion_terms: int = DEFAULT_MAX_EXPANSION_TERMS,
                 domain_terms: dict | None = None, term_conflicts: dict | None = None,
                 language: str = "en"):
        kind = ALIASES.get(kind, kind)
        if kind not in KINDS:
            raise ValueError(f"sentiment type must be one of {', '.join(KINDS)}, not {kind!r}")
        self.kind = kind
        self.combined_threshold = check_unit("combined_threshold", combined_threshold)
        self.positive_threshold = check_unit("positive_threshold", positive_threshold)
        self.negative_threshold = check_unit("negative_threshold", negative_threshold, -1.0, 0.0)
        self.bands = check_bands(topics or {}) if kind == "sentiment_custom" else {}
        self.wordlist = check_word_scores("wordlist", wordlist or {})
        if kind == "sentiment_custom" and not self.wordlist:
            raise ValueError("a sentiment_custom classifier needs a wordlist: {word: score in [-5, 5]}")
        self.domain_expansion = bool(domain_expansion)
        if isinstance(max_expansion_terms, bool) or not isinstance(max_expansion_terms, int) or max_expansion_terms < 0:
            raise ValueError(f"max_expansion_terms must be a non-negative integer, not {max_expansion_terms!r}")
        self.max_expansion_terms = max_expansion_terms
        # "once domain_expansion is turned off, the list of domain terms is deleted"
        self.domain_terms = check_word_scores("domain_terms", domain_terms or {}) if domain_expansion else {}
        self.term_conflicts = check_word_scores("term_conflicts", term_conflicts or {}) if domain_expansion else {}
        self.language = language
        self.scorer = WordScorer({**self.wordlist, **self.domain_terms}, language,
                                 use_general=kind != "sentiment_custom")

    @classmethod
    def build(cls, model: Model, kind: str, vocabulary: np.ndarray | None = None, **options) -> SentimentClassifier:
        """A classifier for `model`; with domain_expansion, its domain_terms and
        term_conflicts are found in the model (unless given), among the terms of
        `vocabulary` (see expand_domain)."""
        classifier = cls(kind, language=model.language, **options)
        if classifier.domain_expansion and not options.get("domain_terms"):
            base = None
            if classifier.kind == "sentiment_custom":
                base = {lemma_phrase(word, model.language): score * VADER_SCALE / API_SCALE
                        for word, score in classifier.wordlist.items()}
            terms, conflicts = expand_domain(model, classifier.max_expansion_terms, base, vocabulary)
            classifier = cls(kind, language=model.language, **{**options, "domain_terms": terms,
                                                               "term_conflicts": conflicts})
        return classifier

    @property
    def topic_names(self) -> list[str]:
        if self.kind == "sentiment_combined":
            return ["positive", "negative", "neutral"]
        if self.kind == "sentiment_split":
            return ["positive", "negative"]
        return list(self.bands)

    def polarity(self, model: Model, texts: Sequence[str] | Messages) -> np.ndarray:
        """(messages, 3): positive score, negative score (both in [0, 1)), compound in (-1, 1)."""
        totals = polarity_totals(self.scorer, prepare(model, texts))
        return np.column_stack([normalize(totals[:, 0]), normalize(totals[:, 1]),
                                normalize(totals[:, 0] - totals[:, 1])])

    def scores(self, model: Model, texts: Sequence[str] | Messages) -> np.ndarray:
        """(messages, topics) in [0, 1]: combined -> max(c, 0), max(-c, 0), 1 - |c| for the
        compound c; split -> positive and negative scores; custom -> |c| for each band
        holding c (0 for the others)."""
        return self._scores_of(self.polarity(model, texts))

    def _scores_of(self, polarity: np.ndarray) -> np.ndarray:
        positive, negative, compound = polarity.T
        if self.kind == "sentiment_combined":
            return np.column_stack([np.maximum(compound, 0), np.maximum(-compound, 0), 1 - np.abs(compound)])
        if self.kind == "sentiment_split":
            return np.column_stack([positive, negative])
        inside = [(compound >= low) & (compound <= high) for low, high in self.bands.values()]
        return np.column_stack([np.where(hit, np.abs(compound), 0.0) for hit in inside])

    def classify(self, model: Model, texts: Sequence[str] | Messages) -> list[list[TopicScore]]:
        """combined: exactly one of positive / negative (|c| >= combined_threshold) or
        neutral; split: positive if >= positive_threshold, negative if -score <=
        negative_threshold, possibly both, else UNCLASSIFIED; custom: every band holding
        the compound, UNCLASSIFIED for a message without sentiment-bearing words."""
        messages = prepare(model, texts)
        polarity = self.polarity(model, messages)  # once: scoring words is most of the cost
        scores = self._scores_of(polarity)
        return [self._assign(polarity[i], scores[i]) for i in range(len(messages))]

    def _assign(self, polarity: np.ndarray, scores: np.ndarray) -> list[TopicScore]:
        names = self.topic_names
        positive, negative, compound = polarity
        if self.kind == "sentiment_combined":
            index = 0 if compound >= self.combined_threshold else 1 if -compound >= self.combined_threshold else 2
            return [TopicScore(names[index], round(float(scores[index]), 6))]
        if self.kind == "sentiment_split":
            chosen = [TopicScore("positive", round(float(positive), 6))] if positive >= self.positive_threshold else []
            if -negative <= self.negative_threshold:
                chosen.append(TopicScore("negative", round(float(negative), 6)))
            return sorted(chosen, key=lambda topic: -topic.score) or [TopicScore(UNCLASSIFIED, 0.0)]
        if positive == 0 and negative == 0:
            return [TopicScore(UNCLASSIFIED, 0.0)]
        hits = [TopicScore(name, round(abs(float(compound)), 6))
                for name, (low, high) in self.bands.items() if low <= compound <= high]
        return hits or [TopicScore(UNCLASSIFIED, 0.0)]

    def test(self, model: Model, texts: Sequence[str], labels: Sequence[str]) -> TestReport:
        messages = prepare(model, texts)
        return make_test_report(self.topic_names, self.scores(model, messages), self.classify(model, messages),
                                messages.texts, labels)

    def to_data(self) -> dict:
        data: dict = {"type": self.kind, "domain_expansion": self.domain_expansion,
                      "max_expansion_terms": self.max_expansion_terms, "language": self.language,
                      "domain_terms": dict(self.domain_terms), "term_conflicts": dict(self.term_conflicts)}
        if self.kind == "sentiment_combined":
            data["combined_threshold"] = self.combined_threshold
        elif self.kind == "sentiment_split":
            data.update(positive_threshold=self.positive_threshold, negative_threshold=self.negative_threshold)
        else:
            data.update(topics={name: {"min": low, "max": high} for name, (low, high) in self.bands.items()},
                        wordlist=dict(self.wordlist))
        return data

    @classmethod
    def from_data(cls, data: dict) -> SentimentClassifier:
        options = {key: value for key, value in data.items() if key != "type"}
        return cls(data["type"], **options)


