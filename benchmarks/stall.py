"""Does one heavy request stall the others? Latency of a light request while heavy ones run.

Starts `python -m lumiwork serve` in a subprocess on a free 127.0.0.1 port with a
data folder and HOME of its own, then runs the phases --phases names (all by default):

1. `upload`: POST docs/ with --docs documents of --doc-kb kB of text each
   (300 x 100 kB = ~30 MB by default) into a fresh project;
2. `vectors`: POST docs/vectors/ with --vector-kb kB of text split into
   --vector-items texts, on a small recalculated project (--small-docs short
   documents). One 30 MB text is over the server's per-text limit (a quick 400);
   75 texts of 400 kB are the same 30 MB of real work.
3. `reads`: an authenticated read, GET projects/ with the token the server saved,
   while (a) --reads-docs documents (100,000 by default; run.py's sentence-length
   documents, or --reads-doc-kb kB each) are uploaded into a fresh project with
   POST docs/ in batches of --reads-batch, one after the other as a client sends
   them, and then (b) that project recalculates (POST docs/recalculate/ until its
   job ends). Target: p99 under 50 ms in both.

Phases 1 and 2 probe with `ping/` (no token, no store), phase 3 with GET projects/.
The heavy work runs on a thread while the main thread sends the probe every
--interval seconds over its own keep-alive connection. Each phase reports the
probe's count and p50 / p95 / p99 / max latency (a probe that gets no answer within
--ping-timeout counts as that long, and as failed), and the heavy work's own time
and HTTP status (the server may cap a field's size and answer 4xx: that is a
legitimate answer, shown as such). Each probe has an idle baseline, measured first.

Everything is bounded: each heavy request (and the recalculation) gives up after
--heavy-timeout seconds, the whole run after --max-seconds, and the server is
stopped at the end. The raw numbers go to benchmarks/out/ (see record.py) unless
--json names a file.

    python benchmarks/stall.py [--phases upload vectors reads] [--reads-docs 100000] [--json FILE]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

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
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.1)
        self.token = json.loads(token_file.read_text())[key]
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {self.token}"

    def settle(self, deadline: float) -> None:
        """Wait until the server has its background space (it builds or loads it on a
        thread at start: seconds of CPU that would land in the first phase)."""
        while time.monotonic() < deadline:
            if "recalculations wait for it" not in requests.get(self.url, timeout=30).text:
                return
            time.sleep(0.2)
        raise RuntimeError("the server's background space was not ready in time")

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


class Probe:
    """A light request sent again and again over one keep-alive connection of its own."""

    def __init__(self, url: str, path: str, token: str | None, interval: float, timeout: float):
        self.url, self.path, self.token = url, path, token
        self.interval, self.timeout = interval, timeout
        self.session = self._session()

    def _session(self) -> requests.Session:
        session = requests.Session()
        if self.token:
            session.headers["Authorization"] = f"Token {self.token}"
        return session

    def run_while(self, busy, until: float) -> dict:
        """Probe every `interval` s while busy() is true (and before `until`)."""
        samples, failures = [], 0
        while busy() and time.monotonic() < until:
            start = time.perf_counter()
            try:
                self.session.get(self.url + self.path, timeout=self.timeout).raise_for_status()
            except requests.RequestException:
                failures += 1
                self.session.close()
                self.session = self._session()
            elapsed = time.perf_counter() - start
            samples.append(min(elapsed, self.timeout) * 1000)
            time.sleep(max(0.0, self.interval - elapsed))
        return {"probe": "GET " + self.path, "count": len(samples), "failed": failures,
                **{f"p{q}_ms": round(percentile(samples, q), 2) for q in (50, 95, 99)},
                "max_ms": round(max(samples), 2) if samples else float("nan"),
                "mean_ms": round(statistics.fmean(samples), 2) if samples else float("nan")}


def idle_phase(probe: Probe, seconds: float, until: float) -> dict:
    idle_end = time.monotonic() + seconds
    return {"phase": "idle", "body_mb": 0.0, **probe.run_while(lambda: time.monotonic() < idle_end, until),
            "heavy_status": None, "heavy_error": None, "heavy_seconds": None}


def during(name: str, work, probe: Probe, args, until: float, body_mb: float = 0.0) -> dict:
    """Run work(outcome) on a thread and probe meanwhile. `work` fills `outcome`
    with `status` (and `error_code`, and any other numbers worth keeping)."""
    outcome: dict = {}

    def run():
        start = time.perf_counter()
        try:
            work(outcome)
        except requests.Timeout:
            outcome["status"] = f"timeout after {args.heavy_timeout} s"
        except (requests.RequestException, RuntimeError) as exc:
            outcome["status"] = f"{type(exc).__name__}: {str(exc)[:200]}"
        outcome["seconds"] = round(time.perf_counter() - start, 3)

    thread = threading.Thread(target=run, name=f"heavy-{name}", daemon=True)
    thread.start()
    probes = probe.run_while(thread.is_alive, until)
    thread.join(timeout=max(0.0, until - time.monotonic()) + 1)
    if thread.is_alive():
        outcome.setdefault("status", "still running at the run's time limit")
    extra = {k: v for k, v in outcome.items() if k not in ("status", "error_code", "seconds")}
    return {"phase": name, "body_mb": round(body_mb, 2), **probes,
            "heavy_status": outcome.get("status"), "heavy_error": outcome.get("error_code"),
            "heavy_seconds": outcome.get("seconds"), **extra}


def heavy_phase(server: Server, probe: Probe, name: str, method: str, path: str, body: bytes, args,
                until: float) -> dict:
    """Send one heavy request on a thread and probe meanwhile."""

    def work(outcome: dict) -> None:
        # Streamed and discarded: decoding a 300 MB answer here would hold this
        # process's GIL and delay our own probes, which is not the server's doing.
        response = requests.request(
            method, server.url + path, data=body, timeout=args.heavy_timeout, stream=True,
            headers={"Authorization": f"Token {server.token}", "Content-Type": "application/json"})
        outcome["status"] = response.status_code
        if response.status_code < 400:
            outcome["answer_mb"] = round(sum(len(c) for c in response.iter_content(1 << 20)) / 1e6, 1)
        else:
            outcome["error_code"] = error_code(response)

    return during(name, work, probe, args, until, body_mb=len(body) / 1e6)


def error_code(response: requests.Response) -> str:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return response.text[:80]


def reads_corpus(n: int, doc_kb: float, text_path: str | None) -> list[dict]:
    """N documents made by run.py's make_corpus; with `doc_kb`, each is the texts of
    the documents from it onwards, joined and cut at a word to that many kB."""
    from run import make_corpus

    corpus = make_corpus(n, text_path)
    size = int(doc_kb * 1000)
    if size <= 0:
        return corpus
    texts = [doc["text"] for doc in corpus]
    for i, doc in enumerate(corpus):
        parts, length, j = [], 0, i
        while length < size:
            parts.append(texts[j % n])
            length += len(parts[-1]) + 1
            j += 1
        text = " ".join(parts)[:size]
        doc["text"] = text.rsplit(" ", 1)[0] if " " in text else text
    return corpus


def reads_phases(server: Server, account: str, args, until: float) -> list[dict]:
    """GET projects/ idle, during a large upload in batches, and during that project's
    recalculation."""
    corpus = reads_corpus(args.reads_docs, args.reads_doc_kb, args.text)
    bodies = [json.dumps(corpus[i:i + args.reads_batch]).encode()
              for i in range(0, len(corpus), args.reads_batch)]  # encoded before the clock starts
    mean_kb = sum(len(doc["text"]) for doc in corpus) / max(1, len(corpus)) / 1000
    del corpus
    probe = Probe(server.url, "projects/", server.token, args.interval, args.ping_timeout)
    rows = [idle_phase(probe, args.idle_seconds, until)]

    created = server.result("POST", f"projects/{account}/", data={"name": "stall reads"})
    project = f"projects/{account}/{created['project_id']}/"

    def upload(outcome: dict) -> None:
        session = requests.Session()
        session.headers.update({"Authorization": f"Token {server.token}", "Content-Type": "application/json"})
        outcome["batches"] = 0
        for body in bodies:
            if time.monotonic() > until:
                outcome["status"] = "stopped at the run's time limit"
                return
            response = session.post(server.url + project + "docs/", data=body, timeout=args.heavy_timeout)
            if response.status_code != 200:
                outcome["status"], outcome["error_code"] = response.status_code, error_code(response)
                return
            outcome["batches"] += 1
        outcome["status"] = 200

    label = f"upload {args.reads_docs:,} docs of {mean_kb:.2f} kB in {len(bodies)} batches"
    rows.append(during(label, upload, probe, args, until, body_mb=sum(map(len, bodies)) / 1e6))
    bodies.clear()
    if rows[-1]["heavy_status"] != 200:
        return rows

    def recalculate(outcome: dict) -> None:
        job = server.result("POST", project + "docs/recalculate/")
        deadline = min(until, time.monotonic() + args.heavy_timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                outcome["status"] = f"job not done after {args.heavy_timeout} s"
                return
            # The server answers when the job's record changes (lumiwork's `wait`).
            wait = min(30.0, left)
            state = server.result("GET", f"{project}jobs/id/{job}/", params={"wait": f"{wait:.1f}"},
                                  timeout=wait + 30)
            if state.get("stop_time"):
                outcome["status"] = "success" if state.get("success") else "failed"
                outcome["job_seconds"] = round(state["stop_time"] - state["start_time"], 3)
                return

    rows.append(during(f"recalculate {args.reads_docs:,} docs", recalculate, probe, args, until))
    return rows


def wait_for_job(server: Server, project: str, job: int, until: float) -> dict:
    while time.monotonic() < until:
        state = server.result("GET", f"{project}jobs/id/{job}/")
        if state.get("stop_time"):
            return state
        time.sleep(0.1)
    raise RuntimeError("the recalculation did not finish within the run's time limit")


PHASES = ("upload", "vectors", "reads")
READ_TARGET_P99_MS = 50.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phases", nargs="+", choices=PHASES, default=list(PHASES),
                        help="which heavy work to run (default: all)")
    parser.add_argument("--docs", type=int, default=300, help="documents in the big upload")
    parser.add_argument("--doc-kb", type=float, default=100, help="kB of text per document")
    parser.add_argument("--vector-kb", type=float, default=30_000,
                        help="kB of text sent to docs/vectors/ (default 30 MB)")
    parser.add_argument("--vector-items", type=int, default=1,
                        help="split the docs/vectors/ text into this many texts")
    parser.add_argument("--small-docs", type=int, default=200,
                        help="short documents in the project recalculated for docs/vectors/")
    parser.add_argument("--reads-docs", type=int, default=100_000,
                        help="documents uploaded and recalculated while GET projects/ is probed")
    parser.add_argument("--reads-doc-kb", type=float, default=0,
                        help="kB of text per document of the reads phases (0: run.py's sentence-length "
                             "documents, about 0.18 kB)")
    parser.add_argument("--reads-batch", type=int, default=5000, help="documents per POST docs/ (reads phases)")
    parser.add_argument("--text", help="Siddhartha text for the reads phases (default: $LUMIWORK_SIDDHARTHA etc.)")
    parser.add_argument("--interval", type=float, default=0.01, help="seconds between probes")
    parser.add_argument("--ping-timeout", type=float, default=10.0, help="seconds a probe waits for its answer")
    parser.add_argument("--heavy-timeout", type=float, default=180.0,
                        help="seconds a heavy request, or the recalculation, may take")
    parser.add_argument("--idle-seconds", type=float, default=2.0)
    parser.add_argument("--max-seconds", type=float, default=600.0,
                        help="hard limit for the whole run")
    parser.add_argument("--port", type=int, default=0, help="0 = a free port")
    parser.add_argument("--workdir", help="where the server's data goes (default: a temp dir)")
    parser.add_argument("--json", help=record.JSON_HELP)
    args = parser.parse_args(argv)

    started = time.monotonic()
    until = started + args.max_seconds
    workdir = Path(args.workdir or tempfile.mkdtemp(prefix="lumiwork-stall-"))
    server = Server(workdir, args.port, deadline=min(until, time.monotonic() + 60))
    rows = []
    try:
        server.settle(min(until, time.monotonic() + 180))
        account = server.result("GET", "accounts/")["default_account"]
        ping = Probe(server.url, "ping/", None, args.interval, args.ping_timeout)
        if "upload" in args.phases or "vectors" in args.phases:
            rows.append(idle_phase(ping, args.idle_seconds, until))

        if "upload" in args.phases:
            created = server.result("POST", f"projects/{account}/", data={"name": "stall upload"})
            project = f"projects/{account}/{created['project_id']}/"
            size = int(args.doc_kb * 1000)
            docs = [{"text": text_of(size, seed), "title": f"doc {seed}", "subsets": ["big"]}
                    for seed in range(args.docs)]
            body = json.dumps(docs).encode()
            del docs
            rows.append(heavy_phase(server, ping, f"upload {args.docs} x {args.doc_kb:g} kB", "POST",
                                    project + "docs/", body, args, until))
            del body

        if "vectors" in args.phases:
            # docs/vectors/ with a big text, on a small recalculated project
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
            rows.append(heavy_phase(server, ping, label, "POST", small + "docs/vectors/", body, args, until))
            del body

        if "reads" in args.phases:
            rows += reads_phases(server, account, args, until)
    finally:
        server.stop()

    header = (f"{'phase':46} {'probe':16} {'body MB':>8} {'count':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}"
              f" {'max ms':>9} {'failed':>6}  heavy work")
    print(header)
    print("-" * len(header))
    for row in rows:
        heavy = ("" if row["heavy_status"] is None else
                 f"{row['heavy_status']}{' ' + str(row['heavy_error']) if row['heavy_error'] else ''}"
                 f" in {row['heavy_seconds']} s")
        if row.get("job_seconds") is not None:
            heavy += f" (job record {row['job_seconds']} s)"
        print(f"{row['phase']:46} {row['probe']:16} {row['body_mb']:>8} {row['count']:>6} {row['p50_ms']:>8} "
              f"{row['p95_ms']:>8} {row['p99_ms']:>8} {row['max_ms']:>9} {row['failed']:>6}  {heavy}")
    result = {"machine": record.machine(), "settings": vars(args), "phases": rows,
              "total_seconds": round(time.monotonic() - started, 1)}
    busy_reads = [row for row in rows if row["probe"] == "GET projects/" and row["phase"] != "idle"]
    if busy_reads:
        done = len(busy_reads) == 2 and all(row["heavy_status"] in (200, "success") and row["count"]
                                            for row in busy_reads)
        worst = max(row["p99_ms"] for row in busy_reads) if done else float("nan")
        met = done and worst < READ_TARGET_P99_MS and not any(row["failed"] for row in busy_reads)
        result["reads_target"] = {"p99_ms_under": READ_TARGET_P99_MS, "worst_p99_ms": worst, "met": met}
        why = "" if done else "; not judged: a phase failed or had no probe"
        print(f"\nGET projects/ p99 under {READ_TARGET_P99_MS:g} ms during the upload and the recalculation: "
              f"{'yes' if met else 'no'} (worst p99 {worst} ms{why})")
    print(json.dumps(result, indent=2))
    record.write(result, args.json, "stall")
    return 0


if __name__ == "__main__":
    sys.exit(main())
