"""Does one heavy request stall the others? `ping/` latency while heavy requests run.

Starts `python -m lumiwork serve` in a subprocess on a free 127.0.0.1 port with a
data folder and HOME of its own, then for each heavy request:

1. `upload`: POST docs/ with --docs documents of --doc-kb kB of text each
   (300 x 100 kB = ~30 MB by default) into a fresh project;
2. `vectors`: POST docs/vectors/ with --vector-kb kB of text split into
   --vector-items texts, on a small recalculated project (--small-docs short
   documents). One 30 MB text is over the server's per-text limit (a quick 400);
   75 texts of 400 kB are the same 30 MB of real work.

The heavy request runs on a thread while the main thread pings every
--interval seconds over its own keep-alive connection. For each phase it reports
ping p50 / p95 / max latency (a ping that gets no answer within --ping-timeout
counts as that long), the number of pings, and the heavy request's own time and
HTTP status (the server may cap a field's size and answer 4xx: that is a
legitimate answer, shown as such). Idle pings come first, as the baseline.

Everything is bounded: each heavy request gives up after --heavy-timeout
seconds, the whole run after --max-seconds, and the server is stopped at the end.

    python benchmarks/stall.py --json benchmarks/out/stall.json
"""
from __future__ import annotations

import argparse
import json
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

import requests

PASSWORD = "stall benchmark password"
WORDS = ["river", "water", "boat", "ferryman", "forest", "samana", "city", "merchant", "garden",
         "love", "wisdom", "listen", "smile", "stream", "shore", "cross", "bank", "flow",
         "teacher", "path", "silence", "voice", "om", "siddhartha", "govinda", "kamala",
         "vasudeva", "gotama", "brahman", "father", "son", "friend"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def text_of(size_bytes: int, seed: int) -> str:
    rng = random.Random(seed)
    words, length = [], 0
    while length < size_bytes:
        word = rng.choice(WORDS)
        words.append(word)
        length += len(word) + 1
    text = " ".join(words)
    return text[:size_bytes]


class Server:
    """`lumiwork serve` in a subprocess, with its own HOME and data folder."""

    def __init__(self, workdir: Path, port: int, deadline: float):
        self.port = port or free_port()
        home = workdir / "home"
        home.mkdir(parents=True, exist_ok=True)
        env = {**os.environ, "HOME": str(home), "LUMIWORK_PASSWORD": PASSWORD}
        env.pop("LUMIWORK_DATA_DIR", None)
        self.log = open(workdir / "server.log", "wb")  # noqa: SIM115 (closed in stop())
        self.process = subprocess.Popen(
            [sys.executable, "-m", "lumiwork", "serve", "--port", str(self.port),
             "--data-dir", str(workdir / "data")],
            env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.url = f"http://127.0.0.1:{self.port}/api/v4/"
        token_file = home / ".luminoso" / "tokens.json"
        key = f"127.0.0.1:{self.port}"
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}; "
                                   f"see {workdir / 'server.log'}")
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start in time")
            try:
                if (token_file.exists() and key in json.loads(token_file.read_text())
                        and requests.get(self.url + "ping/", timeout=1).ok):
                    break
            except (requests.ConnectionError, ValueError):
                pass
            time.sleep(0.1)
        self.token = json.loads(token_file.read_text())[key]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {self.token}"

    def result(self, method: str, path: str, timeout: float = 60, **kwargs):
        response = self.session.request(method, self.url + path, timeout=timeout, **kwargs)
        if response.status_code != 200:
            raise RuntimeError(f"{method} {path}: {response.status_code} {response.text[:300]}")
        return response.json()["result"]

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self.log.close()


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def ping_while(url: str, busy, interval: float, ping_timeout: float, until: float) -> dict:
    """Ping every `interval` s while busy() is true (and before `until`)."""
    session = requests.Session()
    samples, failures = [], 0
    while busy() and time.monotonic() < until:
        start = time.perf_counter()
        try:
            session.get(url + "ping/", timeout=ping_timeout).raise_for_status()
        except requests.RequestException:
            failures += 1
            session = requests.Session()
        elapsed = time.perf_counter() - start
        samples.append(min(elapsed, ping_timeout) * 1000)
        time.sleep(max(0.0, interval - elapsed))
    return {"pings": len(samples), "failed_pings": failures,
            "p50_ms": round(percentile(samples, 50), 2), "p95_ms": round(percentile(samples, 95), 2),
            "max_ms": round(max(samples), 2) if samples else float("nan"),
            "mean_ms": round(statistics.fmean(samples), 2) if samples else float("nan")}


def heavy_phase(server: Server, name: str, method: str, path: str, body: bytes, args,
                until: float) -> dict:
    """Run one heavy request on a thread and ping meanwhile."""
    outcome: dict = {}

    def run():
        start = time.perf_counter()
        try:
            # Streamed and discarded: decoding a 300 MB answer here would hold this
            # process's GIL and delay our own pings, which is not the server's doing.
            response = requests.request(
                method, server.url + path, data=body, timeout=args.heavy_timeout, stream=True,
                headers={"Authorization": f"Token {server.token}",
                         "Content-Type": "application/json"})
            outcome["status"] = response.status_code
            if response.status_code < 400:
                outcome["answer_mb"] = round(sum(len(c) for c in response.iter_content(1 << 20)) / 1e6, 1)
            else:
                try:
                    outcome["error_code"] = response.json()["error"]["code"]
                except (ValueError, KeyError, TypeError):
                    outcome["error_code"] = response.text[:80]
        except requests.Timeout:
            outcome["status"] = f"timeout after {args.heavy_timeout} s"
        except requests.RequestException as exc:
            outcome["status"] = f"{type(exc).__name__}"
        outcome["seconds"] = round(time.perf_counter() - start, 3)

    thread = threading.Thread(target=run, name=f"heavy-{name}", daemon=True)
    thread.start()
    pings = ping_while(server.url, thread.is_alive, args.interval, args.ping_timeout, until)
    thread.join(timeout=max(0.0, until - time.monotonic()) + 1)
    if thread.is_alive():
        outcome.setdefault("status", "still running at the run's time limit")
    return {"phase": name, "body_mb": round(len(body) / 1e6, 2), **pings,
            "heavy_status": outcome.get("status"), "heavy_error": outcome.get("error_code"),
            "heavy_seconds": outcome.get("seconds")}


def wait_for_job(server: Server, project: str, job: int, until: float) -> dict:
    while time.monotonic() < until:
        state = server.result("GET", f"{project}jobs/id/{job}/")
        if state.get("stop_time"):
            return state
        time.sleep(0.1)
    raise RuntimeError("the recalculation did not finish within the run's time limit")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=300, help="documents in the big upload")
    parser.add_argument("--doc-kb", type=float, default=100, help="kB of text per document")
    parser.add_argument("--vector-kb", type=float, default=30_000,
                        help="kB of text sent to docs/vectors/ (default 30 MB)")
    parser.add_argument("--vector-items", type=int, default=1,
                        help="split the docs/vectors/ text into this many texts")
    parser.add_argument("--small-docs", type=int, default=200,
                        help="short documents in the project recalculated for docs/vectors/")
    parser.add_argument("--interval", type=float, default=0.01, help="seconds between pings")
    parser.add_argument("--ping-timeout", type=float, default=10.0)
    parser.add_argument("--heavy-timeout", type=float, default=180.0)
    parser.add_argument("--idle-seconds", type=float, default=2.0)
    parser.add_argument("--max-seconds", type=float, default=600.0,
                        help="hard limit for the whole run")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--workdir", help="where the server's data goes (default: a temp dir)")
    parser.add_argument("--json", help="also write the results to this file")
    args = parser.parse_args(argv)

    started = time.monotonic()
    until = started + args.max_seconds
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="lumiwork-stall-"))
    server = Server(workdir, args.port, deadline=min(until, time.monotonic() + 60))
    rows = []
    try:
        account = server.result("GET", "accounts/")["default_account"]
        idle_end = time.monotonic() + args.idle_seconds
        rows.append({"phase": "idle", "body_mb": 0.0, **ping_while(
            server.url, lambda: time.monotonic() < idle_end,
            args.interval, args.ping_timeout, until),
            "heavy_status": None, "heavy_error": None, "heavy_seconds": None})

        # 1. the big upload
        created = server.result("POST", f"projects/{account}/", data={"name": "stall upload"})
        project = f"projects/{account}/{created['project_id']}/"
        size = int(args.doc_kb * 1000)
        docs = [{"text": text_of(size, seed), "title": f"doc {seed}", "subsets": ["big"]}
                for seed in range(args.docs)]
        body = json.dumps(docs).encode()
        del docs
        rows.append(heavy_phase(server, f"upload {args.docs} x {args.doc_kb:g} kB", "POST",
                                project + "docs/", body, args, until))
        del body

        # 2. docs/vectors/ with a big text, on a small recalculated project
        created = server.result("POST", f"projects/{account}/", data={"name": "stall vectors"})
        small = f"projects/{account}/{created['project_id']}/"
        rng = random.Random(1)
        server.result("POST", small + "docs/", headers={"Content-Type": "application/json"},
                      data=json.dumps([{"text": " ".join(rng.choice(WORDS) for _ in range(12))}
                                       for _ in range(args.small_docs)]))
        job = server.result("POST", small + "docs/recalculate/")
        state = wait_for_job(server, small, job, until)
        if not state.get("success"):
            raise RuntimeError(f"the small project's recalculation failed: {state}")
        item_size = int(args.vector_kb * 1000 / args.vector_items)
        body = json.dumps([{"text": text_of(item_size, 2 + i)}
                           for i in range(args.vector_items)]).encode()
        label = f"docs/vectors {args.vector_kb:g} kB in {args.vector_items} text(s)"
        rows.append(heavy_phase(server, label, "POST",
                                small + "docs/vectors/", body, args, until))
    finally:
        server.stop()

    header = (f"{'phase':32} {'body MB':>8} {'pings':>6} {'p50 ms':>8} {'p95 ms':>8} {'max ms':>9}"
              f" {'failed':>6}  heavy request")
    print(header)
    print("-" * len(header))
    for row in rows:
        heavy = ("" if row["heavy_status"] is None else
                 f"{row['heavy_status']}{' ' + row['heavy_error'] if row['heavy_error'] else ''}"
                 f" in {row['heavy_seconds']} s")
        print(f"{row['phase']:32} {row['body_mb']:>8} {row['pings']:>6} {row['p50_ms']:>8} "
              f"{row['p95_ms']:>8} {row['max_ms']:>9} {row['failed_pings']:>6}  {heavy}")
    result = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": {"cpus": os.cpu_count(),
              "python": sys.version.split()[0]}, "settings": vars(args), "phases": rows,
              "total_seconds": round(time.monotonic() - started, 1)}
    print(json.dumps(result, indent=2))
    if args.json:
        Path(args.json).parent.mkdir(parents=True, exist_ok=True)
        Path(args.json).write_text(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
