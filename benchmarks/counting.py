"""Counting-stage throughput: in process against a dask LocalCluster.

    python benchmarks/counting.py --sizes 100000 1000000 [--modes process dask] [--json FILE]

"Counting" is the build's tokenize -> terms -> association stages (words, phrases,
vocabulary, document-term rows, windowed co-occurrence and its PPMI), the part
of `build_model` that `lumiwork.engine.counting` does chunk by chunk. For each
size N and mode, a fresh Python process makes N documents with run.py's
`make_corpus`, warms up on 200 of them (imports, wordfreq, the lemma cache's
first words), then counts all N and reports wall and CPU seconds per stage,
documents per second and its peak resident memory (getrusage maxrss, so one
process per run). In `dask` mode the same chunk functions run on a
LocalCluster of `--workers` single-threaded worker processes; the cluster's
start-up and a bare scatter of the texts (the serialisation a run pays to ship
them) are timed separately, and the workers' peak memory is read from each.
Both modes print a fingerprint of the counts; equal fingerprints mean
bit-identical vocabulary, counts and matrices. The raw numbers go to
benchmarks/out/ (see record.py) unless --json names a file.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def fingerprint(counted) -> str:
    digest = hashlib.sha256()
    digest.update("\n".join(counted.terms).encode())
    digest.update("\n".join(counted.display_texts()).encode())
    for array in (counted.counts, counted.doc_lengths, counted.cooccurrence.indptr, counted.cooccurrence.indices,
                  counted.cooccurrence.data, counted.doc_terms.indptr, counted.doc_terms.indices,
                  counted.doc_terms.data):
        digest.update(array.tobytes())
    return digest.hexdigest()[:16]


def run_one(n: int, mode: str, workers: int, chunk_docs: int, text: str | None) -> dict:
    """One measurement, in this (fresh) process."""
    from run import make_corpus

    from lumiwork.engine import counting, space

    texts = [doc["text"] for doc in make_corpus(n, text)]
    result: dict = {"documents": n, "mode": mode, "chunk_docs": chunk_docs, "text_mb": sum(map(len, texts)) / 1e6,
                    "corpus_peak_mb": peak_mb()}
    runner = None
    cluster = client = None
    if mode == "dask":
        from distributed import Client, LocalCluster

        from lumiwork.engine.dask_counting import DaskRunner
        start = time.perf_counter()
        cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        result["cluster_start_s"] = time.perf_counter() - start
        runner = DaskRunner(client)
        chunks = [counting.join_texts(texts[i:i + chunk_docs]) for i in range(0, len(texts), chunk_docs)]
        start = time.perf_counter()
        futures = client.scatter(chunks, hash=False)
        client.gather(client.map(len, futures))  # wait until every chunk has arrived
        result["scatter_texts_s"] = time.perf_counter() - start
        del futures, chunks
    counting.count_corpus(texts[:200], runner=runner, chunk_docs=chunk_docs)  # warm-up

    marks: dict[str, tuple[float, float]] = {}

    def stage(name: str) -> None:
        marks[name] = (time.perf_counter(), time.process_time())

    stage("tokenize")
    counted = counting.count_corpus(texts, runner=runner, chunk_docs=chunk_docs, stage=stage)
    space.ppmi(counted.cooccurrence)
    stage("done")
    names = list(marks)
    result["stages_s"] = {a: marks[b][0] - marks[a][0] for a, b in zip(names, names[1:])}
    result["stages_cpu_s"] = {a: marks[b][1] - marks[a][1] for a, b in zip(names, names[1:])}
    result["counting_s"] = marks["done"][0] - marks["tokenize"][0]
    result["documents_per_s"] = n / result["counting_s"]
    result["words"] = counted.total_words
    result["terms"] = len(counted.terms)
    result["cooccurrence_nnz"] = counted.cooccurrence.nnz
    result["fingerprint"] = fingerprint(counted)
    result["peak_mb"] = peak_mb()
    if client is not None:
        result["worker_peak_mb"] = sorted(client.run(peak_mb).values())
        client.close()
        cluster.close()
    return result


def markdown(results: list[dict]) -> str:
    lines = ["| documents | mode | tokenize s | terms s | association s | counting s | documents/s "
             "| peak MB (driver) | worker peak MB | cluster start s | scatter texts s | fingerprint |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in results:
        stages = r["stages_s"]
        workers = " / ".join(f"{mb:,.0f}" for mb in r.get("worker_peak_mb", [])) or "–"
        lines.append(
            f"| {r['documents']:,} | {r['mode']} | {stages['tokenize']:.2f} | {stages['terms']:.2f} "
            f"| {stages['association']:.2f} | {r['counting_s']:.2f} | {r['documents_per_s']:,.0f} "
            f"| {r['peak_mb']:,.0f} | {workers} | {r.get('cluster_start_s', 0):.1f} "
            f"| {r.get('scatter_texts_s', 0):.2f} | `{r['fingerprint']}` |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--modes", nargs="+", default=["process", "dask"], choices=["process", "dask"])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--chunk-docs", type=int, default=None)
    parser.add_argument("--text", default=os.environ.get("LUMIWORK_SIDDHARTHA"))
    parser.add_argument("--json", help=record.JSON_HELP)
    parser.add_argument("--one", nargs=2, metavar=("N", "MODE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.chunk_docs is None:
        from lumiwork.engine.counting import CHUNK_DOCS
        args.chunk_docs = CHUNK_DOCS
    if args.one:
        print(json.dumps(run_one(int(args.one[0]), args.one[1], args.workers, args.chunk_docs, args.text)))
        return 0
    results = []
    for n in args.sizes:
        for mode in args.modes:
            command = [sys.executable, __file__, "--one", str(n), mode, "--workers", str(args.workers),
                       "--chunk-docs", str(args.chunk_docs)] + (["--text", args.text] if args.text else [])
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode:
                print(done.stderr[-3000:], file=sys.stderr)
                return 1
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
            print(f"N={n:,} {mode}: {results[-1]['counting_s']:.1f} s", file=sys.stderr, flush=True)
    prints = {}
    for r in results:
        prints.setdefault(r["documents"], set()).add(r["fingerprint"])
    identical = {n: len(found) == 1 for n, found in prints.items()}
    record.write({"machine": record.machine(), "results": results, "identical_across_modes": identical},
                 args.json, "counting")
    print(markdown(results))
    print("\nidentical counts across modes: " + ", ".join(f"{n:,}: {same}" for n, same in identical.items()))
    return 0 if all(identical.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
