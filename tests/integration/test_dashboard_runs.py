"""Exports and schedules of a dashboard against a real server: `lumiwork export`
writes HTML, PNG (one per figure) and CSV (one per table); a one-minute cron
schedule produces its files and `lumiwork schedule runs` lists them."""
from __future__ import annotations

import os
import subprocess
import sys
import time

import nbformat
import pytest
from share_support import DASHBOARD, sharing_client
from webhook_receiver import Receiver

from lumiwork.client import LuminosoClientError
from lumiwork.client.manage import ManageClient
from lumiwork.wire import webhooks


@pytest.fixture(scope="module")
def published(server, demo_project):
    return sharing_client(server).publish(DASHBOARD, "Siddhartha", name="runs")


def cli(server, *args, timeout=600):
    env = {**os.environ, "LUMIWORK_URL": server.url, "LUMIWORK_TOKEN": server.token}
    return subprocess.run([sys.executable, "-m", "lumiwork", *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_export_writes_html_png_per_figure_and_csv_per_table(server, published, tmp_path):
    dashboard = published["dashboard_id"]
    html = cli(server, "export", dashboard, "--format", "html", "-o", str(tmp_path / "new folder" / "report.html"))
    assert html.returncode == 0, html.stderr
    page = (tmp_path / "new folder" / "report.html").read_text(encoding="utf-8")
    assert "Terms related to" in page and "<b>Project</b> Siddhartha" in page
    png = cli(server, "export", dashboard, "--format", "png", "-o", str(tmp_path / "chart.png"))
    assert png.returncode == 0, png.stderr
    images = sorted(tmp_path.glob("chart-*.png"))
    assert [p.name for p in images] == ["chart-1.png", "chart-2.png"]  # the panel's chart and the top terms
    assert all(p.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and p.stat().st_size > 5000 for p in images)
    csv = cli(server, "export", dashboard, "--format", "csv", "-o", str(tmp_path / "topics.csv"))
    assert csv.returncode == 0, csv.stderr
    table = (tmp_path / "topics.csv").read_text(encoding="utf-8").splitlines()
    assert table[0] == "name,text" and any(line.startswith("River,") for line in table)
    bad = cli(server, "export", "nosuchdashboard", "-o", str(tmp_path / "x.html"))
    assert bad.returncode == 1 and "no dashboard 'nosuchdashboard'" in bad.stderr and "Traceback" not in bad.stderr


def failing_notebook(folder) -> str:
    notebook = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell("# Breaks"),
        nbformat.v4.new_code_cell("raise RuntimeError('the quarterly table is missing')")])
    path = folder / "breaks.ipynb"
    nbformat.write(notebook, str(path))
    return str(path)


def test_a_one_minute_schedule_produces_its_files_and_the_run_list_shows_them(server, published, tmp_path):
    """In the same minute, a schedule of a dashboard that fails notifies its
    channel: one signed schedule.failed POST to a real receiver."""
    dashboard = published["dashboard_id"]
    client = sharing_client(server)
    receiver = Receiver().start()
    channel = ManageClient.connect(server.url, token=server.token).create_channel("reports", receiver.url)
    broken = client.publish(failing_notebook(tmp_path), "Siddhartha")
    assert broken["name"] == "Breaks"  # the notebook's title
    made = cli(server, "schedule", "create", dashboard, "--cron", "* * * * *", "--tz", "Europe/Brussels",
               "--format", "html")
    assert made.returncode == 0, made.stderr
    schedule = made.stdout.strip().splitlines()[-1]
    failing = client.schedule(broken["dashboard_id"], "* * * * *", "Europe/Brussels", "html", channel="reports")
    deadline = time.monotonic() + 150  # the next minute, then the runs themselves
    runs: list[dict] = []
    failed: list[dict] = []
    while time.monotonic() < deadline:
        runs = [r for r in client.runs(schedule=schedule) if r["status"] in ("done", "failed")]
        failed = [r for r in client.runs(schedule=failing["schedule_id"]) if r["status"] in ("done", "failed")]
        if runs and failed:
            break
        time.sleep(2)
    client.unschedule(failing["schedule_id"])
    assert runs and runs[0]["status"] == "done", runs
    assert failed and failed[-1]["status"] == "failed", failed
    assert "the quarterly table is missing" in failed[-1]["message"]
    posts = receiver.wait_for(1, 30)
    receiver.stop()
    first = [p for p in posts if p.payload.get("run_id") == failed[-1]["run_id"]]
    assert len(first) == 1, "not one notification of the failed run"
    payload = first[0].payload
    assert webhooks.verify(channel["secret"], first[0].headers, first[0].body) == payload["id"]
    assert payload["event"] == "schedule.failed" and payload["dashboard"] == "Breaks"
    assert "the quarterly table is missing" in payload["message"]
    assert runs[0]["files"] == ["dashboard.html"]
    folder = server.store.dashboards_dir / dashboard / "runs" / runs[0]["run_id"]
    assert "Terms related to" in (folder / "dashboard.html").read_text(encoding="utf-8")
    listed = cli(server, "schedule", "runs", "--schedule", schedule)
    assert runs[0]["run_id"] in listed.stdout and "done" in listed.stdout and "dashboard.html" in listed.stdout
    assert cli(server, "schedule", "delete", schedule).returncode == 0
    bad = cli(server, "schedule", "create", dashboard, "--cron", "61 * * * *")
    assert bad.returncode == 1 and "is not a cron expression" in bad.stderr
    bad_zone = cli(server, "schedule", "create", dashboard, "--cron", "0 7 * * *", "--tz", "Mars/Olympus")
    assert bad_zone.returncode == 1 and "unknown time zone" in bad_zone.stderr


def test_a_snapshot_link_shows_the_latest_runs_html_and_starts_no_kernel(server, published):
    import httpx

    from lumiwork.share.runner import FrontServer

    client = sharing_client(server)
    dashboard = published["dashboard_id"]
    if not [r for r in client.runs(dashboard) if r["status"] == "done" and "dashboard.html" in r["files"]]:
        assert client.wait(client.export(dashboard, "html")["run_id"])["status"] == "done"
    fresh = client.publish(DASHBOARD, "Siddhartha", name="never run")
    with FrontServer(server.store.data_dir, server.url) as front, httpx.Client(timeout=60) as viewer:
        def open_snapshot(dashboard_id: str, **options) -> httpx.Response:
            link = client.share(dashboard_id, expires="1h", snapshot=True, **options)["url"]
            assert link.startswith(front.url)
            exchanged = viewer.post(f"{front.url}/s/{dashboard_id}/exchange", json={"t": link.split("#t=")[1]})
            assert exchanged.status_code == 200, exchanged.text
            return viewer.get(front.url + exchanged.json()["next"], follow_redirects=True)

        shown = open_snapshot(dashboard)
        assert shown.status_code == 200 and shown.url.path == f"/d/{dashboard}/snapshot"
        assert "Terms related to" in shown.text and "<b>Project</b> Siddhartha" in shown.text
        assert viewer.get(f"{front.url}/d/{dashboard}/app/").status_code in (303, 404)  # no live view
        not_yet = open_snapshot(fresh["dashboard_id"])
        assert not_yet.status_code == 404 and "data-reason='snapshot'" in not_yet.text
        # runs are made without parameters: a snapshot link cannot lock any
        with pytest.raises(LuminosoClientError, match="cannot be locked on a snapshot link"):
            client.share(dashboard, snapshot=True, params={"topic": "River"})
        assert front.front.voilas == {} and front.front.kernels == {}  # no kernel at all
