"""Semantic quality on the cookbook's Siddhartha project, with and without
background knowledge: the numbers of benchmarks/RESULTS.md.

    .venv/bin/python benchmarks/quality.py [--text ../shared/data/siddhartha.txt] [--json FILE]

- river@20, coconut@20: how many of the cookbook's own neighbour lists
  (../shared/seeds/analytics-api-examples.txt) are among the 20 nearest terms;
- held-out MRR: tests/data/heldout-neighbours.tsv (fixed before tuning);
- chapters: how many of the 12 chapter-mean vectors find a sentence of their
  own chapter first;
- thoughtful: the cookbook's text against chapters 1 and 12 (and 8);
- build time and peak memory of the whole process.

The raw numbers go to benchmarks/out/ (see record.py) unless --json names a file.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from lumiwork.datasets import siddhartha
from lumiwork.engine import background as background_space
from lumiwork.engine import build_model
from lumiwork.engine.evaluation import hits_at, mean_reciprocal_rank, read_pairs

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
RIVER = {"flowed", "rainy", "transported", "ferried across", "stream", "middle", "laughed",
         "reached the large", "sequence"}
COCONUT = {"eat", "food", "meat", "prepared", "bread", "house", "room", "ate", "treated", "fruit"}


def chapters_found(model) -> int:
    """Chapter means whose nearest document is in that chapter."""
    found = 0
    for index, name in enumerate(model.subset_names):
        if not name.startswith("Chapter"):
            continue
        best = int(np.argmax(model.doc_vectors @ model.subset_means[index]))
        found += bool(model.membership[best, index])
    return found


def thoughtful(model) -> dict[str, float]:
    vector = model.vector_for_text("thoughtful")
    return {name.split(":")[0]: round(float(model.subset_means[i] @ vector), 3)
            for i, name in enumerate(model.subset_names)
            if name.split(":")[0] in ("Chapter 1", "Chapter 8", "Chapter 12")}


def measure(docs, background, label: str) -> dict:
    start = time.perf_counter()
    model = build_model(docs, background=background)
    seconds = time.perf_counter() - start
    pairs = read_pairs(REPO / "tests" / "data" / "heldout-neighbours.tsv")
    return {
        "space": label, "terms": len(model.terms),
        "river@20": hits_at(model, "river", RIVER, 20),
        "coconut@20": hits_at(model, "coconut", COCONUT, 20),
        "heldout_mrr": round(mean_reciprocal_rank(model, pairs), 3),
        "chapters_found": chapters_found(model),
        "thoughtful": thoughtful(model),
        "build_seconds": round(seconds, 2),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--text", default=str(REPO.parent / "shared" / "data" / "siddhartha.txt"))
    parser.add_argument("--json", help=record.JSON_HELP)
    args = parser.parse_args(argv)
    docs = [{**d, "_id": str(i)} for i, d in enumerate(siddhartha(args.text))]
    rows = [measure(docs, None, "project text only")]
    with tempfile.TemporaryDirectory() as cache:
        start = time.perf_counter()
        background = background_space.load_or_build(Path(cache))
        first = time.perf_counter() - start
        start = time.perf_counter()
        background = background_space.load_or_build(Path(cache))
        cached = time.perf_counter() - start
    rows.append(measure(docs, background, "blended with background"))
    result = {"machine": record.machine(), "rows": rows, "background_first_build_seconds": round(first, 2),
              "background_cached_load_seconds": round(cached, 3),
              "peak_memory_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}
    for row in rows:
        print(row)
    print({k: v for k, v in result.items() if k not in ("rows", "machine")})
    record.write(result, args.json, "quality")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
