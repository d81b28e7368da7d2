"""Semantic quality of the Siddhartha demo per install path and per splitting of
the text: the tables of benchmarks/knowledge-results.md.

    .venv/bin/python benchmarks/knowledge.py [--text ../shared/data/siddhartha.txt] [--json FILE]
                                             [--paths own pip wordnet thesauri] [--splittings ...]

Install paths (what general knowledge a build gets):
- own: the project's own text only (no background);
- pip: what `pip install lumiwork` gives (GloVe 6B 50d), no Debian package;
- wordnet: GloVe retrofitted to WordNet 3.0 (Debian wordnet-base);
- thesauri: the same plus the English LibreOffice thesaurus (Debian mythes-en-us).

Splittings (lumiwork.engine.evaluation.SPLITTINGS): the suite's own sentences,
quotations joined to their narration, and a plain splitter that cuts at every
stop. Each figure is reported for every splitting, with its spread.

- river@20, coconut@20: how many of the cookbook's own neighbour lists
  (../shared/seeds/analytics-api-examples.txt) are among the 20 nearest terms
  (counted on lemmas: 9 distinct lemmas each);
- river*@20, coconut*@20: the same for the gold lists RIVER_GOLD and
  COCONUT_GOLD below (9 lemmas each);
- MRR: tests/data/heldout-neighbours.tsv (55 pairs fixed before tuning);
- each of those also "with repeats": phrases containing the query kept among
  its neighbours (related_terms without `without_phrases_of`);
- thoughtful: "thoughtful" against the chapter 1 and 8 means;
- build: seconds of build_model with the background already loaded.

    .venv/bin/python benchmarks/knowledge.py --build 100000 [--runs 4] [--cache DIR]

times build_model at that many documents (benchmarks/run.py's spliced
Siddhartha sentences) with every installed source, the background cached,
after one warm-up build; it uses only `load_or_build(folder)` and
`build_model`, so an older checkout can be timed the same way by pointing
PYTHONPATH at it (each run records the package it timed).

Both modes print their rows and write them to benchmarks/out/ (see record.py)
unless --json names a file.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lumiwork.engine import build_model

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

try:  # not in checkouts older than these measurements, which --build can still time
    from lumiwork.engine.evaluation import SPLITTINGS, hits_at, mean_reciprocal_rank, read_pairs, siddhartha_split
except ImportError:
    SPLITTINGS = ("suite",)

REPO = Path(__file__).resolve().parents[1]
RIVER = {"flowed", "rainy", "transported", "ferried across", "stream", "middle", "laughed",
         "reached the large", "sequence"}
COCONUT = {"eat", "food", "meat", "prepared", "bread", "house", "room", "ate", "treated", "fruit"}
# Gold lists of river's and coconut's neighbours in Siddhartha beside the
# cookbook's (the river* and coconut* columns of knowledge-results.md).
RIVER_GOLD = {"ferryman", "water", "flow", "stream", "boat", "bank", "ferry", "shore", "cross"}
COCONUT_GOLD = {"food", "eat", "meat", "fruit", "tree", "palm", "nut", "milk", "bread"}
PATHS = ("own", "pip", "wordnet", "thesauri")


def background_for(path: str, cache: Path):
    """The background of an install path (None for the project's own text)."""
    from lumiwork.engine import background as background_space

    if path == "own":
        return None
    sources = {"pip": ("glove",), "wordnet": ("glove", "wordnet"),
               "thesauri": ("glove", "wordnet", "thesaurus")}[path]
    return background_space.load_or_build(cache, sources=sources)


def thoughtful(model) -> dict[str, float]:
    vector = model.vector_for_text("thoughtful")
    return {name.split(":")[0]: round(float(model.subset_means[i] @ vector), 3)
            for i, name in enumerate(model.subset_names)
            if name.split(":")[0] in ("Chapter 1", "Chapter 8")}


def measure(docs, background) -> dict:
    start = time.perf_counter()
    model = build_model(docs, background=background)
    seconds = time.perf_counter() - start
    pairs = read_pairs(REPO / "tests" / "data" / "heldout-neighbours.tsv")
    row = {
        "documents": len(docs), "terms": len(model.terms),
        "river@20": hits_at(model, "river", RIVER, 20),
        "coconut@20": hits_at(model, "coconut", COCONUT, 20),
        "river*@20": hits_at(model, "river", RIVER_GOLD, 20),
        "coconut*@20": hits_at(model, "coconut", COCONUT_GOLD, 20),
        "mrr": round(mean_reciprocal_rank(model, pairs), 3),
        # the same with phrases that repeat the query kept among the neighbours
        "river@20 with repeats": hits_at(model, "river", RIVER, 20, drop_repeats=False),
        "coconut@20 with repeats": hits_at(model, "coconut", COCONUT, 20, drop_repeats=False),
        "mrr with repeats": round(mean_reciprocal_rank(model, pairs, drop_repeats=False), 3),
        "thoughtful": thoughtful(model),
        "build_seconds": round(seconds, 2),
    }
    noise = getattr(model, "noise_floor", None)
    if noise is not None:
        row["noise_floor"] = round(float(noise), 3)
    return row


def spread(rows: list[dict], key: str) -> str:
    values = [row[key] for row in rows]
    return f"{min(values)}-{max(values)} (median {statistics.median(values)})"


def time_builds(text: str, size: int, runs: int, cache: str | None) -> dict:
    from run import make_corpus

    import lumiwork
    from lumiwork.engine import background as background_space

    with tempfile.TemporaryDirectory() as temporary:
        background = background_space.load_or_build(Path(cache or temporary))
    docs = [{**doc, "_id": str(i)} for i, doc in enumerate(make_corpus(size, text))]
    build_model(docs[:2000], background=background)  # warm-up: lemma caches, imports
    seconds, builds = [], []
    for _ in range(runs):
        start = time.perf_counter()
        model = build_model(docs, background=background)
        seconds.append(time.perf_counter() - start)
        builds.append({"package": str(Path(lumiwork.__file__).parent), "documents": size,
                       "seconds": round(seconds[-1], 2),
                       "stages": {k: round(v, 2) for k, v in model.timings.items()}})
        print(json.dumps(builds[-1]), flush=True)
    print(f"median {statistics.median(seconds):.2f} s over {runs} builds")
    return {"machine": record.machine(), "builds": builds, "median_seconds": round(statistics.median(seconds), 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--text", default=str(REPO.parent / "shared" / "data" / "siddhartha.txt"))
    parser.add_argument("--paths", nargs="+", default=list(PATHS), choices=PATHS)
    parser.add_argument("--splittings", nargs="+", default=list(SPLITTINGS), choices=SPLITTINGS)
    parser.add_argument("--cache", help="background cache folder (default: a temporary one)")
    parser.add_argument("--json", help=record.JSON_HELP)
    parser.add_argument("--build", type=int, help="only time builds of this many documents")
    parser.add_argument("--runs", type=int, default=4, help="builds to time with --build")
    args = parser.parse_args(argv)
    if args.build:
        record.write(time_builds(args.text, args.build, args.runs, args.cache), args.json, "knowledge")
        return 0
    splits = {name: siddhartha_split(args.text, name) for name in args.splittings}
    result: dict = {"machine": record.machine(), "rows": []}
    with tempfile.TemporaryDirectory() as temporary:
        cache = Path(args.cache or temporary)
        for path in args.paths:
            start = time.perf_counter()
            background = background_for(path, cache)
            loaded = time.perf_counter() - start
            rows = []
            for name, docs in splits.items():
                row = {"path": path, "splitting": name, **measure(docs, background)}
                rows.append(row)
                print(json.dumps(row), flush=True)
            result["rows"].extend(rows)
            summary = {key: spread(rows, key) for key in ("river@20", "coconut@20", "mrr")}
            print(f"{path}: background {loaded:.2f} s; " + "; ".join(f"{k} {v}" for k, v in summary.items()),
                  flush=True)
    record.write(result, args.json, "knowledge")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
