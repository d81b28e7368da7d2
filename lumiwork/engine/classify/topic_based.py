"""The topic-based classifier: boolean topics whose operands match concepts.

Scoring (all scores in [0, 1]):

1. word evidence  s(o, m) = max over the message's concept rows r of cos(v_o, r), where
   v_o = model.vector_for_text(operand) and the rows are the unit vectors of the message's
   project terms, of its words only the background knows, and the message vector itself
   (`Messages.concept_rows`). A word only the background knows counts for an operand
   only when general knowledge relates the two: their correlation in the background
   space is above the background's noise floor (`Model.background_noise_floor`), the rule
   `engine.evidence` applies to a query on general knowledge only. General knowledge
   places every word somewhere near the project's terms; without this rule, words of an
   unrelated message ("firmware", "mechanic") reached the operands of a novel's themes.
   message evidence  g(o, m) = cos(v_o, message vector): whether the message as a whole
   leans towards the operand, not just one of its words ("charging" a phone is not a
   price, "made" is not love).
2. operand score  min(word score, message score), fuzzy AND, where each is
   clip((x - floor) / (full - floor), 0, 1) calibrated per model against what unrelated
   texts score (`calibrate`), as the engine's noise floor is against what unrelated term
   pairs score (`Model.noise_floor`). Over random pairs of a project term and a project
   document that does not contain it: the word score is 0 at the 90th percentile of s and
   1 at the 99th; the message score 0 at the 70th percentile of g and 1 at the 95th. A
   message containing the operand's own term has word score 1 and needs no message
   evidence: it names it. Any threshold above 0 thus leaves UNCLASSIFIED a text that
   matches no better than unrelated texts do.
3. AND = min, OR = max, NOT x = 1 - x (Zadeh's fuzzy logic; min/max keep a score a
   genuine degree of membership and make AND/OR idempotent and associative).

A message whose best topic scores below the threshold is UNCLASSIFIED (base.assign).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np

from ..model import Model
from ..text import tokenize
from .base import TestReport, TopicScore, assign, check_num_topics, check_unit, make_test_report
from .messages import Messages, prepare
from .syntax import And, Node, Not, Operand, operands, parse_topic

DEFAULT_THRESHOLD = 0.4          # compass-api-endpoints-2018.txt: "Default value is 0.4"
CALIBRATION_PAIRS = 8000         # random (term, document) pairs: the 99th percentile rests on ~80
CALIBRATION_TERMS = 500          # drawn from the most relevant project terms
CALIBRATION_SEED = 0
# Percentiles of unrelated pairs' word evidence and message evidence at score 0 and 1. Chosen
# on the tuning sets (tests/data/classify-topics-tuning.tsv, compass-off-domain-tuning.tsv)
# over word 90-95 x 97-99 and message none, 50-80 x 90-95: the fewest off-domain texts
# classified at thresholds 0.3-0.5 with WordNet and with GloVe alone (2 of 60: "charging"
# a phone, a "pharmacist"), then the most on-topic sentences at 0.4.
WORD_PERCENTILES = (90, 99)
MESSAGE_PERCENTILES = (70, 95)
# Names the rule a stored calibration was made by; another is made again on first use.
CALIBRATION_RULE = (f"unrelated pairs: words p{WORD_PERCENTILES[0]}-p{WORD_PERCENTILES[1]} (background words "
                    f"gated), message p{MESSAGE_PERCENTILES[0]}-p{MESSAGE_PERCENTILES[1]}")


@dataclass(frozen=True)
class Topic:
    """A titled boolean expression (the API's {"title", "info"})."""
    title: str
    expression: str
    tree: Node = field(compare=False, repr=False)

    @classmethod
    def from_data(cls, data: dict) -> Topic:
        expression = data["info"] if "info" in data else data["expression"]
        return cls(str(data["title"]), expression, parse_topic(expression))

    def to_data(self) -> dict:
        return {"title": self.title, "info": self.expression}


@dataclass(frozen=True)
class Calibration:
    """Word evidence mapped to score 0 (`floor`) and 1 (`full`), message evidence
    to 0 (`message_floor`) and 1 (`message_full`), by `rule`."""
    floor: float
    full: float
    message_floor: float = -1.0
    message_full: float = -1.0 + 1e-3
    rule: str = CALIBRATION_RULE

    def scores(self, words: np.ndarray, message: np.ndarray | None = None) -> np.ndarray:
        """Operand scores from (messages, operands) word and message evidence."""
        word_scores = _ramp(words, self.floor, self.full)
        return word_scores if message is None else np.minimum(word_scores, _ramp(message, self.message_floor,
                                                                                     self.message_full))


def _segment_max(values: np.ndarray, lengths: list[int], width: int) -> np.ndarray:
    """(len(lengths), width) maxima of consecutive row blocks of `values` (block i
    has lengths[i] rows); -inf for an empty block."""
    result = np.full((len(lengths), width), -np.inf, dtype=np.float64)
    starts = np.cumsum([0, *lengths[:-1]])
    filled = np.flatnonzero(np.asarray(lengths) > 0)
    if len(filled):
        result[filled] = np.maximum.reduceat(values, starts[filled], axis=0)
    return result


def _ramp(values: np.ndarray, zero: float, one: float) -> np.ndarray:
    return np.clip((values - zero) / (one - zero), 0.0, 1.0)


def calibrate(model: Model, messages: Messages | None = None, pairs: int = CALIBRATION_PAIRS,
              seed: int = CALIBRATION_SEED) -> Calibration:
    """Measure the word evidence s and message evidence g over random unrelated pairs
    of the model's own terms and documents (pairs where the document contains the
    term are skipped) and place score 0 and 1 at WORD_PERCENTILES and
    MESSAGE_PERCENTILES of them. Deterministic for a given model and seed.

    Random pairs from one project are not all unrelated (a term of the river and a
    sentence about the ferry), which is why score 0 sits at a high percentile rather
    than the median: texts written about something else entirely stayed below it
    (tests/data/compass-off-domain*.tsv).
    """
    rng = np.random.default_rng(seed)
    terms = model.top_order[:CALIBRATION_TERMS]
    docs = rng.integers(0, len(model.texts), size=pairs)
    chosen = sorted(set(docs.tolist()))
    messages = messages or prepare(model, [model.texts[i] for i in chosen])
    position = {doc: i for i, doc in enumerate(chosen)}
    words, whole = [], []
    for doc, term in zip(docs, rng.choice(terms, size=pairs)):
        i = position[int(doc)]
        if term in messages.term_indices[i]:
            continue
        words.append(float((messages.concept_rows(model, i) @ model.term_vectors[term]).max()))
        whole.append(float(messages.vectors[i] @ model.term_vectors[term]))
    if not words:  # every pair shared its term: a one-word project
        return Calibration(0.0, 1.0)
    floor, full = np.percentile(words, WORD_PERCENTILES)
    message_floor, message_full = np.percentile(whole, MESSAGE_PERCENTILES)
    return Calibration(float(floor), float(max(full, floor + 1e-3)),
                       float(message_floor), float(max(message_full, message_floor + 1e-3)))


class TopicClassifier:
    """Topic-based classifier: `topics` are boolean concept expressions (no training)."""

    kind = "topic_based"

    def __init__(self, topics: Sequence[Topic | dict], calibration: Calibration,
                 threshold: float = DEFAULT_THRESHOLD, num_topics: int | str = 1):
        self.topics = [topic if isinstance(topic, Topic) else Topic.from_data(topic) for topic in topics]
        titles = [topic.title for topic in self.topics]
        if len(set(titles)) != len(titles):
            raise ValueError(f"topic titles must be unique: {titles}")
        self.calibration = calibration
        self.threshold = check_unit("threshold", threshold)
        self.num_topics = check_num_topics(num_topics)
        self.operands = list(dict.fromkeys(text for topic in self.topics for text in operands(topic.tree)))
        self._column = {text: j for j, text in enumerate(self.operands)}
        self._vectors: tuple[int, np.ndarray, np.ndarray] | None = None

    @classmethod
    def build(cls, model: Model, topics: Sequence[Topic | dict], threshold: float = DEFAULT_THRESHOLD,
              num_topics: int | str = 1) -> TopicClassifier:
        """A classifier for `model`, calibrated on it (see `calibrate`)."""
        return cls(topics, calibrate(model), threshold, num_topics)

    @property
    def topic_names(self) -> list[str]:
        return [topic.title for topic in self.topics]

    def operand_vectors(self, model: Model) -> np.ndarray:
        """(operands, dimensions) unit vectors, cached per model object."""
        return self._operand_rows(model)[0]

    def _operand_rows(self, model: Model) -> tuple[np.ndarray, np.ndarray]:
        """The operands' (operands, dimensions) unit vectors in the model's space, and
        their (operands, background dimensions) unit vectors in the background space
        (the mean of their words' vectors; zero rows for operands it does not know)."""
        if self._vectors is None or self._vectors[0] != id(model):
            rows = [model.vector_for_text(text) for text in self.operands]
            matrix = np.vstack(rows) if rows else np.zeros((0, model.dimensions), dtype=np.float32)
            self._vectors = (id(model), matrix, operand_backgrounds(model, self.operands))
        return self._vectors[1], self._vectors[2]

    def unknown_operands(self, model: Model) -> list[str]:
        """Operands neither the project nor the background knows: they always score 0."""
        vectors = self.operand_vectors(model)
        return [text for text, vector in zip(self.operands, vectors) if not vector.any()]

    def operand_similarities(self, model: Model, messages: Messages) -> np.ndarray:
        """(messages, operands) word evidence s(o, m) of the module's docstring,
        background words gated. One product per kind of row for the whole batch
        (a product per message took most of a classification)."""
        vectors, backgrounds = self._operand_rows(model)
        n = len(messages)
        similarity = messages.vectors @ vectors.T  # the message vector is a concept row too
        terms = [np.asarray(indices, dtype=np.int64) for indices in messages.term_indices]
        if any(len(t) for t in terms):
            by_term = model.term_vectors[np.concatenate(terms)] @ vectors.T
            similarity = np.maximum(similarity, _segment_max(by_term, [len(t) for t in terms], len(self.operands)))
        lengths = [len(u) for u in messages.unseen]
        if any(lengths):
            unseen = np.vstack([u for u in messages.unseen if len(u)])
            norms = np.linalg.norm(unseen, axis=1, keepdims=True)
            by_word = (unseen / np.where(norms == 0, 1, norms)) @ vectors.T
            supported = (np.vstack([b for b in messages.unseen_background if len(b)]) @ backgrounds.T
                         > model.background_noise_floor)
            by_word = np.where(supported, by_word, 0.0)
            similarity = np.maximum(similarity, _segment_max(by_word, lengths, len(self.operands)))
        return np.maximum(similarity, 0.0).astype(np.float32).reshape(n, len(self.operands))

    def message_similarities(self, model: Model, messages: Messages) -> np.ndarray:
        """(messages, operands) message evidence g(o, m), 1 where a message names
        the operand (contains its own term)."""
        whole = messages.vectors @ self.operand_vectors(model).T
        own = [set(index for index, _, _ in model.text_terms(text)) for text in self.operands]
        for i in range(len(messages)):
            present = set(messages.term_indices[i].tolist())
            for j, terms in enumerate(own):
                if terms and terms <= present:
                    whole[i, j] = 1.0
        return whole

    def operand_scores(self, model: Model, messages: Messages) -> np.ndarray:
        """(messages, operands) calibrated operand scores in [0, 1]."""
        if self.calibration.rule != CALIBRATION_RULE:  # stored by an earlier rule
            self.calibration = calibrate(model)
        return self.calibration.scores(self.operand_similarities(model, messages),
                                       self.message_similarities(model, messages))

    def scores(self, model: Model, texts: Sequence[str] | Messages) -> np.ndarray:
        """(messages, topics) scores in [0, 1]."""
        messages = prepare(model, texts)
        by_operand = self.operand_scores(model, messages)
        columns = [self._evaluate(topic.tree, by_operand) for topic in self.topics]
        return np.column_stack(columns) if columns else np.zeros((len(messages), 0))

    def _evaluate(self, node: Node, by_operand: np.ndarray) -> np.ndarray:
        if isinstance(node, Operand):
            return by_operand[:, self._column[node.text]]
        if isinstance(node, Not):
            return 1.0 - self._evaluate(node.operand, by_operand)
        parts = [self._evaluate(child, by_operand) for child in node.operands]
        return np.minimum.reduce(parts) if isinstance(node, And) else np.maximum.reduce(parts)

    def classify(self, model: Model, texts: Sequence[str] | Messages) -> list[list[TopicScore]]:
        """Per message, its topics at or above the threshold (best first) or UNCLASSIFIED."""
        return [assign(self.topic_names, row, self.threshold, self.num_topics)
                for row in self.scores(model, texts)]

    def test(self, model: Model, texts: Sequence[str], labels: Sequence[str]) -> TestReport:
        messages = prepare(model, texts)
        scores = self.scores(model, messages)
        assigned = [assign(self.topic_names, row, self.threshold, self.num_topics) for row in scores]
        return make_test_report(self.topic_names, scores, assigned, messages.texts, labels)

    def to_data(self) -> dict:
        return {"type": self.kind, "threshold": self.threshold, "num_topics": self.num_topics,
                "topics": [topic.to_data() for topic in self.topics],
                "calibration": asdict(self.calibration)}

    @classmethod
    def from_data(cls, data: dict) -> TopicClassifier:
        """A stored classifier; one calibrated by an earlier rule (no "rule", or
        another) is calibrated again the first time it scores."""
        stored = data["calibration"]
        calibration = Calibration(**{**stored, "rule": stored.get("rule", "earlier")})
        return cls(data["topics"], calibration, data["threshold"], data["num_topics"])


def operand_backgrounds(model: Model, operands: Sequence[str]) -> np.ndarray:
    """(operands, background dimensions) unit vectors of the operands in the model's
    background space: the mean of the vectors of their words it knows (zero rows
    for operands it knows no word of, and (operands, 0) without a background)."""
    background = model.background
    if background is None:
        return np.zeros((len(operands), 0), dtype=np.float32)
    rows = np.zeros((len(operands), background.dimensions), dtype=np.float32)
    for j, text in enumerate(operands):
        known = [background.index[t.lemma] for t in tokenize(text, model.language)
                 if not t.is_stopword and t.lemma in background.index]
        if known:
            mean = background.vectors[known].mean(axis=0)
            norm = np.linalg.norm(mean)
            rows[j] = mean / norm if norm else mean
    return rows
