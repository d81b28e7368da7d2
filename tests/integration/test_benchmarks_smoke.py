"""A small run of the benchmark command (N=1,000): it must finish and report
every number the full run reports."""
import json
import os
import subprocess
import sys

from conftest import REPO


def test_benchmark_command_at_1000_documents(tmp_path, siddhartha_path):
    output = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--sizes", "1000",
         "--pack64-sizes", "2000", "--json", str(output), "--text", str(siddhartha_path)],
        capture_output=True, text=True, timeout=600, env=os.environ.copy())
    assert result.returncode == 0, result.stderr[-3000:]
    numbers = json.loads(output.read_text())
    run = numbers["sizes"]["1000"]
    assert run["lumiwork"]["recalculate_s"] > 0 and run["sklearn"]["fit_s"] > 0
    assert set(run["stages"]) >= {"tokenize", "terms", "association", "vectors", "documents",
                                  "statistics"}
    for endpoint in ("terms/search", "docs/search", "topics/stats", "subsets/stats"):
        assert run["lumiwork"][endpoint]["p95_ms"] >= run["lumiwork"][endpoint]["median_ms"] > 0
    assert numbers["pack64"]["2000"]["identical"] is True
    assert "| 1,000 |" in result.stdout


def test_vector_benchmark_command_on_a_small_project(tmp_path, siddhartha_path):
    output = tmp_path / "vectors.json"
    result = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "vectors.py"), "--docs", "600", "--decode-sizes", "700",
         "--runs", "1", "--json", str(output), "--text", str(siddhartha_path)],
        capture_output=True, text=True, timeout=600, env=os.environ.copy())
    assert result.returncode == 0, result.stderr[-3000:]
    numbers = json.loads(output.read_text())
    (end_to_end,), (decode,) = numbers["end_to_end"], numbers["decode"]
    assert end_to_end["identical"] and end_to_end["shape"] == [600, 150]
    assert end_to_end["official_s"] > 0 and end_to_end["lumiwork_s"] > 0
    assert end_to_end["lumiwork_median_s"] >= end_to_end["lumiwork_s"] and end_to_end["median_speedup"] > 0
    assert decode["identical"] and decode["pack_identical"] and decode["vectors"] == 700
    assert "| 600 |" in result.stdout


def run_benchmark(script: str, *arguments: str, timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run([sys.executable, str(REPO / "benchmarks" / script), *arguments],
                            capture_output=True, text=True, timeout=timeout, env=os.environ.copy())
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_concurrency_benchmark_on_a_small_project(tmp_path, siddhartha_path):
    output = tmp_path / "concurrency.json"
    result = run_benchmark("concurrency.py", "--docs", "400", "--clients", "4", "--processes", "1",
                           "--seconds", "2", "--json", str(output), "--text", str(siddhartha_path))
    numbers = json.loads(output.read_text())
    assert "| idle |" in result.stdout and "| recalculating |" in result.stdout
    for phase in ("idle", "recalculating"):
        assert numbers[phase]["all"]["errors"] == 0 and numbers[phase]["all"]["requests"] > 0
    assert numbers["setup"]["job_under_load_success"] is True


def test_counting_benchmark_finds_the_same_counts_in_process_and_on_dask(tmp_path, siddhartha_path):
    output = tmp_path / "counting.json"
    result = run_benchmark("counting.py", "--sizes", "3000", "--json", str(output),
                           "--text", str(siddhartha_path))
    numbers = json.loads(output.read_text())
    modes = {run["mode"]: run for run in numbers["results"]}
    assert set(modes) == {"process", "dask"}
    assert modes["process"]["fingerprint"] == modes["dask"]["fingerprint"]
    assert "| 3,000 |" in result.stdout


def test_stall_benchmark_probes_pings_and_authenticated_reads(tmp_path, siddhartha_path):
    output = tmp_path / "stall.json"
    result = run_benchmark("stall.py", "--docs", "5", "--doc-kb", "1", "--vector-kb", "20", "--vector-items", "2",
                           "--small-docs", "30", "--reads-docs", "300", "--reads-batch", "100",
                           "--idle-seconds", "0.5", "--interval", "0.02", "--max-seconds", "300",
                           "--workdir", str(tmp_path / "server"), "--json", str(output),
                           "--text", str(siddhartha_path))
    numbers = json.loads(output.read_text())
    phases = [(row["probe"], row["phase"].split()[0], row["heavy_status"]) for row in numbers["phases"]]
    assert phases == [("GET ping/", "idle", None), ("GET ping/", "upload", 200), ("GET ping/", "docs/vectors", 200),
                      ("GET projects/", "idle", None), ("GET projects/", "upload", 200),
                      ("GET projects/", "recalculate", "success")]
    for row in numbers["phases"]:
        assert row["failed"] == 0
        if row["count"]:  # a small upload may end before the first probe
            assert row["max_ms"] >= row["p99_ms"] >= row["p95_ms"] >= row["p50_ms"] > 0
    assert all(numbers["phases"][i]["count"] > 0 for i in (0, 3, 5))  # idle, idle, recalculation
    assert numbers["phases"][4]["batches"] == 3 and numbers["phases"][5]["job_seconds"] > 0
    assert set(numbers["reads_target"]) == {"p99_ms_under", "worst_p99_ms", "met"}
    assert "GET projects/ p99 under 50 ms" in result.stdout


def test_v5_benchmark_times_every_question_on_a_small_project(tmp_path, siddhartha_path):
    output = tmp_path / "v5.json"
    run_benchmark("v5.py", "--sizes", "600", "--repeats", "2", "--json", str(output), "--text", str(siddhartha_path))
    (run,) = json.loads(output.read_text())["runs"]
    assert run["documents"] == 600 and run["build_s"] > 0
    questions = [f"{name} (50 concepts{kind})" for name in ("match_counts", "score_drivers", "sentiment")
                 for kind in ("", ", filter")] + ["docs (filter + search, 20 docs)", "docs (filter only, 20 docs)"]
    for question in questions:
        assert run[question]["p90_ms"] >= run[question]["p50_ms"] > 0


def test_alerts_benchmark_on_a_small_project(tmp_path):
    output = tmp_path / "alerts.json"
    result = run_benchmark("alerts.py", "--messages", "3000", "--alerts", "4", "--notifications", "20",
                           "--json", str(output))
    numbers = json.loads(output.read_text())
    assert numbers["delivery"]["delivered"] == 20 and numbers["delivery"]["per_second"] > 0
    assert len(numbers["evaluate_ms"]) == 4 and all(k["p50"] > 0 for k in numbers["evaluate_ms"].values())
    assert "| water 86400s |" in result.stdout
