"""Where the benchmark scripts write their raw results, and what each file says
about the machine and the code that produced it.

Every script writes a JSON file under benchmarks/out/ (ignored by git) unless
--json names another path: `<script>-<local time>-<commit>.json`, so runs never
overwrite each other. Reference figures go into benchmarks/RESULTS.md by hand.
"""
from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent
OUT = BENCHMARKS / "out"


def commit() -> str:
    """The checkout's short commit, with `-dirty` when tracked files differ from it;
    `unknown` outside a git checkout."""
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=BENCHMARKS, capture_output=True, text=True,
                              timeout=10, check=True).stdout.strip()

    try:
        short = git("rev-parse", "--short", "HEAD")
        dirty = git("status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return short + ("-dirty" if dirty else "")


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gib() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 ** 2, 1)
    except OSError:
        pass
    return None


def machine(**extra) -> dict:
    """The machine, the Python and the code a result file comes from."""
    return {"cpus": os.cpu_count(), "cpu_model": _cpu_model(), "memory_gib": _memory_gib(),
            "python": platform.python_version(), "platform": platform.platform(),
            "commit": commit(), "when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), **extra}


def default_path(script: str) -> Path:
    """benchmarks/out/<script>-<local time>-<commit>.json"""
    return OUT / f"{script}-{time.strftime('%Y%m%d-%H%M%S')}-{commit()}.json"


def write(results: dict, path: str | os.PathLike | None, script: str) -> Path:
    """Write `results` as JSON to `path`, or to default_path(script); say where on stderr."""
    target = Path(path) if path else default_path(script)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(results, indent=2))
    print(f"raw results: {target}", file=sys.stderr, flush=True)
    return target


JSON_HELP = "where to write the raw results (default: benchmarks/out/<script>-<time>-<commit>.json)"
