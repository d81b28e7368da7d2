"""p/stats/, p/usage/ and p/config/: message volume over time, message usage,
and the project's configuration."""
from __future__ import annotations

import calendar
import math
import time
from datetime import UTC, datetime
from typing import Any

import numpy as np
from starlette.routing import Route

from ...wire.dates import EARLIEST, iso, parse_time
from ..core.dialect import Answer
from ..core.errors import field_errors
from ..core.jsonstrict import text_problem
from ..core.limits import LIMITS
from ..core.params import FieldErrors
from ..core.pipeline import Call, endpoint
from .dialect import absolute, not_found
from .projects import get_project
from .work import CONFIG_DEFAULTS

# the largest value of a whole-number configuration key (number_of_clusters: k-means cost)
MAX_CONFIG = 10**12
CONFIG_LIMITS = {"number_of_clusters": 1000, "number_of_discardable_clusters": 1000}
DEFAULT_INTERVAL = 300
DEFAULT_BUCKETS = 120
MAX_BUCKETS = 10_000


def bucket_options(call: Call) -> tuple[float, int, float]:
    """(interval seconds, number of buckets, end time) from the query, with field errors."""
    errors = FieldErrors()
    values = dict(call.params.query_pairs)
    interval, buckets, at_time = float(DEFAULT_INTERVAL), DEFAULT_BUCKETS, time.time()
    try:
        text = values.get("interval", str(DEFAULT_INTERVAL))
        interval = float(text) if text.isascii() else math.nan  # float() reads Unicode digits
        if not 1 <= interval <= 366 * 86400:
            raise ValueError
    except ValueError:
        errors.add("interval", "A number of seconds between 1 and a year is required.")
    text = values.get("num_buckets", str(DEFAULT_BUCKETS))
    if text.isascii() and text.isdigit() and len(text) < 18 and 1 <= int(text) <= MAX_BUCKETS:
        buckets = int(text)
    else:
        errors.add("num_buckets", f"An integer between 1 and {MAX_BUCKETS} is required.")
    if "at_time" in values:
        try:
            at_time = parse_time(values["at_time"])
        except ValueError as exc:
            errors.add("at_time", str(exc))
    errors.raise_if_any()
    if at_time - buckets * interval < EARLIEST:
        errors.add("at_time", "The first bucket would start before the year 1: use a later at_time, "
                              "or fewer or shorter buckets.")
        errors.raise_if_any()
    return interval, buckets, at_time


def volume(columns: np.ndarray, interval: float, buckets: int, at_time: float, threshold: float) -> dict:
    """Counts and sentiment per time bucket, and the rates at the end of the period.

    columns: (messages, >= 3) timestamp, sentiment, weight. Buckets run from
    at_time - buckets * interval to at_time, earliest first; a bucket that ends
    before the first message is null. velocity is the messages of the last bucket
    per hour; acceleration the change of velocity from the bucket before, per hour.
    A message is positive above `threshold`, negative below its negative.
    """
    timestamps, sentiments, weights = columns[:, 0], columns[:, 1], columns[:, 2]
    start = at_time - buckets * interval
    index = np.floor((timestamps - start) / interval)
    inside = (index >= 0) & (index < buckets)
    index = index[inside].astype(np.int64)
    counts = np.bincount(index, minlength=buckets)
    polarity = np.where(sentiments > threshold, 2, np.where(sentiments < -threshold, 0, 1))[inside]
    by_sentiment = np.bincount(index * 3 + polarity, weights=weights[inside], minlength=buckets * 3).reshape(buckets, 3)
    hours = interval / 3600
    velocity = counts[-1] / hours
    previous = counts[-2] / hours if buckets > 1 else 0.0
    ends = start + (np.arange(buckets) + 1) * interval
    exists = ends > timestamps.min() if len(timestamps) else np.zeros(buckets, dtype=bool)
    return {
        "measurements": {"count": int(len(timestamps)), "velocity": round(float(velocity), 6),
                         "acceleration": round(float((velocity - previous) / hours), 6)},
        "time_buckets": {
            # "interval (integer)" in the documents' answer; fractions of a second stay as they are
            "start_time": iso(start), "end_time": iso(at_time),
            "interval": int(interval) if float(interval).is_integer() else interval,
            "counts": [int(c) if e else None for c, e in zip(counts, exists)],
            "sentiment_counts": [{"negative": round(float(n), 6), "neutral": round(float(m), 6),
                                  "positive": round(float(p), 6)} if e else None
                                 for (n, m, p), e in zip(by_sentiment, exists)],
        },
    }


def message_volume(call: Call, project_id: str, cluster_topic: int | None = None) -> dict:
    interval, buckets, at_time = bucket_options(call)
    threshold = float(call.server.compass.config(project_id)["sentiment_threshold"])
    columns = call.server.compass.message_columns(project_id)
    if cluster_topic is not None:
        columns = columns[columns[:, 3] == cluster_topic]
    return volume(columns, interval, buckets, at_time, threshold)


def project_stats(call: Call) -> dict:
    project = get_project(call)
    return message_volume(call, project["project_id"])


# ---- usage ----------------------------------------------------------------------------------

def _month_start(day: float) -> float:
    moment = datetime.fromtimestamp(day, tz=UTC)
    return datetime(moment.year, moment.month, 1, 12, tzinfo=UTC).timestamp()


def usage_record(call: Call, project_id: str, row: dict) -> dict:
    return {"url": absolute(call, f"projects/{project_id}/p/usage/{int(row['day'])}-{row['source']}/"),
            "source": row["source"], "start_time": iso(row["day"]), "count": row["count"]}


def list_usage(call: Call) -> list[dict]:
    """Message usage per month: days start at noon (UTC), as the documents say."""
    project = get_project(call)
    errors = FieldErrors()
    values = dict(call.params.query_pairs)
    earliest = latest = None
    for name in ("earliest", "latest"):
        if name in values:
            try:
                moment = parse_time(values[name])
                earliest, latest = (moment, latest) if name == "earliest" else (earliest, moment)
            except ValueError as exc:
                errors.add(name, str(exc))
    errors.raise_if_any()
    rows = call.store.compass_usage.find(project["project_id"], values.get("source"), earliest, latest)
    months: dict[float, dict] = {}
    for row in rows:
        start = _month_start(row["day"])
        month = months.setdefault(start, {"start_time": iso(start),
                                          "month_name": calendar.month_name[datetime.fromtimestamp(start, UTC).month],
                                          "total_counts": {}, "days": []})
        month["total_counts"][row["source"]] = month["total_counts"].get(row["source"], 0) + row["count"]
        month["days"].append(usage_record(call, project["project_id"], row))
    return [months[start] for start in sorted(months)]


def read_usage(call: Call) -> dict:
    project = get_project(call)
    day, _, source = call.path["usage_id"].partition("-")
    for row in call.store.compass_usage.find(project["project_id"], source or None):
        if str(int(row["day"])) == day:
            return usage_record(call, project["project_id"], row)
    raise not_found()


# ---- configuration --------------------------------------------------------------------------

def list_config(call: Call) -> dict:
    project = get_project(call)
    overridden = call.store.compass_config.get(project["project_id"])
    return {"default": [{"key": k, "value": v} for k, v in CONFIG_DEFAULTS.items()],
            "overridden": [{"key": k, "value": v} for k, v in overridden.items()]}


def _key(call: Call) -> str:
    key = call.path["key"]
    if key not in CONFIG_DEFAULTS:
        raise not_found(f"No configuration key {key[:60]!r}; keys: {', '.join(CONFIG_DEFAULTS)}.")
    return key


def read_config(call: Call) -> dict:
    project = get_project(call)
    key = _key(call)
    return {"key": key, "value": call.server.compass.config(project["project_id"])[key]}


def set_config(call: Call) -> dict:
    """A value of the default's type: a number in [0, 1] for sentiment_threshold, a
    list of topic titles or ids for lists, and a whole number for the others (they
    count messages, clusters or seconds; a fraction used to crash the clustering)."""
    project = get_project(call, "readwrite")
    key = _key(call)
    if "value" not in call.params.values:
        raise field_errors({"value": ["This field is required."]})
    value: Any = call.params.json_value("value")
    default = CONFIG_DEFAULTS[key]
    number = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if isinstance(default, list):
        valid = isinstance(value, list) and all(
            (isinstance(v, str) and 0 < len(v) <= LIMITS["topic name"] and not text_problem(v))
            or (isinstance(v, int) and not isinstance(v, bool)) for v in value)
        kind = "a list of topic titles or ids"
    elif key == "sentiment_threshold":
        valid = number and 0 <= value <= 1
        kind = "a number between 0 and 1"
    else:
        valid = number and float(value).is_integer() and 0 <= value <= CONFIG_LIMITS.get(key, MAX_CONFIG)
        kind = f"a whole number between 0 and {CONFIG_LIMITS.get(key, MAX_CONFIG)}"
        value = int(value) if valid else value
    if not valid:
        raise field_errors({"value": [f"{key} must be {kind}."]})
    call.store.compass_config.set(project["project_id"], key, value)
    return {"key": key, "value": value}


def unset_config(call: Call) -> Answer:
    project = get_project(call, "readwrite")
    call.store.compass_config.unset(project["project_id"], _key(call))
    return Answer(status=204)


P = "/projects/{project_id}/p/"
routes = [
    Route(P + "stats/", endpoint(project_stats), methods=["GET"]),
    Route(P + "usage/", endpoint(list_usage), methods=["GET"]),
    Route(P + "usage/{usage_id}/", endpoint(read_usage), methods=["GET"]),
    Route(P + "config/", endpoint(list_config), methods=["GET"]),
    Route(P + "config/{key}/", endpoint(read_config), methods=["GET"]),
    Route(P + "config/{key}/", endpoint(set_config), methods=["PUT"]),
    Route(P + "config/{key}/", endpoint(unset_config), methods=["DELETE"]),
]
