"""Compass classifiers on the semantic engine: topic-based (boolean concept topics),
voting (supervised ensemble) and sentiment (combined / split / custom, with domain
expansion). No HTTP, no database: every classifier is built from a Model, classifies
texts against it, and round-trips through plain JSON-able data (`to_data` /
`classifier_from_data`).

    messages = prepare(model, texts)              # tokenize once for every classifier
    classifier.classify(model, messages)          # [[TopicScore(name, score)], ...]
    classifier.scores(model, messages)            # (messages, topics) in [0, 1]
    classifier.test(model, texts, labels)         # TestReport(accuracy, top1_accuracy, messages)
"""
from __future__ import annotations

from .base import ALL, UNCLASSIFIED, TestReport, TopicScore
from .messages import Messages, prepare
from .sentiment import ALIASES, KINDS, SentimentClassifier, expand_domain, general_lexicon
from .syntax import And, Node, Not, Operand, Or, TopicSyntaxError, operands, parse_topic
from .topic_based import Calibration, Topic, TopicClassifier, calibrate
from .voting import VotingClassifier

Classifier = TopicClassifier | VotingClassifier | SentimentClassifier


def classifier_from_data(data: dict) -> Classifier:
    """Rebuild any classifier from its `to_data()`; raises ValueError for an unknown type."""
    kind = data.get("type")
    if kind == TopicClassifier.kind:
        return TopicClassifier.from_data(data)
    if kind == VotingClassifier.kind:
        return VotingClassifier.from_data(data)
    if kind in KINDS or kind in ALIASES:
        return SentimentClassifier.from_data(data)
    raise ValueError(f"unknown classifier type {kind!r}")


__all__ = ["ALL", "UNCLASSIFIED", "And", "Calibration", "Classifier", "Messages", "Node", "Not",
           "Operand", "Or", "SentimentClassifier", "TestReport", "Topic", "TopicClassifier",
           "TopicScore", "TopicSyntaxError", "VotingClassifier", "calibrate", "classifier_from_data",
           "expand_domain", "general_lexicon", "operands", "parse_topic", "prepare"]
