"""Alert evaluation and webhook delivery speed, in process on a real store:

- evaluating alerts over a Compass project of --messages messages spread over
  a day: per alert, a project topic's (messages assigned to it, a third of
  them) and a classifier topic's (messages whose topics list names it, a
  third), with windows of 1 hour and 1 day (target: under 50 ms an alert at
  100,000 messages, so 100 alerts a minute take a few seconds of one core);
- delivering --notifications notifications from the outbox to a local
  receiver on 127.0.0.1 that answers 200 at once: notifications per second,
  each signed, sent and recorded (target: at least 100 a second).

    .venv/bin/python benchmarks/alerts.py [--messages 100000] [--alerts 40] [--notifications 500] [--json FILE]

The raw numbers go to benchmarks/out/ (see record.py) unless --json names a file.
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402

from lumiwork.server.db import Store  # noqa: E402
from lumiwork.server.notify import AlertEvaluator, ManualClock, Notifications  # noqa: E402
from lumiwork.server.notify.secrets import hint  # noqa: E402
from lumiwork.server.notify.targets import COMPASS_TOPIC  # noqa: E402
from lumiwork.wire.webhooks import new_secret  # noqa: E402

DAY = 86400.0


class QuietHandler(BaseHTTPRequestHandler):
    def do_POST(self):  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args):
        pass


def fill(store: Store, project: str, topic: int, messages: int, now: float) -> None:
    """`messages` messages over the day before `now`: a third in the project topic,
    a third (others) in the classifier topic "water", sentiment in (-1, 1)."""
    rng = random.Random(5)
    water = [{"id": 99, "source": "nature", "name": "water", "score": 0.9}]
    batch = []
    for i in range(messages):
        batch.append({"text": f"message {i}", "language": "en", "timestamp": now - rng.random() * DAY, "info": {},
                      "sentiment": rng.uniform(-1, 1), "topics": water if i % 3 == 1 else [],
                      "cluster_topic": topic if i % 3 == 0 else None})
        if len(batch) == 10_000:
            store.messages.add(project, batch)
            batch = []
    if batch:
        store.messages.add(project, batch)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--alerts", type=int, default=40, help="alerts evaluated (of four kinds, in turn)")
    parser.add_argument("--notifications", type=int, default=500)
    parser.add_argument("--json", help=record.JSON_HELP)
    args = parser.parse_args(argv)
    results: dict = {"machine": record.machine(), "messages": args.messages}
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "data")
        clock = ManualClock()
        receiver = ThreadingHTTPServer(("127.0.0.1", 0), QuietHandler)
        threading.Thread(target=receiver.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        try:
            notifications = Notifications(store, clock)
            evaluator = AlertEvaluator(store, notifications, clock)
            account = store.accounts.create("bench")
            project = store.compass_projects.create(account, "bench", "en", "bench")
            topic = store.compass_topics.create(project, "delivery", "active", {"terms": {"late": 1.0}})
            store.classifiers.create(project, "nature", "topic_based", "active", {}, None,
                                     [{"title": "water", "info": "river OR water"}])
            secret = new_secret()
            channel = store.channels.create(account, "bench", "webhook",
                                            f"http://127.0.0.1:{receiver.server_address[1]}/hook",
                                            notifications.secrets.seal(secret), hint(secret), "bench")
            start = time.perf_counter()
            fill(store, project, topic, args.messages, clock.now())
            results["fill_s"] = round(time.perf_counter() - start, 2)

            kinds = [(title, window) for title in ("delivery", "water") for window in (3600.0, DAY)]
            per_kind: dict[str, list[float]] = {f"{t} {int(w)}s": [] for t, w in kinds}
            for i in range(args.alerts):
                title, window = kinds[i % len(kinds)]
                alert_id = store.alerts.create({
                    "account_id": account, "name": f"a{i}", "target_kind": "compass_topic",
                    "target": COMPASS_TOPIC.resolve(store, project, title), "project_id": project,
                    "metric": "negative_share", "direction": "above", "threshold": 0.9, "window_seconds": window,
                    "every_seconds": 60.0, "pending_seconds": 0.0, "keep_firing_seconds": 0.0,
                    "repeat_seconds": 0.0, "channel_id": channel, "link": None, "creator": "bench"},
                    now=clock.now())
                alert = store.alerts.get(alert_id)
                assert alert is not None
                start = time.perf_counter()
                evaluator.evaluate(alert, clock.now())
                per_kind[f"{title} {int(window)}s"].append((time.perf_counter() - start) * 1000)
            results["evaluate_ms"] = {kind: {"p50": round(statistics.median(s), 2), "max": round(max(s), 2),
                                             "n": len(s)} for kind, s in per_kind.items()}

            for i in range(args.notifications):
                notifications.enqueue(channel, "bench.event", {"n": i, "text": "x" * 200})
            start = time.perf_counter()
            sent = notifications.deliver_due()
            elapsed = time.perf_counter() - start
            delivered = len(store.outbox.find(status="delivered", limit=10**6))
            results["delivery"] = {"notifications": args.notifications, "attempts": sent, "delivered": delivered,
                                   "seconds": round(elapsed, 3), "per_second": round(delivered / elapsed, 1)}
        finally:
            receiver.shutdown()
            receiver.server_close()
            store.close()
    print(f"alerts over {args.messages:,} messages (filled in {results['fill_s']} s)\n")
    print("| alert (topic, window) | p50 ms | max ms | alerts |\n|---|---|---|---|")
    for kind, numbers in results["evaluate_ms"].items():
        print(f"| {kind} | {numbers['p50']} | {numbers['max']} | {numbers['n']} |")
    delivery = results["delivery"]
    print(f"\ndelivery: {delivery['delivered']:,} of {delivery['notifications']:,} notifications in "
          f"{delivery['seconds']} s, {delivery['per_second']} a second")
    record.write(results, args.json, "alerts")
    return 0 if delivery["delivered"] == delivery["notifications"] else 1


if __name__ == "__main__":
    sys.exit(main())
