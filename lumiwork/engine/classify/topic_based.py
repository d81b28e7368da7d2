"""The topic-based classifier: boolean topics whose operands match concepts.

Scoring (all scores in [0, 1]):

1. operand similarity  s(o, m) = max over the message's concept rows r of cos(v_o, r), where
   v_o = model.vector_for_text(operand) and the rows are the unit vectors of the message's
   project terms, of its words only the background knows, and the message vector itself
   (`Messages.concept_rows`). A message containing the operand's own term has s = 1.
2. operand score  clip((s - floor) / (full - floor), 0, 1), with `floor` and `full`
   calibrated per model (`calibrate`): floor = the median of s over random pairs of an
   unrelated project term and a project document, full chosen so that the 95th percentile
   of those unrelated pairs scores exactly DEFAULT_THRESHOLD (0.4, the documented default).
   So the default threshold lets about 5 % of unrelated single operands through; measured
   on Siddhartha: floor 0.00, 95th percentile 0.21, hence full ~0.52, while "river" against
   "the boat crossed the stream" has s = 0.44 (score ~0.84).
3. AND = min, OR = max, NOT x = 1 - x (Zadeh's fuzzy logic; min/max keep a score a
   genuine degree of membership and make AND/OR idempotent and associative).

A message whose best topic scores below the threshold is UNCLASSIFIED (base.assign).
"""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from ..model import Model
from .base import TestReport, TopicScore, assign, check_num_topics, check_unit, make_test_report
from .messages import Messages, prepare
from .syntax import And, Node, Not, Operand, operands, parse_topic

DEFAULT_THRESHOLD = 0.4          # compass-api-endpoints-2018.txt: "Default value is 0.4"
CALIBRATION_PAIRS = 4000         # random (term, document) pairs: percentiles stable to ~0.01
CALIBRATION_TERMS = 500          # drawn from the most relevant project terms
CALIBRATION_SEED = 0


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
    """Cosine similarities mapped to operand score 0 (`floor`) and 1 (`full`)."""
    floor: float
    full: float

    def scores(self, similarity: np.ndarray) -> np.ndarray:
        return np.clip((similarity - self.floor) / (self.full - self.floor), 0.0, 1.0)


def calibrate(model: Model, messages: Messages | None = None, threshold: float = DEFAULT_THRESHOLD,
              pairs: int = CALIBRATION_PAIRS, seed: int = CALIBRATION_SEED) -> Calibration:
    """Measure s(term, document) over random unrelated pairs of the model's own terms
    and documents (pairs where the document contains the term are skipped) and place
    its 95th percentile at `threshold`. Deterministic for a given model and seed."""
    rng = np.random.default_rng(seed)
    terms = model.top_order[:CALIBRATION_TERMS]
    docs = rng.integers(0, len(model.texts), size=pairs)
    messages = messages or prepare(model, [model.texts[i] for i in sorted(set(docs.tolist()))])
    position = {doc: i for i, doc in enumerate(sorted(set(docs.tolist())))}
    similarities = []
    for doc, term in zip(docs, rng.choice(terms, size=pairs)):
        i = position[int(doc)]
        if term in messages.term_indices[i]:
            continue
        similarities.append(float((messages.concept_rows(model, i) @ model.term_vectors[term]).max()))
    floor, unrelated = np.percentile(similarities, [50, 95])
    floor = float(max(floor, 0.0))
    return Calibration(floor, float(floor + (unrelated - floor) / threshold))


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
        self._vectors: tuple[int, np.ndarray] | None = None

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
        if self._vectors is None or self._vectors[0] != id(model):
            rows = [model.vector_for_text(text) for text in self.operands]
            matrix = np.vstack(rows) if rows else np.zeros((0, model.dimensions), dtype=np.float32)
            self._vectors = (id(model), matrix)
        return self._vectors[1]

    def unknown_operands(self, model: Model) -> list[str]:
        """Operands neither the project nor the background knows: they always score 0."""
        vectors = self.operand_vectors(model)
        return [text for text, vector in zip(self.operands, vectors) if not vector.any()]

    def operand_scores(self, model: Model, messages: Messages) -> np.ndarray:
        """(messages, operands) calibrated operand scores in [0, 1]."""
        vectors = self.operand_vectors(model)
        similarity = np.zeros((len(messages), len(self.operands)), dtype=np.float32)
        for i in range(len(messages)):
            similarity[i] = (messages.concept_rows(model, i) @ vectors.T).max(axis=0, initial=0.0)
        return self.calibration.scores(similarity)

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
                "calibration": {"floor": self.calibration.floor, "full": self.calibration.full}}

    @classmethod
    def from_data(cls, data: dict) -> TopicClassifier:
        return cls(data["topics"], Calibration(**data["calibration"]), data["threshold"], data["num_topics"])
