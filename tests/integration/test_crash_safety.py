"""SIGKILL during a recalculation: documents survive, the job is marked failed,
and the previous model keeps answering."""
import json
import os
import signal
import subprocess
import sys
import time

import psutil
import requests
from conftest import free_port

from lumiwork.client import LuminosoClient
from lumiwork.datasets import siddhartha


def start_server(data_dir, home, port):
    env = {**os.environ, "HOME": str(home), "LUMIWORK_PASSWORD": "crash test password"}
    process = subprocess.Popen(
        [sys.executable, "-m", "lumiwork", "serve", "--port", str(port), "--data-dir", str(data_dir)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if requests.get(f"http://127.0.0.1:{port}/api/v4/ping/", timeout=1).ok:
                return process
        except requests.ConnectionError:
            time.sleep(0.1)
    process.kill()
    raise RuntimeError(process.stdout.read().decode())


def test_kill_during_recalculation(tmp_path, siddhartha_path):
    port, home, data = free_port(), tmp_path / "home", tmp_path / "data"
    url = f"http://127.0.0.1:{port}/api/v4/"
    process = start_server(data, home, port)
    try:
        token_file = home / ".luminoso" / "tokens.json"
        assert f"127.0.0.1:{port}" in json.loads(token_file.read_text())
        account = LuminosoClient.connect(url, token_file=str(token_file))
        account = account.change_path(f"/projects/{account.default_account()}")
        project = account.change_path(account.post("", name="crash")["project_id"])
        docs = siddhartha(siddhartha_path)
        project.upload("docs", docs)
        first = project.wait_for(project.post("docs/recalculate"), interval=0.2)
        assert first["success"]
        good_answer = project.get("terms/search", text="river", limit=5)
        # enough extra documents that the second build takes several seconds
        extra = [{"text": f"{d['text']} ({copy})", "subsets": d["subsets"]}
                 for copy in range(15) for d in docs]
        project.upload("docs", extra, batch_size=5000)
        job = project.post("docs/recalculate")
        while not project.get("jobs"):
            time.sleep(0.05)
        time.sleep(0.5)
        assert project.get(f"jobs/id/{job}")["stop_time"] is None, "build finished too soon"
        builds = [child for child in psutil.Process(process.pid).children()
                  if "lumiwork.server.builds.child" in " ".join(child.cmdline())]
        assert len(builds) == 1, "the build runs in a child process"
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        # The orphaned build notices and ends, rather than finishing a model no server records.
        gone, alive = psutil.wait_procs(builds, timeout=30)
        assert not alive

        process = start_server(data, home, port)
        project = LuminosoClient.connect(project.url, token_file=str(token_file))
        status = project.get(f"jobs/id/{job}")
        assert status["success"] is False and status["stop_time"] is not None
        assert project.get("jobs") == []
        assert len(project.get("docs", limit=25000)) == len(docs) + len(extra)
        assert project.get("terms/search", text="river", limit=5) == good_answer
        assert project.get("docs/search", text="river", limit=3)["search_results"]
    finally:
        process.kill()
        process.wait(timeout=30)
