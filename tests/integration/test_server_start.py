"""Servers started at the same moment, as `lumiwork serve` processes: on one new
data folder one comes up and the other says in one line why not; on two new data
folders sharing one new background cache both come up and build."""
import os
import subprocess
import sys
import time

import requests
from conftest import free_port

PASSWORD = "start test password"


def start_serve(data_dir, port, home, background_dir) -> subprocess.Popen:
    environment = {**os.environ, "HOME": str(home), "LUMIWORK_PASSWORD": PASSWORD,
                   "LUMIWORK_BACKGROUND_DIR": str(background_dir)}
    return subprocess.Popen([sys.executable, "-m", "lumiwork", "serve", "--port", str(port),
                             "--data-dir", str(data_dir)],
                            env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def answering(port: int) -> bool:
    try:
        return requests.get(f"http://127.0.0.1:{port}/api/v4/ping/", timeout=2).ok
    except requests.RequestException:
        return False


def wait(condition, seconds: float = 90):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def stop(process: subprocess.Popen) -> tuple[str, str]:
    if process.poll() is None:
        process.terminate()
    return process.communicate(timeout=30)


def test_two_servers_on_one_new_data_folder_one_comes_up_the_other_says_why(tmp_path):
    ports = free_port(), free_port()
    servers = [start_serve(tmp_path / "data", port, tmp_path, tmp_path / "background") for port in ports]
    try:
        assert wait(lambda: sum(process.poll() is not None for process in servers) == 1
                    and any(answering(port) for port in ports))
        up = next(i for i, process in enumerate(servers) if process.poll() is None)
        refused = servers[1 - up]
        _, error = refused.communicate(timeout=30)
        lines = error.strip().splitlines()
        assert refused.returncode != 0 and "Traceback" not in error
        assert len(lines) == 1 and "in use by another lumiwork server" in lines[0]
        assert f"pid {servers[up].pid}" in lines[0]  # and its address, once it has one
        answer = requests.get(f"http://127.0.0.1:{ports[up]}/api/v4/", timeout=10)
        assert answer.ok
    finally:
        outputs = [stop(process) for process in servers]
    assert all("Traceback" not in err for _, err in outputs), outputs


def test_two_servers_on_new_folders_share_a_new_background_cache(tmp_path):
    ports = free_port(), free_port()
    folders = [tmp_path / "one", tmp_path / "two"]
    servers = [start_serve(folder, port, tmp_path, tmp_path / "shared-background")
               for folder, port in zip(folders, ports)]
    try:
        assert wait(lambda: all(answering(port) for port in ports))
        for port in ports:  # each builds a project with the background it loaded or built
            login = requests.post(f"http://127.0.0.1:{port}/api/v4/user/login/",
                                  data={"username": "analyst@localhost", "password": PASSWORD}, timeout=30)
            headers = {"Authorization": f"Token {login.json()['result']['token']}"}
            root = f"http://127.0.0.1:{port}/api/v4/"
            account = requests.get(root + "accounts/", headers=headers, timeout=30).json()["result"]
            path = f"projects/{account['default_account']}/"
            project = requests.post(root + path, data={"name": "p"}, headers=headers, timeout=30).json()["result"]
            path += project["project_id"] + "/"
            requests.post(root + path + "docs/", json=[{"text": "The river flows past the boat."},
                                                      {"text": "The ferryman rows across the water."}],
                          headers=headers, timeout=30).raise_for_status()
            job = requests.post(root + path + "docs/recalculate/", headers=headers, timeout=30).json()["result"]
            job_url = f"{root}{path}jobs/id/{job}/"

            def finished(url=job_url, headers=headers):
                return requests.get(url, headers=headers, timeout=30).json()["result"]["stop_time"]

            assert wait(finished)
            done = requests.get(job_url, headers=headers, timeout=30).json()["result"]
            assert done["success"] and "background knowledge in use" in done["message"], done
    finally:
        outputs = [stop(process) for process in servers]
    assert all("Traceback" not in err for _, err in outputs), outputs
    assert len(list((tmp_path / "shared-background").glob("background-*.npz"))) == 1
