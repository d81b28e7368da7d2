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
