"""Share links and dashboard runs, end to end on one machine: an embedded
server with the Siddhartha demo project, the example dashboard
(notebooks/dashboards/topic-terms.ipynb) published on it, and the share
front on a thread.

- a live view in Debian's Chromium: seconds from opening the link to the
  first chart drawn, the first time (the dashboard's Voila starts) and again
  (Voila running: a new kernel only); then a widget change until its chart
  is redrawn;
- memory: the resident size of the dashboard's Voila and of each viewer's
  kernel (what the caps per link and per dashboard bound);
- --opens full opens of one link by a plain HTTP client (exchange, launcher,
  live page; the same as a browser's requests, without running the page) with
  the link's cap at --cap: how many views started (200), were told the link
  is busy (503) or to wait (429, the link's rate of new views), and the
  front's and the API server's answer times to light requests meanwhile;
- exports: seconds per headless run for each format (html, pdf, png, csv).

    .venv/bin/python benchmarks/sharing.py [--opens 50] [--cap 3] [--json FILE]

Needs $LUMIWORK_SIDDHARTHA (or the cached text) and Debian's Chromium. The
raw numbers go to benchmarks/out/ (see record.py) unless --json names a file.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

from lumiwork.client import LuminosoClient  # noqa: E402
from lumiwork.client.sharing import SharingClient  # noqa: E402
from lumiwork.server import EmbeddedServer  # noqa: E402
from lumiwork.share.runner import FrontServer  # noqa: E402
from lumiwork.tools.demo import build_demo_project  # noqa: E402

DASHBOARD = Path(__file__).resolve().parents[1] / "lumiwork" / "notebooks" / "dashboards" / "topic-terms.ipynb"
CHROMIUM = "/usr/bin/chromium"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def time_live_views(link: str) -> dict:
    """Seconds to the first chart, cold then warm, and for a widget change."""
    from playwright.sync_api import sync_playwright

    results = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        for label in ("first_view_s", "next_view_s"):
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            start = time.perf_counter()
            page.goto(link)
            page.wait_for_function("document.querySelectorAll('.js-plotly-plot .gtitle').length > 0",
                                   timeout=300_000)
            results[label] = round(time.perf_counter() - start, 2)
            if label == "next_view_s":
                start = time.perf_counter()
                page.locator("select").first.select_option("Characters")
                page.wait_for_function(
                    "document.querySelector('.js-plotly-plot .gtitle').textContent.includes('Characters')",
                    timeout=120_000)
                results["widget_change_s"] = round(time.perf_counter() - start, 2)
            page.close(run_before_unload=True)  # as a closed tab: the page ends its kernel
        browser.close()
    return results


def open_live(http: httpx.Client, front_url: str, link: str) -> int:
    """What a browser does with a link, without running its script: the status of the live page."""
    dashboard_id = re.search(r"/s/([^/#]+)", link).group(1)  # type: ignore[union-attr]
    answer = http.post(f"{front_url}/s/{dashboard_id}/exchange", json={"t": link.split("#t=", 1)[1]})
    if answer.status_code != 200:
        return answer.status_code
    launcher = http.get(front_url + answer.json()["next"])
    target = re.search(r"href='([^']+)'", launcher.text)
    if target is None:
        return launcher.status_code
    return http.get(front_url + target.group(1).replace("&amp;", "&")).status_code


def light_requests(urls: list[str], stop: threading.Event, times: dict[str, list[float]]) -> None:
    with httpx.Client(timeout=60) as http:
        while not stop.is_set():
            for url in urls:
                start = time.perf_counter()
                http.get(url)
                times[url].append((time.perf_counter() - start) * 1000)
            time.sleep(0.2)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opens", type=int, default=50)
    parser.add_argument("--cap", type=int, default=3, help="live views the link allows at once")
    parser.add_argument("--formats", default="html,pdf,png,csv")
    parser.add_argument("--json", help=record.JSON_HELP)
    args = parser.parse_args(argv)
    results: dict = {"machine": record.machine(), "opens": args.opens, "cap": args.cap}
    with tempfile.TemporaryDirectory() as folder:
        server = EmbeddedServer(Path(folder) / "data", username="bench@example.com", password="sharing bench pw")
        try:
            account = LuminosoClient.connect(f"{server.url}projects/{server.setup.account_id}/", token=server.token)
            build_demo_project(account, text_path=os.environ.get("LUMIWORK_SIDDHARTHA"))
            client = SharingClient.connect(server.url, token=server.token)
            dashboard = client.publish(DASHBOARD, "Siddhartha")["dashboard_id"]
            with FrontServer(server.store.data_dir, server.url) as front:
                results["live"] = time_live_views(client.share(dashboard, expires="1h", max_viewers=2)["url"])
                voila = front.front.voilas[dashboard]
                kernels = children(voila.process.pid)
                results["memory_mb"] = {"voila": rss_mb(voila.process.pid),
                                        "kernels": [rss_mb(pid) for pid in kernels]}

                share = client.share(dashboard, expires="1h", max_viewers=args.cap)
                link = share["url"]
                probes = [front.url + "/", f"http://{server.netloc}/api/v4/ping/"]
                times: dict[str, list[float]] = {url: [] for url in probes}
                stop = threading.Event()
                prober = threading.Thread(target=light_requests, args=(probes, stop, times), daemon=True)
                prober.start()
                statuses: list[int] = []
                start = time.perf_counter()
                for _ in range(args.opens):
                    with httpx.Client(timeout=300) as viewer:
                        statuses.append(open_live(viewer, front.url, link))
                elapsed = time.perf_counter() - start
                stop.set()
                prober.join()
                results["opens"] = {
                    "seconds": round(elapsed, 1),
                    "statuses": {str(s): statuses.count(s) for s in sorted(set(statuses))},
                    "kernels_of_link": sum(k.link_id == share["share_id"] for k in front.front.kernels.values()),
                    "kernels_running": len(children(voila.process.pid)),
                    "answer_ms": {name: {"p50": round(statistics.median(times[url]), 1),
                                         "max": round(max(times[url]), 1), "n": len(times[url])}
                                  for name, url in zip(("front", "api"), probes)}}
            results["export_s"] = {}
            for format in args.formats.split(","):
                start = time.perf_counter()
                run = client.wait(client.export(dashboard, format)["run_id"])
                results["export_s"][format] = round(time.perf_counter() - start, 1) if run["status"] == "done" \
                    else f"failed: {run['message']}"
        finally:
            server.stop()
    live, opens = results["live"], results["opens"]
    print(f"live view: first {live['first_view_s']} s (Voila starts), next {live['next_view_s']} s, "
          f"widget change {live['widget_change_s']} s")
    memory = results["memory_mb"]
    print(f"memory: Voila {memory['voila']} MB, kernels {', '.join(map(str, memory['kernels']))} MB")
    print(f"{args.opens} opens of a link capped at {args.cap}: {opens['statuses']} in {opens['seconds']} s, "
          f"{opens['kernels_of_link']} kernels of the link after ({opens['kernels_running']} of the dashboard)")
    for name, numbers in opens["answer_ms"].items():
        print(f"  {name} meanwhile: p50 {numbers['p50']} ms, max {numbers['max']} ms ({numbers['n']} requests)")
    print("exports: " + ", ".join(f"{f} {s} s" for f, s in results["export_s"].items()))
    record.write(results, args.json, "sharing")
    ok = opens["kernels_of_link"] <= args.cap and all(isinstance(s, float) for s in results["export_s"].values())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
