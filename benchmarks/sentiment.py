"""Document sentiment (API v5) on labelled review sentences: the split and
labels of tests/data/v5-sentiment-split.md, fixed before any tuning.

    .venv/bin/python benchmarks/sentiment.py [--tune] [--json FILE]

Builds one model from all 3,708 review sentences (without their ratings), scores
every sentence with and without the project's domain expansion, and reports on
the held-out reviews: accuracy and macro-F1 of the three labels (positive,
neutral, negative) with the settings of lumiwork/engine/classify/doc_sentiment.py,
and the Spearman correlation of the compound with the mean human rating; the
Compass classifier's default (threshold 0.4, no expansion) is the baseline.

--tune searches the threshold and the expansion on the tuning reviews only and
prints the best, to be written into doc_sentiment.py; it never reads the held-out
reviews. The raw numbers go to benchmarks/out/ (see record.py) unless --json names a file.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from lumiwork.datasets import review_sentences
from lumiwork.engine import background as background_space
from lumiwork.engine import build_model
from lumiwork.engine.classify import doc_sentiment

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

LABEL_AT = 1.0  # |mean rating| from which a sentence is positive or negative (the split file)
LABEL_NAMES = ("negative", "neutral", "positive")


def human_labels(ratings: np.ndarray) -> np.ndarray:
    return np.where(ratings >= LABEL_AT, 1, np.where(ratings <= -LABEL_AT, -1, 0)).astype(np.int8)


def is_tuning(sentence_id: str) -> bool:
    return int(sentence_id.split("_")[0]) % 4 == 0


def scores(predicted: np.ndarray, truth: np.ndarray) -> dict:
    """Accuracy and macro-F1 of three labels."""
    f1s = []
    for label in (-1, 0, 1):
        tp = np.count_nonzero((predicted == label) & (truth == label))
        precision = tp / max(np.count_nonzero(predicted == label), 1)
        recall = tp / max(np.count_nonzero(truth == label), 1)
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    return {"accuracy": round(float(np.mean(predicted == truth)), 3), "macro_f1": round(float(np.mean(f1s)), 3),
            "f1": {name: round(float(value), 3) for name, value in zip(LABEL_NAMES, f1s)}, "n": int(len(truth))}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tune", action="store_true", help="search the settings on the tuning reviews only")
    parser.add_argument("--json", help=record.JSON_HELP)
    args = parser.parse_args(argv)
    rows = review_sentences()
    ids = [row[0] for row in rows]
    ratings = np.array([row[1] for row in rows])
    texts = [row[2] for row in rows]
    truth = human_labels(ratings)
    tuning = np.array([is_tuning(i) for i in ids])
    background = background_space.load_or_build(Path(os.environ.get("LUMIWORK_BACKGROUND_DIR", "/tmp/lumiwork-bg")))
    model = build_model([{"_id": str(i), "text": text} for i, text in enumerate(texts)], background=background)
    plain = doc_sentiment.compounds(model, texts, domain={})
    expanded = doc_sentiment.compounds(model, texts, domain=doc_sentiment.expand_domain(model)[0])
    if args.tune:
        best = None
        for expansion, compound in (("off", plain), ("on", expanded)):
            for threshold in np.round(np.arange(0.05, 0.71, 0.05), 2):
                found = scores(doc_sentiment.labels(compound[tuning], threshold), truth[tuning])
                print(f"tuning reviews: expansion {expansion}, threshold {threshold:.2f}: {found}")
                key = (found["macro_f1"], found["accuracy"])
                if best is None or key > best[0]:
                    best = (key, expansion, float(threshold))
        assert best is not None
        print(f"best on the tuning reviews: expansion {best[1]}, threshold {best[2]:.2f}, macro-F1 {best[0][0]}")
        return 0
    held_out = ~tuning
    chosen = expanded if doc_sentiment.DOMAIN_EXPANSION else plain
    result = {
        "machine": record.machine(),
        "settings": {"threshold": doc_sentiment.THRESHOLD, "domain_expansion": doc_sentiment.DOMAIN_EXPANSION},
        "held_out": {**scores(doc_sentiment.labels(chosen[held_out]), truth[held_out]),
                     "spearman": round(float(spearmanr(chosen[held_out], ratings[held_out]).statistic), 3)},
        "baseline_compass_default": {
            **scores(doc_sentiment.labels(plain[held_out], 0.4), truth[held_out]),
            "spearman": round(float(spearmanr(plain[held_out], ratings[held_out]).statistic), 3)},
        "domain_terms": len(doc_sentiment.expand_domain(model)[0]),
    }
    print(result["settings"])
    print("held-out reviews:", result["held_out"])
    print("baseline (threshold 0.4, no expansion):", result["baseline_compass_default"])
    record.write(result, args.json, "sentiment")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
