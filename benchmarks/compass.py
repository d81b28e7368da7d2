"""Compass speed over HTTP against `lumiwork serve` in a subprocess:

- classify/ of one message with 3 active classifiers (voting, topic-based,
  sentiment): p50 and p95 of --repeats requests (target: p50 under 20 ms);
- messages/ in batches of 1,000: messages per second (target: at least 2,000);
- stats/ over --stats-messages messages: p50 (target: under 50 ms);
- topic membership over those messages: creating a topic (every message is
  placed again before the answer), and after the space is rebuilt (a new
  classifier once documents were added), how long until every message has its
  vector in the new space and its topic again ("membership": "current").

    .venv/bin/python benchmarks/compass.py [--text PATH] [--stats-messages 100000] [--json FILE]

The raw numbers go to benchmarks/out/ (see record.py) unless --json names a file.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent))
import record  # noqa: E402
from stall import Server  # noqa: E402  (the same subprocess server)

from lumiwork.compass import CompassClient  # noqa: E402
from lumiwork.datasets import siddhartha  # noqa: E402


def timed(call, repeats: int) -> list[float]:
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def summary(samples: list[float]) -> dict:
    ordered = sorted(samples)
    return {"p50_ms": round(statistics.median(ordered), 2),
            "p95_ms": round(ordered[int(0.95 * (len(ordered) - 1))], 2), "n": len(ordered)}


def wait_until_current(session, url: str, topic: int) -> None:
    """Until no classifier is building and the project's memberships are "current"."""
    while True:
        ready = all(c["building_state"] != "building" for c in session.get(url + "classifiers/").json()["results"])
        if ready and session.get(url + f"topics/{topic}/messages/").json()["membership"] == "current":
            return
        time.sleep(0.2)


def measure_membership(session, url: str) -> dict:
    """Seconds to create a topic (placing every message), and from a new classifier
    on a changed space until every message is placed in the new space."""
    topics = [{"title": f"water {k}", "info": {"terms": {"river": 1, "water": 1, "ferry": 1}}} for k in range(4)]
    topic = session.post(url + "topics/", json=topics.pop()).json()["id"]
    wait_until_current(session, url, topic)  # messages posted before the space was built get their vectors first
    created = timed(lambda: session.post(url + "topics/", json=topics.pop()).raise_for_status(), 3)
    session.post(url + "documents/", json=[{"text": f"A new document about the river, number {k}."}
                                           for k in range(10)]).raise_for_status()
    start = time.perf_counter()
    session.post(url + "classifiers/", json={"name": "rebuild", "type": "topic_based", "status": "active",
                                             "info": {"topics": [{"title": "water", "info": "river"}]}}
                 ).raise_for_status()
    wait_until_current(session, url, topic)
    return {"topic_create": summary(created), "space_rebuild_until_current_s": round(time.perf_counter() - start, 2)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--text", help="Siddhartha text (default: $LUMIWORK_SIDDHARTHA etc.)")
    parser.add_argument("--repeats", type=int, default=200)
    parser.add_argument("--stats-messages", type=int, default=100_000)
    parser.add_argument("--json", help=record.JSON_HELP)
    args = parser.parse_args(argv)
    docs = siddhartha(args.text)
    with tempfile.TemporaryDirectory() as workdir:
        server = Server(Path(workdir), 0, time.monotonic() + 120)
        try:
            client = CompassClient(server.url.replace("/api/v4/", "/compass/api/"), server.token)
            account = server.result("GET", "accounts/")["default_account"]
            project = client.project(client.post("projects/", name="bench", account=account, language="en")["id"])
            labels = {"Chapter 1", "Chapter 5", "Chapter 8"}
            project.post("documents/", [{"text": d["text"],
                                         "label": d["subsets"][0].split(":")[0]
                                         if d["subsets"][0].split(":")[0] in labels else None}
                                        for d in docs])
            project.post("classifiers/", {"name": "chapters", "type": "voting", "status": "active"})
            project.post("classifiers/", {"name": "things", "type": "topic_based", "status": "active",
                                          "info": {"topics": [{"title": "water", "info": "river OR water"},
                                                              {"title": "money", "info": "money"}]}})
            project.post("classifiers/", {"name": "mood", "type": "sentiment_combined", "status": "active",
                                          "info": {"domain_expansion": True}})
            project.wait_for_classifiers(timeout=300)
            session = requests.Session()
            session.headers["Authorization"] = f"Token {server.token}"
            url = project.url
            sentence = "The ferryman took the merchant across the river, and he was glad."
            def classify_once():
                session.post(url + "classify/", json={"text": sentence}).raise_for_status()

            classify = summary(timed(classify_once, args.repeats))
            batches, now = 5, time.time()
            batch_seconds = []
            for b in range(batches):
                batch = [{"text": docs[(b * 1000 + i) % len(docs)]["text"], "timestamp": now - 86400 + b * 1000 + i}
                         for i in range(1000)]
                start = time.perf_counter()
                session.post(url + "messages/", json=batch).raise_for_status()
                batch_seconds.append(time.perf_counter() - start)
            rate = round(batches * 1000 / sum(batch_seconds), 1)
            stats_project = client.project(client.post("projects/", name="stats", account=account,
                                                       language="en")["id"])
            stats_url = stats_project.url
            session.post(stats_url + "documents/", json=[{"text": d["text"]} for d in docs[:300]]).raise_for_status()
            # a classifier builds the project's space, so messages get their vectors as they are posted
            stats_project.post("classifiers/", {"name": "things", "type": "topic_based", "status": "active",
                                                "info": {"topics": [{"title": "money", "info": "money"}]}})
            stats_project.wait_for_classifiers(timeout=300)
            start_time = now - 7 * 86400
            for first in range(0, args.stats_messages, 5000):
                chunk = [{"text": docs[i % len(docs)]["text"], "timestamp": start_time + i * 6}
                         for i in range(first, min(first + 5000, args.stats_messages))]
                session.post(stats_url + "messages/", json=chunk).raise_for_status()
            stats = summary(timed(lambda: session.get(stats_url + "stats/",
                                                      params={"interval": 3600, "num_buckets": 168}).raise_for_status(),
                                  30))
            membership = measure_membership(session, stats_url)
        finally:
            server.stop()
    result = {"machine": record.machine(), "classify_one_message_3_classifiers": classify,
              "messages_per_second_batches_of_1000": rate, "stats": {**stats, "messages": args.stats_messages},
              "membership": {**membership, "messages": args.stats_messages}}
    print(json.dumps(result, indent=2))
    record.write(result, args.json, "compass")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
