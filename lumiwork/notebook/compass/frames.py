"""Compass answers as tidy, typed DataFrames (no network I/O hidden anywhere but
in these calls). Each takes a project client, `CompassClient.project(project_id)`."""
from __future__ import annotations

import re

import pandas as pd

from ...client import CompassClient, LuminosoClientError
from ...wire.names import UNCLASSIFIED

#: The threshold a classifier uses when its `info` gives none: "Default value is
#: 0.4" (compass-api-endpoints-2018.txt) for `threshold`, `combined_threshold` and
#: `positive_threshold`; sentiment_custom classifies by bands instead (NaN).
DEFAULT_THRESHOLD = 0.4
THRESHOLD_FIELDS = {"voting": "threshold", "topic_based": "threshold",
                    "sentiment_combined": "combined_threshold", "sentiment_split": "positive_threshold"}


def _times(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype="string"), utc=True, format="ISO8601")


def classifier_threshold(record: dict) -> float:
    """The confidence a message needs for a classifier's topic: its `info`'s
    threshold, else the API's documented default; NaN for band-based sentiment."""
    field = THRESHOLD_FIELDS.get(record["type"])
    if field is None:
        return float("nan")
    return float((record.get("info") or {}).get(field, DEFAULT_THRESHOLD))


def classifiers(project: CompassClient) -> pd.DataFrame:
    """One row per classifier: name, type, status, building_state, topics (list),
    threshold (`classifier_threshold`; sentiment_split's is its positive one), last_update."""
    records = list(project.iterate("classifiers/"))
    return pd.DataFrame({
        "classifier_id": pd.Series([r["id"] for r in records], dtype="int64"),
        "name": pd.Series([r["name"] for r in records], dtype="string"),
        "type": pd.Series([r["type"] for r in records], dtype="string"),
        "status": pd.Series([r["status"] for r in records], dtype="string"),
        "building_state": pd.Series([r["building_state"] for r in records], dtype="string"),
        "topics": pd.Series([[t["title"] for t in r["topics"]] for r in records], dtype="object"),
        "threshold": pd.Series([classifier_threshold(r) for r in records], dtype="float64"),
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
    matches, not only the `limit` shown), `operands`, `tied` (how many matches
    share the last shown row's score: more than are shown when the tie runs past
    the limit) and `note` naming the operands the project's space does not know.

    Scores are capped at 1, so the messages in which an operand has its full
    evidence tie; `order_matches` orders them. A topic that cannot be read
    raises ValueError with the server's reason."""
    answer = _match(project, topic, threshold, min(limit + 1, MAX_MATCHES))
    results = answer["results"]
    if 0 < limit < len(results) and results[limit]["score"] == results[limit - 1]["score"]:
        # the tie runs past the last row shown: fetch every message scoring at least
        # as much (scores come rounded to 6 places), to choose among all of them
        cut = results[limit - 1]["score"]
        results = _match(project, topic, max(threshold, cut - 1e-6), MAX_MATCHES)["results"]
    operands = answer["operands"]
    results = order_matches(results, topic)
    tied = sum(r["score"] == results[limit - 1]["score"] for r in results) if 0 < limit <= len(results) else 0
    results = results[:limit]
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
    frame.attrs.update(count=answer["count"], operands=operands, tied=tied,
                       note=f"The project's space does not know: {', '.join(unknown)}." if unknown else "")
    return frame


MAX_MATCHES = 1000  # the most match/ returns at once
_NOT = re.compile(r"\bNOT\b")


def order_matches(results: list[dict], topic: str) -> list[dict]:
    """match/ results best first: by score; among equal scores (an operand's
    full evidence scores 1 in every message that has it) the one whose operands match
    more strongly in all first (for "river OR ferryman", a message about both
    before one about the river alone), then the newest. With NOT in the topic a
    stronger operand can count against a message, so ties go newest first."""
    def strength(result: dict) -> float:
        scores = list(result["operand_scores"].values())
        return 0.0 if _NOT.search(topic) or not scores else sum(scores) / len(scores)

    return sorted(results, key=lambda r: (-r["score"], -strength(r), -r["timestamp"]))


def _match(project: CompassClient, topic: str, threshold: float, limit: int) -> dict:
    try:
        return project.post("match/", topic=topic, limit=limit, threshold=threshold)
    except LuminosoClientError as exc:
        fields = exc.error.get("fields") if isinstance(exc.error, dict) else None
        reasons = fields.get("topic") if isinstance(fields, dict) else None
        if not reasons:
            raise
        # the server names the topic it checked ("topic 'topic': ..."); here there is only one
        reason = " ".join(re.sub(r"^topic '[^']*': ", "", str(r)) for r in reasons)
        raise ValueError(f"cannot read the topic: {reason}") from None


__all__ = [
    'classifiers', 'message_topics', 'messages', 'stats', 'topic_matches', 'topic_volume', 'topics'
]
