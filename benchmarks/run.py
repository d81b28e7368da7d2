"""Build and query speed of lumiwork at several corpus sizes, beside scikit-learn.

    python benchmarks/run.py --sizes 1000 10000 100000 [--json FILE]

For each size N it makes a corpus of N sentence-length documents from the
Siddhartha text (halves of two sentences of one chapter spliced together, seeded),
starts `lumiwork serve` in a subprocess, uploads, recalculates and queries it
over HTTP, and fits the scikit-learn LSA pipeline on the same documents.
The raw numbers go to benchmarks/out/ (see record.py) unless --json names a file.
"""
from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import record
import requests

from lumiwork import vectors
from lumiwork.client import LuminosoClient
from lumiwork.datasets import siddhartha

QUERIES = ["river", "love", "father", "son", "ferryman", "smile", "teacher", "wisdom", "water",
           "voice", "city", "merchant", "forest", "death", "sleep", "om", "path", "money", "boat",
           "the listening river"]
TOPICS = {"River": "river", "Characters": "siddhartha vasudeva govinda kamala",
          "Negative Sentiment": "sadness ugly evil devious", "Positive Sentiment": "beautiful happy"}


def make_corpus(n: int, text_path=None, seed: int = 2500) -> list[dict]:
    """N documents: the first half of one sentence and the second half of another
    from the same chapter, so word statistics stay those of the book."""
    rng = random.Random(seed)
    by_chapter: dict[str, list[list[str]]] = {}
    for doc in siddhartha(text_path):
        by_chapter.setdefault(doc["subsets"][0], []).append(doc["text"].split())
    chapters = sorted(by_chapter)
    corpus = []
    for _ in range(n):
        chapter = rng.choice(chapters)
        first, second = rng.choice(by_chapter[chapter]), rng.choice(by_chapter[chapter])
        words = first[: max(1, len(first) // 2)] + second[len(second) // 2:]
        corpus.append({"text": " ".join(words), "subsets": [chapter]})
    return corpus


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_memory_mb(pid: int) -> float:
    """The process's peak resident memory (VmHWM), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


class ChildPeakSampler:
    """Samples the peak resident memory (VmHWM) of a process's children while
    running: the server builds in a short-lived child process."""

    def __init__(self, pid: int, interval: float = 0.05):
        self.pid, self.interval, self.peak_mb = pid, interval, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()

    def _sample(self):
        while not self._stop.wait(self.interval):
            # Children are listed per thread, and a worker thread starts the build.
            children = []
            for task in Path(f"/proc/{self.pid}/task").glob("*"):
                try:
                    children += (task / "children").read_text().split()
                except OSError:  # the thread ended
                    pass
            for child in children:
                try:
                    self.peak_mb = max(self.peak_mb, peak_memory_mb(int(child)))
                except (OSError, ValueError):  # the child ended between the two reads
                    pass


class ServerProcess:
    def __init__(self, workdir: Path):
        self.port = free_port()
        env = {**os.environ, "HOME": str(workdir), "LUMIWORK_PASSWORD": "benchmark password"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lumiwork", "serve", "--port", str(self.port),
             "--data-dir", str(workdir / "data")], env=env, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
        self.url = f"http://127.0.0.1:{self.port}/api/v4/"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if requests.get(self.url + "ping/", timeout=5).ok:
                    break
            except requests.RequestException:  # not listening yet, or busy building its background space
                time.sleep(0.1)
        self.token_file = str(workdir / ".luminoso" / "tokens.json")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)


def latency(call, arguments) -> dict:
    samples = []
    for argument in arguments:
        start = time.perf_counter()
        call(argument)
        samples.append((time.perf_counter() - start) * 1000)
    return {"median_ms": statistics.median(samples),
            "p95_ms": float(np.percentile(samples, 95))}


def upload_project(server: ServerProcess, corpus: list[dict], name: str):
    """A new project on `server` holding `corpus` (batches of 5,000) and the
    cookbook's four topics, not yet recalculated; and the upload's seconds."""
    client = LuminosoClient.connect(server.url, token_file=server.token_file, timeout=600)
    account = client.change_path(f"/projects/{client.default_account()}/")
    project = account.change_path(account.post("", name=name)["project_id"])
    start = time.perf_counter()
    project.upload("docs", corpus, batch_size=5000)
    upload_s = time.perf_counter() - start
    for topic, text in TOPICS.items():
        project.post("topics", name=topic, text=text)
    return project, upload_s


def bench_lumiwork(corpus: list[dict], workdir: Path) -> dict:
    server = ServerProcess(workdir)
    try:
        project, upload_s = upload_project(server, corpus, "benchmark")
        start = time.perf_counter()
        with ChildPeakSampler(server.process.pid) as builder:
            job = project.wait_for(project.post("docs/recalculate"), interval=0.1)
        recalculate_s = time.perf_counter() - start
        results = {
            "upload_s": upload_s,
            "recalculate_s": recalculate_s,
            # as the server recorded it, without the client's polling (0-0.1 s)
            "job_s": job["stop_time"] - job["start_time"],
            "server_peak_mb": peak_memory_mb(server.process.pid),
            "builder_peak_mb": builder.peak_mb,
            "terms/search": latency(lambda q: project.get("terms/search", text=q), QUERIES),
            "docs/search": latency(lambda q: project.get("docs/search", text=q), QUERIES),
            "topics/stats": latency(lambda _: project.get("topics/stats"), range(20)),
            "subsets/stats": latency(lambda _: project.get("subsets/stats"), range(20)),
        }
        return results
    finally:
        server.stop()


def bench_stages(corpus: list[dict], workdir: Path) -> dict:
    """Stage timings of one in-process build, blended with the background space as
    the server's builds are (the space is loaded first and not timed)."""
    from lumiwork.engine import background, build_model

    try:
        space = background.load_or_build(workdir / "background")
    except background.BackgroundUnavailable:
        space = None
    docs = [{**doc, "_id": str(i)} for i, doc in enumerate(corpus)]
    start = time.perf_counter()
    model = build_model(docs, background=space)
    return {"total_s": time.perf_counter() - start, **{k: v for k, v in model.timings.items()}}


def bench_sklearn(corpus: list[dict]) -> dict:
    """The plain LSA pipeline an analyst would reach for: TF-IDF + TruncatedSVD(150),
    then cosine top-10 document search (in process, no HTTP)."""
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    texts = [doc["text"] for doc in corpus]
    start = time.perf_counter()
    vectorizer = TfidfVectorizer(stop_words="english", min_df=2)
    matrix = vectorizer.fit_transform(texts)
    svd = TruncatedSVD(150, random_state=0)
    doc_vectors = vectors.normalize(svd.fit_transform(matrix))
    fit_s = time.perf_counter() - start

    def search(query):
        q = vectors.normalize(svd.transform(vectorizer.transform([query])))[0]
        scores = doc_vectors @ q
        top = np.argpartition(-scores, 10)[:10]
        return top[np.argsort(-scores[top])]

    return {"fit_s": fit_s, "search": latency(search, QUERIES)}


def bench_scan(n: int) -> dict:
    """The floor for docs/search: an in-process numpy scan of N x 150 float32 unit
    vectors plus top-10, with nothing else (no HTTP, no query parsing)."""
    rng = np.random.default_rng(1)
    matrix = vectors.normalize(rng.standard_normal((n, 150))).astype(np.float32)
    queries = vectors.normalize(rng.standard_normal((len(QUERIES), 150))).astype(np.float32)

    def scan(query):
        scores = matrix @ query
        top = np.argpartition(scores, len(scores) - 10)[-10:]
        return top[np.argsort(-scores[top])]

    return latency(scan, queries)


def bench_pack64(n: int) -> dict:
    import pack64

    rng = np.random.default_rng(0)
    matrix = vectors.normalize(rng.standard_normal((n, 150)))
    packed = vectors.pack_many(matrix)
    start = time.perf_counter()
    looped = [pack64.unpack64(s) for s in packed]
    loop_s = time.perf_counter() - start
    bulk_s = min(_timed(lambda: vectors.unpack_many(packed)) for _ in range(3))
    identical = bool(np.array_equal(np.stack(looped), vectors.unpack_many(packed)))
    return {"loop_s": loop_s, "bulk_s": bulk_s, "speedup": loop_s / bulk_s, "identical": identical}


def _timed(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def markdown(results: dict) -> str:
    def lat(entry):
        return f"{entry['median_ms']:.1f} / {entry['p95_ms']:.1f}"

    stages = ("tokenize", "terms", "association", "vectors", "documents", "statistics")
    lines = ["| N | upload s | build (server job) s | its job record s | in-process build s | "
             + " | ".join(stages) + " | server peak MB | builder peak MB | sklearn fit s | build / sklearn |",
             "|" + "---|" * 15]
    for n, r in results["sizes"].items():
        lw, st, sk = r["lumiwork"], r["stages"], r["sklearn"]
        builder = lw.get("builder_peak_mb")
        job = f"{lw['job_s']:.2f}" if "job_s" in lw else ""  # older result files have none
        lines.append(
            f"| {int(n):,} | {lw['upload_s']:.1f} | {lw['recalculate_s']:.2f} | {job} | {st['total_s']:.2f} | "
            + " | ".join(f"{st.get(stage, 0):.2f}" for stage in stages)
            + f" | {lw['server_peak_mb']:.0f} | {'' if builder is None else f'{builder:.0f}'} | "
            f"{sk['fit_s']:.2f} | {lw['recalculate_s'] / sk['fit_s']:.2f}x |")
    lines += ["", "Latency in ms, median / p95 of 20 (over HTTP for lumiwork; in process for the rest):", "",
              "| N | terms/search | docs/search | numpy scan + top-10 | docs/search / scan (medians) "
              "| topics/stats | subsets/stats | sklearn search |", "|" + "---|" * 8]
    for n, r in results["sizes"].items():
        lw, sk, scan = r["lumiwork"], r["sklearn"], r["scan"]
        lines.append(
            f"| {int(n):,} | {lat(lw['terms/search'])} | {lat(lw['docs/search'])} | {lat(scan)} | "
            f"{lw['docs/search']['median_ms'] / scan['median_ms']:.2f}x | {lat(lw['topics/stats'])} | "
            f"{lat(lw['subsets/stats'])} | {lat(sk['search'])} |")
    lines += ["", "| vectors | pack64 loop s | bulk s | speedup | identical |", "|---|---|---|---|---|"]
    for n, r in results["pack64"].items():
        lines.append(f"| {int(n):,} | {r['loop_s']:.3f} | {r['bulk_s']:.4f} | "
                     f"{r['speedup']:.1f}x | {r['identical']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    parser.add_argument("--pack64-sizes", type=int, nargs="*", default=[10000, 100000])
    parser.add_argument("--text", help="Siddhartha text (default: $LUMIWORK_SIDDHARTHA etc.)")
    parser.add_argument("--json", help=record.JSON_HELP)
    args = parser.parse_args(argv)
    results = {"machine": record.machine(), "sizes": {}, "pack64": {}}
    for n in args.sizes:
        corpus = make_corpus(n, args.text)
        with tempfile.TemporaryDirectory(prefix="lumiwork-bench-") as workdir:
            results["sizes"][n] = {"lumiwork": bench_lumiwork(corpus, Path(workdir)),
                                   "stages": bench_stages(corpus, Path(workdir)),
                                   "sklearn": bench_sklearn(corpus),
                                   "scan": bench_scan(n)}
        print(f"N={n:,} done", file=sys.stderr, flush=True)
    for n in args.pack64_sizes:
        results["pack64"][n] = bench_pack64(n)
    record.write(results, args.json, "run")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
