"""Search latency under 20 concurrent clients, idle and while the project recalculates.

    python benchmarks/concurrency.py [--docs 100000] [--clients 20] [--seconds 20] [--json FILE]

Starts `lumiwork serve` in a subprocess (benchmarks/run.py's ServerProcess), uploads
--docs documents made by run.py's make_corpus, adds the cookbook's four topics and
recalculates. Then --clients clients, each with its own keep-alive connection, send
requests back to back (closed loop: a client sends its next request when the last one
is answered), cycling through terms/search, docs/search and topics/stats with run.py's
20 query texts:

1. `idle`: for --seconds seconds;
2. `recalculating`: from POST docs/recalculate/ (of the same project) until its job
   finishes (a separate connection polls the job every 0.2 s).

The clients are threads spread over --processes processes using http.client (lighter
than requests), so the load generator is not held up by one GIL. They share the
machine's cores with the server: the report gives the CPU seconds the clients and
the server (with its children, i.e. the build) used in each phase, so how much of
the machine the load generator took is visible.

For each phase: requests, errors, throughput, and latency p50 / p95 / p99 / max,
overall and per endpoint. With closed-loop clients, latency is about
clients / throughput: it falls only as the server's cost per request falls.
The raw numbers go to benchmarks/out/ (see record.py) unless --json names a file.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
from run import QUERIES, ServerProcess, make_corpus, upload_project  # noqa: E402

ENDPOINTS = ("terms/search", "docs/search", "topics/stats")


def request_paths(project_path: str) -> list[tuple[str, str]]:
    """(endpoint, path) in the order the clients cycle through."""
    paths = []
    for query in QUERIES:
        paths.append(("terms/search", f"{project_path}terms/search/?{urlencode({'text': query, 'limit': 10})}"))
        paths.append(("docs/search", f"{project_path}docs/search/?{urlencode({'text': query, 'limit': 10})}"))
        paths.append(("topics/stats", f"{project_path}topics/stats/"))
    return paths


def client_thread(port: int, token: str, paths, offset: int, stop, samples: list) -> None:
    """Send requests back to back until `stop` is set; append (endpoint, start, ms, status)."""
    headers = {"Authorization": f"Token {token}", "Host": f"127.0.0.1:{port}"}
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    i = offset
    while not stop.is_set():
        endpoint, path = paths[i % len(paths)]
        i += 1
        started = time.time()
        clock = time.perf_counter()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
        samples.append((endpoint, started, (time.perf_counter() - clock) * 1000, status))
    connection.close()


def client_process(port: int, token: str, paths, offsets: list[int], start, stop, results) -> None:
    """One process of the load generator: a thread per client it runs."""
    samples: list = []
    threads = [threading.Thread(target=client_thread, args=(port, token, paths, offset, stop, samples))
               for offset in offsets]
    start.wait()
    cpu = time.process_time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((samples, time.process_time() - cpu))


def run_load(server_pid: int, port: int, token: str, paths, clients: int, processes: int,
             until) -> dict:
    """Run the clients until until() is true; the samples and CPU use of the phase."""
    context = multiprocessing.get_context("spawn")
    start, stop, results = context.Event(), context.Event(), context.Queue()
    # Clients start at different places in the cycle, so the mix is even from the start.
    offsets = [c * len(paths) // clients for c in range(clients)]
    workers = [context.Process(target=client_process,
                               args=(port, token, paths, offsets[p::processes], start, stop, results))
               for p in range(processes)]
    for worker in workers:
        worker.start()
    time.sleep(1.0)  # let the processes import before the clock starts
    server = psutil.Process(server_pid)
    server_cpu = _tree_cpu(server)
    began = time.time()
    start.set()
    until()
    stop.set()
    ended = time.time()
    server_cpu = _tree_cpu(server) - server_cpu
    samples, client_cpu = [], 0.0
    for _ in workers:
        part, cpu = results.get(timeout=300)
        samples += part
        client_cpu += cpu
    for worker in workers:
        worker.join(timeout=60)
    return {"samples": samples, "began": began, "ended": ended, "server_cpu_s": server_cpu,
            "client_cpu_s": client_cpu}


def _tree_cpu(process: psutil.Process) -> float:
    """CPU seconds of a process and its living children (a finished build child's
    time is counted in the parent's children times once it is reaped)."""
    total = 0.0
    for member in [process, *process.children(recursive=True)]:
        try:
            times = member.cpu_times()
        except psutil.NoSuchProcess:
            continue
        total += times.user + times.system
        if member is process:
            total += times.children_user + times.children_system
    return total


class _Once:
    """A stop flag that is set after `n` checks."""

    def __init__(self, n: int):
        self.n = n

    def is_set(self) -> bool:
        self.n -= 1
        return self.n < 0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def summary(load: dict) -> dict:
    """Latency and throughput of the requests that started inside the phase."""
    samples = [s for s in load["samples"] if s[1] < load["ended"]]
    seconds = load["ended"] - load["began"]

    def stats(rows):
        ms = [row[2] for row in rows]
        return {"requests": len(rows), "errors": sum(1 for row in rows if row[3] != 200),
                "per_second": round(len(rows) / seconds, 1),
                **{f"p{q}_ms": round(percentile(ms, q), 1) for q in (50, 95, 99)},
                "max_ms": round(max(ms, default=float("nan")), 1)}

    return {"seconds": round(seconds, 2), "server_cpu_s": round(load["server_cpu_s"], 1),
            "client_cpu_s": round(load["client_cpu_s"], 1), "all": stats(samples),
            **{name: stats([s for s in samples if s[0] == name]) for name in ENDPOINTS}}


def markdown(results: dict) -> str:
    lines = ["| phase | seconds | requests | req/s | p50 ms | p95 ms | p99 ms | max ms | errors "
             "| server CPU s | client CPU s |", "|" + "---|" * 11]
    for phase in ("idle", "recalculating"):
        r = results[phase]
        a = r["all"]
        lines.append(f"| {phase} | {r['seconds']} | {a['requests']:,} | {a['per_second']} | {a['p50_ms']} "
                     f"| {a['p95_ms']} | {a['p99_ms']} | {a['max_ms']} | {a['errors']} | "
                     f"{r['server_cpu_s']} | {r['client_cpu_s']} |")
    lines += ["", "| phase | endpoint | requests | p50 ms | p95 ms | p99 ms | max ms |", "|" + "---|" * 7]
    for phase in ("idle", "recalculating"):
        for name in ENDPOINTS:
            e = results[phase][name]
            lines.append(f"| {phase} | {name} | {e['requests']:,} | {e['p50_ms']} | {e['p95_ms']} "
                         f"| {e['p99_ms']} | {e['max_ms']} |")
    setup = results["setup"]
    lines += ["", f"{setup['docs']:,} documents; upload {setup['upload_s']} s; recalculation with no load "
              f"{setup['recalculate_s']} s, under load {results['recalculating']['seconds']} s "
              f"(job {'succeeded' if setup['job_under_load_success'] else 'FAILED'}); "
              f"{setup['clients']} clients in {setup['processes']} processes; "
              f"{results['machine']['cpus']} CPUs."]
    return "\n".join(lines)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--processes", type=int, default=2, help="client processes (default %(default)s)")
    parser.add_argument("--seconds", type=float, default=20, help="length of the idle phase")
    parser.add_argument("--text", help="Siddhartha text (default: $LUMIWORK_SIDDHARTHA etc.)")
    parser.add_argument("--json", help=record.JSON_HELP)
    args = parser.parse_args(argv)

    corpus = make_corpus(args.docs, args.text)
    results: dict = {"machine": record.machine()}
    with tempfile.TemporaryDirectory(prefix="lumiwork-concurrency-") as workdir:
        server = ServerProcess(Path(workdir))
        try:
            project, upload_s = upload_project(server, corpus, "concurrency")
            clock = time.perf_counter()
            project.wait_for(project.post("docs/recalculate"), interval=0.1)
            recalculate_s = time.perf_counter() - clock
            token = json.loads(Path(server.token_file).read_text())[f"127.0.0.1:{server.port}"]
            project_path = "/api/v4" + project.url.split("/api/v4", 1)[1]
            paths = request_paths(project_path)
            warm: list = []  # the first answers of each kind (caches) are not measured
            client_thread(server.port, token, paths[:3], 0, _Once(3), warm)
            if any(sample[3] != 200 for sample in warm):
                raise RuntimeError(f"the server refused the benchmark's requests: {warm}")
            print("idle phase", file=sys.stderr, flush=True)
            idle = run_load(server.process.pid, server.port, token, paths, args.clients, args.processes,
                            lambda: time.sleep(args.seconds))
            results["idle"] = summary(idle)

            print("recalculating phase", file=sys.stderr, flush=True)
            job: dict = {}

            def until_job_done() -> None:
                job_id = project.post("docs/recalculate")
                while True:
                    status = project.get(f"jobs/id/{job_id}")
                    if status["stop_time"] is not None:
                        job.update(status)
                        return
                    time.sleep(0.2)

            busy = run_load(server.process.pid, server.port, token, paths, args.clients, args.processes, until_job_done)
            results["recalculating"] = summary(busy)
            results["setup"] = {"docs": args.docs, "clients": args.clients, "processes": args.processes,
                                "upload_s": round(upload_s, 1), "recalculate_s": round(recalculate_s, 2),
                                "job_under_load_success": bool(job.get("success"))}
        finally:
            server.stop()
    record.write(results, args.json, "concurrency")
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
