"""API v5 speed over HTTP on documents with metadata: match_counts, score_drivers
and sentiment for 50 concepts, with and without a filter, and docs/ with a
filter and a search.

    python benchmarks/v5.py --sizes 100000 1000000 [--repeats 30] [--text PATH] [--json FILE]

For each size N it makes the N sentence-length documents of benchmarks/run.py
(halves of two Siddhartha sentences of one chapter spliced together, seeded, so
the build is that of the other benchmarks), each with metadata: its chapter
(string, 12 values), a rating (score: 1 to 5, higher for documents that speak
of the river, seeded noise), a date (two years, uniformly) and a channel
(string, 3 values). It starts
`lumiwork serve` in a subprocess, uploads through API v5 in batches of 10,000,
builds, then times each question with lumiwork's V5Client on a kept-alive
connection: the first call (which finds each concept's related terms; they are
kept with the model) and then `--repeats` calls, cycling through the five
chapters for the filtered ones. The raw numbers go to benchmarks/out/ (see
record.py) unless --json names a file.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
from run import ChildPeakSampler, ServerProcess, peak_memory_mb  # noqa: E402
from run import make_corpus as sentences  # noqa: E402

from lumiwork.client.v5 import V5Client  # noqa: E402

CHANNELS = ("web", "store", "phone")
TWO_YEARS = 2 * 365 * 86400
START = 1_640_995_200  # 2022-01-01T00:00:00Z
CONCEPTS = 50
UPLOAD_BATCH = 10_000


def make_corpus(n: int, text_path=None, seed: int = 150) -> list[dict]:
    """benchmarks/run.py's N documents, each with a chapter, a rating, a date and a channel."""
    rng = random.Random(seed)
    corpus = []
    for doc in sentences(n, text_path):
        rating = min(5, max(1, round(3 + ("river" in doc["text"].lower()) + rng.gauss(0, 1))))
        corpus.append({"text": doc["text"], "metadata": [
            {"type": "string", "name": "chapter", "value": doc["subsets"][0]},
            {"type": "score", "name": "rating", "value": rating},
            {"type": "date", "name": "when", "value": START + rng.randrange(TWO_YEARS)},
            {"type": "string", "name": "channel", "value": rng.choice(CHANNELS)}]})
    return corpus


def timed(call, repeats: int) -> dict:
    """The first call's time, then the median and 90th percentile of `repeats` more (ms)."""
    start = time.perf_counter()
    call(0)
    first = (time.perf_counter() - start) * 1000
    samples = []
    for i in range(1, repeats + 1):
        start = time.perf_counter()
        call(i)
        samples.append((time.perf_counter() - start) * 1000)
    return {"first_ms": round(first, 2), "p50_ms": round(statistics.median(samples), 2),
            "p90_ms": round(float(np.percentile(samples, 90)), 2)}


def bench(n: int, repeats: int, workdir: Path, text_path=None) -> dict:
    corpus = make_corpus(n, text_path)
    server = ServerProcess(workdir)
    try:
        root = server.url.replace("/api/v4/", "/api/v5/")
        client = V5Client.connect(root, token_file=server.token_file, timeout=900)
        project = client.create_project("v5 benchmark")
        start = time.perf_counter()
        project.upload(corpus, batch_size=UPLOAD_BATCH)
        upload_s = time.perf_counter() - start
        del corpus
        start = time.perf_counter()
        with ChildPeakSampler(server.process.pid) as builder:
            project.build()
            info = project.wait_for_build(interval=0.2)
        build_s = time.perf_counter() - start
        names = [c["name"] for c in project.get("concepts", concept_selector={"type": "top", "limit": CONCEPTS})[
            "result"]]
        fifty = {"type": "specified", "concepts": [{"texts": [name]} for name in names]}
        chapters = [v["value"] for v in project.get("metadata")["result"][0]["values"]]

        def only(i):
            return [{"name": "chapter", "values": [chapters[i % len(chapters)]]}]

        results = {
            "documents": n, "upload_s": round(upload_s, 1), "build_s": round(build_s, 1),
            "build_job_s": round(info["stop_time"] - info["start_time"], 1),
            "server_peak_mb": round(peak_memory_mb(server.process.pid)), "builder_peak_mb": round(builder.peak_mb),
        }
        questions = {
            "match_counts": lambda i, f: project.get("concepts/match_counts", concept_selector=fifty, filter=f),
            "score_drivers": lambda i, f: project.get("concepts/score_drivers", score_field="rating",
                                                      concept_selector=fifty, filter=f),
            "sentiment": lambda i, f: project.get("concepts/sentiment", concept_selector=fifty, filter=f),
        }
        for name, ask in questions.items():
            results[f"{name} (50 concepts)"] = timed(lambda i, ask=ask: ask(i, None), repeats)
            results[f"{name} (50 concepts, filter)"] = timed(lambda i, ask=ask: ask(i, only(i)), repeats)
        searches = ["river", "the ferryman", "love", "money", "teacher", "smile", "voice of the river"]
        results["docs (filter + search, 20 docs)"] = timed(
            lambda i: project.get("docs", filter=only(i), search={"texts": [searches[i % len(searches)]]}, limit=20),
            repeats)
        results["docs (filter + search, 20 docs, title and text)"] = timed(
            lambda i: project.get("docs", filter=only(i), search={"texts": [searches[i % len(searches)]]}, limit=20,
                                  fields=["doc_id", "title", "text", "match_score"]), repeats)
        results["docs (filter only, 20 docs)"] = timed(
            lambda i: project.get("docs", filter=only(i), offset=i * 20, limit=20), repeats)
        return results
    finally:
        server.stop()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--text", help="the Siddhartha text (default: $LUMIWORK_SIDDHARTHA or ../shared/data/)")
    parser.add_argument("--json", help=record.JSON_HELP)
    args = parser.parse_args(argv)
    runs = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as workdir:
            found = bench(n, args.repeats, Path(workdir), args.text)
        runs.append(found)
        for key, value in found.items():
            print(f"{n:>9,} {key}: {value}", flush=True)
    record.write({"machine": record.machine(), "runs": runs}, args.json, "v5")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
