"""Every document vector of a project into a numpy matrix: lumiwork against the
official client, plus bulk pack64 decoding against `pack64.unpack64` in a loop.

    python benchmarks/vectors.py [--docs 100000] [--runs 3] [--json FILE]

Starts `lumiwork serve` in a subprocess on a free 127.0.0.1 port (its own HOME
and data folder), uploads N documents made from the Siddhartha text (as
benchmarks/run.py makes them), recalculates, then times, over HTTP with JSON
on both sides:

- official: the `luminoso_api` v4 client paging `GET docs/` with
  `doc_fields=["_id","vector"]` and the largest page the server allows (25,000),
  then `pack64.unpack64` on each vector and `np.stack`;
- lumiwork: `lumiwork.frames.doc_vectors(project)`, the same requests.

Both must give the same ids and bit-identical matrices. Each path runs `--runs`
times, alternating; the table shows the fastest and the median run of each and
both ratios (the JSON has every run).
`--data-dir` keeps the server's data between invocations (the project is then
built once and reused). The raw numbers go to benchmarks/out/ (see record.py)
unless --json names a file.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import record  # noqa: E402

from benchmarks.run import ServerProcess, make_corpus  # noqa: E402
from lumiwork import frames, vectors  # noqa: E402
from lumiwork.client import LuminosoClient  # noqa: E402

PROJECT_NAME = "vectors benchmark"
PAGE = 25000  # the most GET docs/ answers at once (API v4's limit)
FIELDS = ["_id", "vector"]


def build_project(client: LuminosoClient, docs: int, text_path=None) -> LuminosoClient:
    """The recalculated project of `docs` documents, made once per data folder."""
    account = client.change_path(f"/projects/{client.default_account()}/")
    name = f"{PROJECT_NAME} {docs}"
    existing = [p for p in account.get("", name=name) if p["document_count"] == docs and p["last_build_time"]]
    if existing:
        return account.change_path(existing[0]["project_id"])
    project = account.change_path(account.post("", name=name)["project_id"])
    start = time.perf_counter()
    project.upload("docs", make_corpus(docs, text_path), batch_size=5000)
    project.wait_for(project.post("docs/recalculate"), interval=0.2)
    print(f"built {docs:,} documents in {time.perf_counter() - start:.1f} s", file=sys.stderr, flush=True)
    return project


def official_vectors(project) -> tuple[list[str], np.ndarray]:
    """What a user of the official client writes: page through docs/ asking for
    ids and vectors only, then unpack each vector."""
    import pack64

    ids, packed, offset = [], [], 0
    while True:
        page = project.get("docs", doc_fields=FIELDS, limit=PAGE, offset=offset)
        ids.extend(doc["_id"] for doc in page)
        packed.extend(doc["vector"] for doc in page)
        if len(page) < PAGE:
            break
        offset += PAGE
    return ids, np.stack([pack64.unpack64(v) for v in packed])


def lumiwork_vectors(project: LuminosoClient) -> tuple[list[str], np.ndarray]:
    result = frames.doc_vectors(project)
    return result.ids, result.matrix


def bench_end_to_end(server: ServerProcess, docs: int, runs: int, text_path=None) -> dict:
    from luminoso_api.v4_client import LuminosoClient as OfficialClient

    token = json.loads(Path(server.token_file).read_text())[f"127.0.0.1:{server.port}"]
    ours = build_project(LuminosoClient.connect(server.url, token=token, timeout=600), docs, text_path)
    official = OfficialClient.connect(ours.url, token=token)
    timings: dict[str, list[float]] = {"official_s": [], "lumiwork_s": []}
    results = {}
    for _ in range(runs):
        for name, call, project in (("official_s", official_vectors, official),
                                    ("lumiwork_s", lumiwork_vectors, ours)):
            start = time.perf_counter()
            results[name] = call(project)
            timings[name].append(time.perf_counter() - start)
    (official_ids, official_matrix), (our_ids, our_matrix) = results["official_s"], results["lumiwork_s"]
    identical = (official_ids == our_ids and official_matrix.dtype == our_matrix.dtype
                 and np.array_equal(official_matrix, our_matrix))
    best = {name: min(values) for name, values in timings.items()}
    median = {name.replace("_s", "_median_s"): statistics.median(values) for name, values in timings.items()}
    return {"docs": docs, "shape": list(our_matrix.shape), "runs": timings, **best, **median,
            "speedup": best["official_s"] / best["lumiwork_s"],
            "median_speedup": median["official_median_s"] / median["lumiwork_median_s"],
            "identical": bool(identical)}


def bench_decode(n: int, runs: int) -> dict:
    """Bulk decode against the loop, on unit vectors of 150 dimensions."""
    import pack64

    matrix = vectors.normalize(np.random.default_rng(0).standard_normal((n, 150)))
    packed = [pack64.pack64(row) for row in matrix]
    identical_pack = vectors.pack_many(matrix) == packed
    loop, bulk = [], []
    for _ in range(runs):
        start = time.perf_counter()
        looped = [pack64.unpack64(s) for s in packed]
        loop.append(time.perf_counter() - start)
        start = time.perf_counter()
        decoded = vectors.unpack_many(packed)
        bulk.append(time.perf_counter() - start)
    identical = bool(np.array_equal(np.stack(looped), decoded)) and decoded.dtype == looped[0].dtype
    return {"vectors": n, "loop_s": min(loop), "bulk_s": min(bulk), "speedup": min(loop) / min(bulk),
            "runs": {"loop_s": loop, "bulk_s": bulk}, "identical": identical,
            "pack_identical": identical_pack}


def markdown(results: dict) -> str:
    lines = ["| documents | official client + unpack64 loop s (fastest / median) "
             "| lumiwork frames.doc_vectors s (fastest / median) | speedup (fastest / median) | identical |",
             "|---|---|---|---|---|"]
    for r in results["end_to_end"]:
        lines.append(f"| {r['docs']:,} | {r['official_s']:.3f} / {r['official_median_s']:.3f} | "
                     f"{r['lumiwork_s']:.3f} / {r['lumiwork_median_s']:.3f} | "
                     f"{r['speedup']:.1f}x / {r['median_speedup']:.1f}x | {r['identical']} |")
    lines += ["", "| vectors | pack64 loop s | unpack_many s | speedup | identical |", "|---|---|---|---|---|"]
    for r in results["decode"]:
        lines.append(f"| {r['vectors']:,} | {r['loop_s']:.3f} | {r['bulk_s']:.4f} | {r['speedup']:.1f}x | "
                     f"{r['identical'] and r['pack_identical']} |")
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, nargs="*", default=[100000], help="project sizes (none: skip)")
    parser.add_argument("--decode-sizes", type=int, nargs="*", default=[10000, 100000])
    parser.add_argument("--runs", type=int, default=3, help="timed runs of each path (fastest and median shown)")
    parser.add_argument("--text", help="Siddhartha text (default: $LUMIWORK_SIDDHARTHA etc.)")
    parser.add_argument("--data-dir", help="keep the server's data here between runs (default: a temporary folder)")
    parser.add_argument("--json", help=record.JSON_HELP)
    args = parser.parse_args(argv)
    results: dict = {"machine": record.machine(load_average=os.getloadavg()),
                     "end_to_end": [], "decode": []}
    if args.docs:
        with tempfile.TemporaryDirectory(prefix="lumiwork-vectors-") as scratch:
            workdir = Path(args.data_dir or scratch)
            workdir.mkdir(parents=True, exist_ok=True)
            server = ServerProcess(workdir)
            try:
                for docs in args.docs:
                    results["end_to_end"].append(bench_end_to_end(server, docs, args.runs, args.text))
            finally:
                server.stop()
    for n in args.decode_sizes:
        results["decode"].append(bench_decode(n, args.runs))
    results["machine"]["load_average_after"] = os.getloadavg()
    record.write(results, args.json, "vectors")
    print(markdown(results))
    ok = all(r["identical"] for r in results["end_to_end"]) and all(
        r["identical"] and r["pack_identical"] for r in results["decode"])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
