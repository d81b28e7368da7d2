"""Recalculations build in a child process at lower priority: the server keeps
answering while one runs, and a build that dies or is stopped fails its job
plainly while the previous model keeps answering."""
import os
import signal
import time

import psutil
import pytest

from lumiwork.client import LuminosoClient, LuminosoError
from lumiwork.datasets import siddhartha
from lumiwork.server import EmbeddedServer
from lumiwork.server.builds.queue import BuildSettings
from lumiwork.server.db import Store


def wait_until(condition, seconds: float = 120, step: float = 0.01):
    """condition()'s first true value, polled; fails the test after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(step)
    pytest.fail("timed out waiting")


@pytest.fixture(scope="module")
def built(tmp_path_factory, siddhartha_path):
    """A server and a project recalculated once, with the answers of its first model."""
    folder = tmp_path_factory.mktemp("build-process")
    with EmbeddedServer(folder / "data", token_file=folder / "tokens.json",
                        password="build process pw") as server:
        account = LuminosoClient.connect(f"{server.url}projects/{server.setup.account_id}/",
                                         token=server.token)
        project = account.change_path(account.post("", name="build process")["project_id"])
        docs = siddhartha(siddhartha_path)
        project.upload("docs", docs)
        assert project.wait_for(project.post("docs/recalculate"), interval=0.1)["success"]
        answers = {"terms": project.get("terms/search", text="river", limit=5),
                   "docs": project.get("docs/search", text="river", limit=3)}
        # More documents, so that later builds run for a few seconds.
        project.upload("docs", [{"text": f"{d['text']} ({copy})", "subsets": d["subsets"]}
                                for copy in range(5) for d in docs], batch_size=5000)
        yield server, project, answers


def running_child(server) -> psutil.Process:
    """The build's process once it has started: a child of this (the server's) process."""
    pid = wait_until(lambda: server.api.builds.builder.current_pid)
    child = psutil.Process(pid)
    assert child.ppid() == os.getpid()
    return child


def test_the_build_runs_in_a_child_process_at_lower_priority(built):
    server, project, _ = built
    job_id = project.post("docs/recalculate")
    child = running_child(server)
    job = project.wait_for(job_id, interval=0.1)
    assert job["success"] and job["progress"] == {"stage": 6, "stages": 6}
    report = server.api.builds.builder.last_report
    assert report.pid == child.pid != os.getpid()  # the pid the building process reported
    assert report.niceness >= 10
    assert not psutil.pid_exists(child.pid)  # it ended, and the server reaped it


def test_queries_are_answered_while_a_build_runs(built):
    server, project, answers = built
    job_id = project.post("docs/recalculate")
    child = running_child(server)
    wait_until(lambda: child.nice() >= 10)  # its first act; the build follows
    child.suspend()  # hold the build mid-way, so the queries below surely overlap it
    try:
        for _ in range(3):
            assert project.get("terms/search", text="river", limit=5)["search_results"]
            assert project.get("docs/search", text="river", limit=3)["search_results"]
        assert project.get(f"jobs/id/{job_id}")["stop_time"] is None
    finally:
        child.resume()
    assert project.wait_for(job_id, interval=0.1)["success"]


def test_a_killed_build_fails_its_job_and_the_previous_model_answers(built):
    server, project, _ = built
    project.wait_for(project.post("docs/recalculate"), interval=0.1)
    before = {"terms": project.get("terms/search", text="river", limit=5),
              "docs": project.get("docs/search", text="river", limit=3)}
    job_id = project.post("docs/recalculate")
    child = running_child(server)
    wait_until(lambda: project.get(f"jobs/id/{job_id}").get("stage"))  # building by now
    child.send_signal(signal.SIGKILL)
    job = wait_until(lambda: (status := project.get(f"jobs/id/{job_id}"))["stop_time"] and status)
    assert job["success"] is False
    assert job["message"] == ("the recalculation's process was killed (SIGKILL, perhaps for lack "
                              "of memory); the previous model keeps answering")
    assert project.get("terms/search", text="river", limit=5) == before["terms"]
    assert project.get("docs/search", text="river", limit=3) == before["docs"]
    models = [p.name for p in server.store.models_dir.iterdir() if p.name.endswith(".npz")]
    assert len(models) == 1 and not models[0].endswith(".tmp.npz")
    # and the next build works
    assert project.wait_for(project.post("docs/recalculate"), interval=0.1)["success"]


def test_stopping_the_server_stops_the_build(tmp_path, siddhartha_path):
    server = EmbeddedServer(tmp_path / "data", token_file=tmp_path / "tokens.json", password="stop pw")
    try:
        account = LuminosoClient.connect(f"{server.url}projects/{server.setup.account_id}/",
                                         token=server.token)
        project_id = account.post("", name="stopped")["project_id"]
        project = account.change_path(project_id)
        project.upload("docs", siddhartha(siddhartha_path))
        job_id = project.post("docs/recalculate")
        child = running_child(server)
    finally:
        server.stop()
    assert not psutil.pid_exists(child.pid)
    store = Store(tmp_path / "data")
    try:
        job = store.jobs.get(project_id, job_id)
        assert job is not None and job["success"] is False
        assert job["message"] == "interrupted: the server stopped during this job"
    finally:
        store.close()


def test_new_documents_ready_a_build_process_that_the_next_recalculation_uses(built, monkeypatch):
    server, project, _ = built
    builder = server.api.builds.builder
    project.upload("docs", [{"text": "The ferryman listened to the river once more."}])
    spare = psutil.Process(wait_until(lambda: builder.spare_pid))
    wait_until(lambda: spare.nice() >= 10)  # waiting at the build's priority
    # The server's settings reach the build in its order, not through the spare's
    # environment: a counting setting that cannot work fails the build.
    monkeypatch.setattr(server.api.builds, "settings", BuildSettings(counting="abacus"))
    with pytest.raises(LuminosoError, match="the recalculation failed"):
        project.wait_for(project.post("docs/recalculate"), interval=0.1)
    assert not psutil.pid_exists(spare.pid)  # it took the order, failed it, and ended
    assert builder.spare_pid is None
    monkeypatch.undo()
    project.upload("docs", [{"text": "Siddhartha smiled at the water."}])
    spare = psutil.Process(wait_until(lambda: builder.spare_pid))
    assert project.wait_for(project.post("docs/recalculate"), interval=0.1)["success"]
    assert builder.last_report.pid == spare.pid


def test_stopping_the_server_ends_the_waiting_build_process(tmp_path):
    with EmbeddedServer(tmp_path / "data", token_file=tmp_path / "tokens.json", password="spare pw") as server:
        account = LuminosoClient.connect(f"{server.url}projects/{server.setup.account_id}/",
                                         token=server.token)
        project = account.change_path(account.post("", name="spare")["project_id"])
        project.upload("docs", [{"text": "A document, so that a build process gets ready."}])
        spare = psutil.Process(wait_until(lambda: server.api.builds.builder.spare_pid))
    assert not psutil.pid_exists(spare.pid)


def test_a_build_past_its_time_limit_is_stopped_and_the_previous_model_answers(built, monkeypatch):
    server, project, _ = built
    before = project.get("terms/search", text="river", limit=5)
    monkeypatch.setattr(server.api.builds, "settings", BuildSettings(timeout=1.5))
    job_id = project.post("docs/recalculate")
    child = running_child(server)
    wait_until(lambda: child.nice() >= 10)
    child.suspend()  # a build that hangs
    job = wait_until(lambda: (status := project.get(f"jobs/id/{job_id}"))["stop_time"] and status, seconds=30)
    assert job["success"] is False
    assert job["message"] == ("the recalculation took longer than 1.5 s (LUMIWORK_BUILD_TIMEOUT) and was "
                              "stopped; the previous model keeps answering")
    assert not psutil.pid_exists(child.pid)
    assert project.get("terms/search", text="river", limit=5) == before
    monkeypatch.undo()
    assert project.wait_for(project.post("docs/recalculate"), interval=0.1)["success"]


@pytest.mark.parametrize("value", ["0", "-5", "soon", "inf", "nan"])
def test_a_wrong_time_limit_is_named_and_serve_refuses_to_start(value, monkeypatch, capsys):
    from lumiwork.settings import Settings, SettingsError
    from lumiwork.tools.cli import main

    monkeypatch.setenv("LUMIWORK_BUILD_TIMEOUT", value)
    with pytest.raises(SettingsError, match=f"LUMIWORK_BUILD_TIMEOUT must be a number of seconds above 0, "
                                            f"not '{value}'"):
        Settings.from_environment().validate()
    assert main(["serve", "--port", "0"]) == 2
    assert "LUMIWORK_BUILD_TIMEOUT" in capsys.readouterr().err


def test_a_waiting_build_process_gets_the_memory_of_the_project_ready(built, monkeypatch):
    from lumiwork.server.builds import child as build_process

    server, project, _ = built
    builder = server.api.builds.builder
    # This project's few thousand documents ask for about 100 MB here.
    monkeypatch.setattr(build_process, "RESERVE_BYTES_PER_DOCUMENT", 20_000)
    expected = build_process.reserve_megabytes(server.store.docs.count(project_url_id(project)) + 1)
    assert expected >= build_process.RESERVE_MIN_MEGABYTES
    project.upload("docs", [{"text": "Kamala's garden by the river."}])
    spare = psutil.Process(wait_until(lambda: builder.spare_pid))
    wait_until(lambda: spare.memory_info().rss > (150 + 0.8 * expected) * 2 ** 20, seconds=60)
    assert project.wait_for(project.post("docs/recalculate"), interval=0.1)["success"]
    assert builder.last_report.pid == spare.pid


def project_url_id(project) -> str:
    return project.url.rstrip("/").rsplit("/", 1)[-1]
