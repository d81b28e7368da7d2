"""Compass answers as tidy, typed DataFrames (no network I/O hidden anywhere but
in these calls). Each takes a project client, `CompassClient.project(project_id)`."""
from __future__ import annotations

import pandas as pd

from ...client import CompassClient
from ...wire.names import UNCLASSIFIED


def _times(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype="string"), utc=True, format="ISO8601")


def classifiers(project: CompassClient) -> pd.DataFrame:
    """One row per classifier: name, type, status, building_state, topics (list), threshold, last_update."""
    records = list(project.iterate("classifiers/"))
    return pd.DataFrame({
        "classifier_id": pd.Series([r["id"] for r in records], dtype="int64"),
        "name": pd.Series([r["name"] for r in records], dtype="string"),
        "type": pd.Series([r["type"] for r in records], dtype="string"),
        "status": pd.Series([r["status"] for r in records], dtype="string"),
        "building_state": pd.Series([r["building_state"] for r in records], dtype="string"),
        "topics": pd.Series([[t["title"] for t in r["topics"]] for r in records], dtype="object"),
        "threshold": pd.Series([r["info"].get("threshold", r["info"].get("combined_threshold"))
                                for r in records], dtype="float64"),
        "last_update": _times([r["last_update"] for r in records]),
    })


def messages(project: CompassClient, **filters) -> pd.DataFrame:
    """One row per message, oldest first: timestamp (UTC), text, sentiment, and topics
    (the names its classifiers gave it, UNCLASSIFIED left out). Filters: earliest,
    latest, older_than_id, newer_than_id."""
    records = list(project.iterate("messages/", **filters))
    frame = pd.DataFrame({
        "message_id": pd.Series([r["id"] for r in records], dtype="int64"),
        "timestamp": _times([r["timestamp"] for r in records]),
        "text": pd.Series([r["text"] for r in records], dtype="string"),
        "sentiment": pd.Series([r["sentiment"] for r in records], dtype="float64"),
        "topics": pd.Series([[t["name"] for t in r["topics"] if t["name"] != UNCLASSIFIED] for r in records],
                            dtype="object"),
    })
    return frame.sort_values("timestamp", kind="stable", ignore_index=True)


def message_topics(project: CompassClient, **filters) -> pd.DataFrame:
    """One row per (message, topic) a classifier assigned: message_id, timestamp,
    source (the classifier), topic, score. UNCLASSIFIED rows are kept, so every
    message counts once per classifier."""
    rows = [(r["id"], r["timestamp"], t["source"], t["name"], t["score"])
            for r in project.iterate("messages/", **filters) for t in r["topics"]]
    return pd.DataFrame({
        "message_id": pd.Series([r[0] for r in rows], dtype="int64"),
        "timestamp": _times([r[1] for r in rows]),
        "source": pd.Series([r[2] for r in rows], dtype="string"),
        "topic": pd.Series([r[3] for r in rows], dtype="string"),
        "score": pd.Series([r[4] for r in rows], dtype="float64"),
    })


def topic_volume(message_topics_frame: pd.DataFrame, source: str, freq: str = "1h") -> pd.DataFrame:
    """Messages per time bucket (rows, a DatetimeIndex) and topic (columns) for one
    classifier; no network."""
    rows = message_topics_frame[message_topics_frame["source"] == source]
    if rows.empty:
        return pd.DataFrame(index=pd.DatetimeIndex([], tz="UTC", name="time"))
    table = rows.groupby([pd.Grouper(key="timestamp", freq=freq), "topic"]).size().unstack(fill_value=0)
    table.index.name = "time"
    table.columns = table.columns.astype(str)
    return table.astype("int64")


def stats(project: CompassClient, interval: int = 3600, num_buckets: int = 24,
          at_time: str | float | None = None) -> tuple[pd.DataFrame, dict]:
    """Time buckets as a DataFrame indexed by each bucket's start (UTC): count, negative,
    neutral, positive (NaN before the project's first message), and the measurements
    {count, velocity, acceleration}."""
    params: dict = {"interval": interval, "num_buckets": num_buckets}
    if at_time is not None:
        params["at_time"] = at_time
    answer = project.get("stats/", **params)
    buckets = answer["time_buckets"]
    start = pd.Timestamp(buckets["start_time"])
    index = pd.date_range(start, periods=len(buckets["counts"]), freq=pd.Timedelta(seconds=buckets["interval"]),
                          name="time")
    sentiment = [s or {} for s in buckets["sentiment_counts"]]
    frame = pd.DataFrame({
        "count": pd.Series(buckets["counts"], index=index, dtype="float64"),
        **{name: pd.Series([s.get(name) for s in sentiment], index=index, dtype="float64")
           for name in ("negative", "neutral", "positive")},
    })
    return frame, answer["measurements"]


def topics(project: CompassClient, status: str | None = None) -> pd.DataFrame:
    """One row per project topic: title, status, blocking, count, terms (dict), created."""
    params = {"status": status} if status else {}
    records = list(project.iterate("topics/", **params))
    return pd.DataFrame({
        "topic_id": pd.Series([r["id"] for r in records], dtype="int64"),
        "title": pd.Series([r["title"] for r in records], dtype="string"),
        "status": pd.Series([r["status"] for r in records], dtype="string"),
        "blocking": pd.Series([r["blocking"] for r in records], dtype="bool"),
        "count": pd.Series([r["measurements"]["count"] for r in records], dtype="int64"),
        "terms": pd.Series([r["info"].get("terms", {}) for r in records], dtype="object"),
        "created": _times([r["created"] for r in records]),
    })


def topic_matches(project: CompassClient, topic: str, threshold: float = 0.4, limit: int = 10) -> pd.DataFrame:
    """The project's recent messages that match a boolean topic, best first:
    message_id, timestamp, score, one column per operand (its own score, which
    says why the message matches) and text. `attrs` holds `count` (all the
    matches, not only the `limit` shown), `operands`, and `note` naming the
    operands the project's space does not know."""
    answer = project.post("match/", topic=topic, limit=limit, threshold=threshold)
    operands = answer["operands"]
    results = answer["results"]
    frame = pd.DataFrame({
        "message_id": pd.Series([r["id"] for r in results], dtype="int64"),
        # seconds since 1970 here (lumiwork's own endpoint), ISO 8601 in Compass's lists
        "timestamp": pd.to_datetime(pd.Series([r["timestamp"] for r in results], dtype="float64"),
                                    unit="s", utc=True),
        "score": pd.Series([r["score"] for r in results], dtype="float64"),
        **{operand: pd.Series([r["operand_scores"][operand] for r in results], dtype="float64")
           for operand in operands},
        "text": pd.Series([r["text"] for r in results], dtype="string"),
    })
    unknown = answer.get("unknown_operands") or []
    frame.attrs.update(count=answer["count"], operands=operands,
                       note=f"The project's space does not know: {', '.join(unknown)}." if unknown else "")
    return frame


__all__ = [
    'classifiers', 'message_topics', 'messages', 'stats', 'topic_matches', 'topic_volume', 'topics'
]
