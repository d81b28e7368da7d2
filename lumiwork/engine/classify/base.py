"""What every classifier shares: topic scores, the threshold / num_topics rule, the
UNCLASSIFIED label and the `test/` report (compass-api-2019.txt, "Classify" and "test/")."""
from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ...wire.names import UNCLASSIFIED

ALL = "ALL"  # num_topics: return every topic at or above the threshold


@dataclass(frozen=True)
class TopicScore:
    """One topic assigned to a message; score in [0, 1] (0 for UNCLASSIFIED)."""
    name: str
    score: float

    def to_dict(self) -> dict:
        return {"name": self.name, "score": self.score}


def ranked(names: Sequence[str], scores: np.ndarray) -> list[TopicScore]:
    """Every topic with its score, highest first (ties keep the topics' order)."""
    order = np.argsort(-scores, kind="stable")
    return [TopicScore(names[i], round(float(scores[i]), 6)) for i in order]


def assign(names: Sequence[str], scores: np.ndarray, threshold: float,
           num_topics: int | str = 1) -> list[TopicScore]:
    """The top `num_topics` topics (or ALL) scoring at or above `threshold`, else
    [UNCLASSIFIED with score 0], as the Compass docs define classification."""
    chosen = [topic for topic in ranked(names, scores) if topic.score >= threshold]
    if num_topics != ALL:
        chosen = chosen[:int(num_topics)]
    return chosen or [TopicScore(UNCLASSIFIED, 0.0)]


def check_num_topics(num_topics: int | str) -> int | str:
    if num_topics == ALL:
        return ALL
    if isinstance(num_topics, bool) or not isinstance(num_topics, int) or num_topics < 1:
        raise ValueError(f"num_topics must be a positive integer or 'ALL', not {num_topics!r}")
    return num_topics


def check_unit(name: str, value: Any, low: float = 0.0, high: float = 1.0) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
        raise ValueError(f"{name} must be a number between {low} and {high}, not {value!r}")
    return float(value)


@dataclass
class TestReport:
    """The `test/` answer: accuracy in [0, 1] (a message counts when its label is among
    the topics it was classified into) and, per message, every topic ranked by score."""
    accuracy: float
    top1_accuracy: float     # label is the highest-scoring topic, threshold ignored
    messages: list[dict]

    __test__ = False  # not a pytest class

    def to_dict(self) -> dict:
        return {"accuracy": self.accuracy, "top1_accuracy": self.top1_accuracy, "messages": self.messages}


def make_test_report(names: Sequence[str], scores: np.ndarray, assigned: list[list[TopicScore]],
                texts: Sequence[str], labels: Sequence[str]) -> TestReport:
    """Accuracy and per-message topics from a (n, topics) score matrix."""
    if len(texts) != len(labels):
        raise ValueError(f"{len(texts)} texts but {len(labels)} labels")
    messages, correct, top1 = [], 0, 0
    for i, (text, label) in enumerate(zip(texts, labels)):
        topics = ranked(names, scores[i])
        correct += label in {topic.name for topic in assigned[i]}
        top1 += bool(topics) and topics[0].name == label
        messages.append({"text": text, "label": label,
                         "predicted": [topic.name for topic in assigned[i]],
                         "topics": [topic.to_dict() for topic in topics]})
    total = max(len(texts), 1)
    return TestReport(correct / total, top1 / total, messages)
