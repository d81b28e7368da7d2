"""Classifier quality on the held-out sets of tests/data/classify-* (fixed 2026-11-25,
before tuning) and classification speed, on the Siddhartha model.

    PYTHONPATH=. python benchmarks/classifiers.py [--background-dir DIR] [--json FILE]

It prints what it measures; the same numbers go to benchmarks/out/ (see
record.py) unless --json names a file.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from lumiwork.datasets import siddhartha
from lumiwork.engine import background, build_model
from lumiwork.engine.classify import SentimentClassifier, TopicClassifier, VotingClassifier, prepare

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

DATA = Path(__file__).resolve().parents[1] / "tests" / "data"
CHAPTERS = ["Chapter 1: THE SON OF THE BRAHMAN", "Chapter 5: KAMALA", "Chapter 8: BY THE RIVER",
            "Chapter 10: THE SON"]


def rows(name):
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


def chapter_split(documents):
    train, test = [], []
    for chapter in CHAPTERS:
        sentences = [d["text"] for d in documents if chapter in d.get("subsets", [])]
        for k, text in enumerate(sentences):
            (test if k % 4 == 3 else train).append((text, chapter))
    return train, test


def topic_quality_by_source(documents, cache: Path, topics: list[dict]) -> dict:
    """The topic-based classifier of the four themes with every installed source of
    general knowledge, with GloVe alone, and with none: top-1 accuracy and accuracy
    at thresholds 0.3 and 0.4 over the 72 held-out on-topic sentences
    (classify-topics.tsv, -heldout-2, -heldout-3), and how many of the 60 held-out
    off-domain texts (compass-off-domain.tsv, -2) are classified."""
    on_topic = ([(text, title) for kind, title, text in rows("classify-topics.tsv") if kind == "text"]
                + [(text, title) for _, title, text in rows("classify-topics-heldout-2.tsv")]
                + [(text, title) for _, title, text in rows("classify-topics-heldout-3.tsv")])
    off_domain = [text for name in ("compass-off-domain.tsv", "compass-off-domain-2.tsv") for _, text in rows(name)]
    found = {}
    for label, sources in (("every source", None), ("GloVe alone", ("glove",)), ("none", "none")):
        knowledge = None if sources == "none" else background.load_or_build(cache, sources=sources)
        model = build_model(documents, background=knowledge)
        model.attach_background(knowledge)
        entry: dict = {}
        for threshold in (0.3, 0.4):
            classifier = TopicClassifier.build(model, topics, threshold=threshold)
            report = classifier.test(model, [t for t, _ in on_topic], [t for _, t in on_topic])
            classified = sum(1 for hit in classifier.classify(model, off_domain) if hit[0].name != "UNCLASSIFIED")
            entry["top1_accuracy"] = round(float(report.top1_accuracy), 3)
            entry[f"accuracy_at_{threshold}"] = round(float(report.accuracy), 3)
            entry[f"off_domain_classified_at_{threshold}"] = f"{classified}/{len(off_domain)}"
        print(f"topic-based, general knowledge {label}: {entry}")
        found[label] = entry
    return found


def timed(function, repeat=5):
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        best = min(best, time.perf_counter() - start)
    return best


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--background-dir", default=None)
    parser.add_argument("--json", help=record.JSON_HELP)
    args = parser.parse_args()
    result: dict = {"machine": record.machine()}
    documents = [{**d, "_id": str(i)} for i, d in enumerate(siddhartha())]
    cache = Path(args.background_dir or tempfile.mkdtemp(prefix="lumiwork-bg-"))
    knowledge = background.load_or_build(cache)
    model = build_model(documents, background=knowledge)
    model.attach_background(knowledge)  # as the server does: words only general knowledge knows count

    train, test = chapter_split(documents)
    start = time.perf_counter()
    voting = VotingClassifier.train(model, [t for t, _ in train], [label for _, label in train])
    train_seconds = time.perf_counter() - start
    texts, labels = [t for t, _ in test], [label for _, label in test]
    report = voting.test(model, texts, labels)
    per_voter = voting.voter_probabilities(model, texts)
    majority = max(labels.count(c) for c in CHAPTERS) / len(labels)
    voters: dict[str, float] = {}
    print(f"voting: {len(train)} train / {len(test)} held out, trained in {train_seconds:.2f} s")
    print(f"  top-1 accuracy {report.top1_accuracy:.3f}, accuracy at threshold 0.4 {report.accuracy:.3f}; "
          f"chance: majority {majority:.3f}, uniform 0.250")
    for name, probabilities in per_voter.items():
        accuracy = np.mean(np.array(voting.topics)[probabilities.argmax(axis=1)] == np.array(labels))
        print(f"  voter {name}: {accuracy:.3f}")
        voters[name] = round(float(accuracy), 3)
    result["voting"] = {"train": len(train), "held_out": len(test), "train_seconds": round(train_seconds, 2),
                        "top1_accuracy": round(float(report.top1_accuracy), 3),
                        "accuracy_at_0.4": round(float(report.accuracy), 3), "majority_chance": round(majority, 3),
                        "voters_top1": voters}

    topic_rows = rows("classify-topics.tsv")
    topics = [{"title": title, "info": info} for kind, title, info in topic_rows if kind == "topic"]
    topic_texts = [text for kind, _, text in topic_rows if kind == "text"]
    topic_labels = [title for kind, title, _ in topic_rows if kind == "text"]
    start = time.perf_counter()
    topic_classifier = TopicClassifier.build(model, topics)
    calibration_seconds = time.perf_counter() - start
    print(f"topic-based: calibrated in {calibration_seconds:.2f} s: {topic_classifier.calibration}")
    report = topic_classifier.test(model, topic_texts, topic_labels)
    print(f"  {len(topic_texts)} sentences without operand words: top-1 {report.top1_accuracy:.3f}, "
          f"accuracy at threshold 0.4 {report.accuracy:.3f}, chance 0.250")
    misses = [m for m in report.messages if m["label"] not in m["predicted"]]
    for message in misses:
        print(f"    miss: {message['text']!r} -> {message['predicted']} ({message['topics'][0]})")
    result["topic_based"] = {"sentences": len(topic_texts), "top1_accuracy": round(float(report.top1_accuracy), 3),
                             "accuracy_at_0.4": round(float(report.accuracy), 3),
                             "calibration_seconds": round(calibration_seconds, 2),
                             "misses": [m["text"] for m in misses]}

    result["topic_based_by_source"] = topic_quality_by_source(documents, cache, topics)

    sentiment_labels, sentiment_texts = zip(*rows("classify-sentiment.tsv"))
    plain = SentimentClassifier.build(model, "sentiment_combined")
    expanded = SentimentClassifier.build(model, "sentiment_combined", domain_expansion=True)
    print(f"sentiment: {len(sentiment_texts)} sentences; expansion found {len(expanded.domain_terms)} "
          f"domain terms, {len(expanded.term_conflicts)} conflicts")
    result["sentiment"] = {"sentences": len(sentiment_texts), "domain_terms": len(expanded.domain_terms),
                           "conflicts": len(expanded.term_conflicts)}
    for name, classifier in (("lexicon", plain), ("lexicon + domain expansion", expanded)):
        report = classifier.test(model, list(sentiment_texts), list(sentiment_labels))
        print(f"  combined, {name}: accuracy {report.accuracy:.3f} (majority chance 0.375)")
        result["sentiment"][f"accuracy, {name}"] = round(float(report.accuracy), 3)
    try:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer
        analyzer = SentimentIntensityAnalyzer()
        for cut in (0.05, 0.4):
            predicted = ["positive" if c >= cut else "negative" if c <= -cut else "neutral"
                         for c in (analyzer.polarity_scores(t)["compound"] for t in sentiment_texts)]
            accuracy = np.mean(np.array(predicted) == np.array(sentiment_labels))
            print(f"  reference: full VADER analyzer at +-{cut}: {accuracy:.3f}")
            result["sentiment"][f"accuracy, full VADER analyzer at +-{cut}"] = round(float(accuracy), 3)
    except ImportError:
        pass

    batch = (texts * 10)[:1000]
    three = [voting, topic_classifier, expanded]

    def classify_all(messages):
        prepared = prepare(model, messages)
        return [classifier.classify(model, prepared) for classifier in three]

    one = timed(lambda: classify_all(batch[:1]), repeat=50)
    thousand = timed(lambda: classify_all(batch), repeat=3)
    prepare_seconds = timed(lambda: prepare(model, batch), repeat=3)
    prepared = prepare(model, batch)
    print(f"speed: one message, 3 classifiers: {one * 1000:.2f} ms; 1,000 messages: {thousand:.3f} s = "
          f"{1000 / thousand:,.0f} messages/s (prepare alone {prepare_seconds:.3f} s)")
    result["speed"] = {"one_message_ms": round(one * 1000, 2), "thousand_messages_s": round(thousand, 3),
                       "messages_per_s": round(1000 / thousand), "prepare_1000_s": round(prepare_seconds, 3)}
    for classifier in three:
        seconds = timed(lambda c=classifier: c.classify(model, prepared), repeat=3)
        print(f"  {type(classifier).__name__}: {seconds * 1000:.1f} ms per 1,000 prepared messages")
        result["speed"][f"{type(classifier).__name__}_ms_per_1000_prepared"] = round(seconds * 1000, 1)
    record.write(result, args.json, "classifiers")


if __name__ == "__main__":
    main()
