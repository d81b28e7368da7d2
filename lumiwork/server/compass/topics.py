"""p/topics/ and p/topics_history/: the project's topics (the user's, and the
`pending` ones clustering makes), their messages and measurements."""
from __future__ import annotations

import math
from typing import Any

from starlette.routing import Route

from ...wire.dates import iso
from ..core.dialect import Answer
from ..core.params import FieldErrors, boolean_field, json_field, text_field, time_field
from ..core.pipeline import Call, endpoint
from . import classifiers
from .dialect import absolute, not_found, page, path_id
from .messages import blocking_topics, message_filters, message_record
from .projects import get_project
from .stats import message_volume

STATUSES = ("active", "inactive", "pending")


def topic_record(call: Call, topic: dict | None, with_stats: bool = False) -> dict:
    if topic is None:  # deleted meanwhile
        raise not_found()
    base = f"projects/{topic['project_id']}/p/topics/{topic['id']}/"
    volume = message_volume(call, topic["project_id"], cluster_topic=topic["id"]) if with_stats else None
    if volume is None:
        # from the project's cached message columns, not a query per topic listed
        columns = call.server.compass.message_columns(topic["project_id"])
        measurements: dict[str, Any] = {"count": int((columns[:, 3] == topic["id"]).sum())}
    else:
        measurements = {**volume["measurements"], "time_buckets": volume["time_buckets"]}
    return {"url": absolute(call, base), "id": topic["id"], "title": topic["title"], "status": topic["status"],
            "blocking": topic["blocking"], "created": iso(topic["created"]), "ended": iso(topic["ended"]),
            "info": topic["info"], "clusters": topic["clusters"], "measurements": measurements,
            "messages_url": absolute(call, base + "messages/")}


def _terms_info(errors: FieldErrors, value: Any, required: bool) -> dict | None:
    """info = {"terms": {word or phrase: weight in [0, 1]}}, from JSON or a JSON string."""
    if value is None:
        if required:
            errors.add("info", "This field is required.")
        return None
    value = json_field(errors, "info", value)
    if value is None:
        return None
    terms = value.get("terms") if isinstance(value, dict) else None
    if not isinstance(terms, dict) or not terms:
        errors.add("info", 'Expected {"terms": {"word or phrase": weight between 0 and 1, ...}}.')
        return None
    for term, weight in terms.items():
        if (not isinstance(term, str) or not term.strip() or isinstance(weight, bool)
                or not isinstance(weight, (int, float)) or not math.isfinite(weight) or not 0 <= weight <= 1):
            errors.add("info", f"Term {str(term)[:40]!r} needs a weight between 0 and 1.")
            return None
    return {**value, "terms": {term: float(weight) for term, weight in terms.items()}}


def _flag(call: Call, name: str) -> bool | None:
    """A boolean from the query string (None when absent); a made-up value is a 400."""
    values = dict(call.params.query_pairs)
    if name not in values:
        return None
    errors = FieldErrors()
    value = boolean_field(errors, values, name)
    errors.raise_if_any()
    return value


def list_topics(call: Call) -> dict:
    project = get_project(call)
    status = call.params.string("status")
    topics = call.store.compass_topics.find(project["project_id"], status=status, blocking=_flag(call, "blocking"))
    stats = bool(_flag(call, "stats"))
    return page(call, topics, lambda t: topic_record(call, t, stats))


def create_topic(call: Call) -> Answer:
    project = get_project(call, "readwrite")
    errors = FieldErrors()
    values = call.params.values
    title = text_field(errors, values, "title", required=True, limit="topic name")
    info = _terms_info(errors, values.get("info"), required=True)
    status = text_field(errors, values, "status", choices=STATUSES) or "active"
    blocking = boolean_field(errors, values, "blocking")
    errors.raise_if_any()
    assert title and info
    topic_id = call.store.compass_topics.create(project["project_id"], title, status, info, blocking)
    call.server.compass.topics_changed(project["project_id"])
    return Answer(topic_record(call, call.store.compass_topics.get(project["project_id"], topic_id)), 201)


def _topic(call: Call, needed: str = "read") -> dict:
    project = get_project(call, needed)
    topic = call.store.compass_topics.get(project["project_id"], path_id(call, "topic_id"))
    if topic is None:
        raise not_found()
    return topic


def _classifier_topic(call: Call) -> bool:
    """Whether the path's topic is a classifier's, not the project's: then it is
    answered as at P classifiers/<id>/topics/<id>/ (both Compass documents
    address classifier topics at P topics/<id>/ too)."""
    project = get_project(call)
    topic_id = path_id(call, "topic_id")
    if call.store.compass_topics.get(project["project_id"], topic_id) is not None:
        return False
    topic = call.store.classifiers.topic(project["project_id"], topic_id)
    if topic is None:
        return False
    call.path["classifier_id"] = str(topic["classifier_id"])
    return True


def read_topic(call: Call) -> dict:
    if _classifier_topic(call):
        return classifiers.read_topic(call)
    return topic_record(call, _topic(call), bool(_flag(call, "stats")))


def update_topic(call: Call) -> dict:
    if _classifier_topic(call):
        return classifiers.update_topic(call)
    topic = _topic(call, "readwrite")
    errors = FieldErrors()
    values = call.params.values
    changes: dict[str, Any] = {}
    title = text_field(errors, values, "title", limit="topic name")
    if title:
        changes["title"] = title
    status = text_field(errors, values, "status", choices=("active", "inactive"))
    if status:
        changes["status"] = status
    if "blocking" in values:
        changes["blocking"] = int(boolean_field(errors, values, "blocking"))
    if "info" in values:
        info = _terms_info(errors, values["info"], required=True)
        if info:
            changes["info"] = info
    errors.raise_if_any()
    if changes:
        call.store.compass_topics.update(topic["id"], **changes)
        if "status" in changes or "info" in changes:  # what messages it takes changed
            call.server.compass.topics_changed(topic["project_id"])
    return topic_record(call, call.store.compass_topics.get(topic["project_id"], topic["id"]))


def delete_topic(call: Call) -> Answer:
    """The topic leaves the project's topics; topics_history/ keeps it, with the time it ended."""
    if _classifier_topic(call):
        return classifiers.delete_topic(call)
    topic = _topic(call, "readwrite")
    call.store.compass_topics.end(topic["project_id"], [topic["id"]])
    call.server.compass.topics_changed(topic["project_id"])
    return Answer(status=204)


def topic_messages(call: Call) -> dict:
    """The topic's messages, most central first (then newest first); outliers
    (negative centrality) only with outliers=true. "membership" says "updating"
    while memberships are being computed again after a change of topics or
    space, else "current"."""
    topic = _topic(call)
    state = call.server.compass.membership_state(topic["project_id"])
    messages = call.store.messages.find(topic["project_id"], cluster_topic=topic["id"], **message_filters(call))
    if not _flag(call, "outliers"):
        messages = [m for m in messages if (m["centrality"] or 0) >= 0]
    messages.sort(key=lambda m: -(m["centrality"] or 0))
    blocking = blocking_topics(call, topic["project_id"])
    return {**page(call, messages, lambda m: message_record(call, m, blocking=blocking)), "membership": state}


def topics_history(call: Call) -> dict:
    """Every topic the project ever had, newest first, filtered by when it was
    created and when it ended (became inactive, was deleted or replaced)."""
    project = get_project(call)
    errors = FieldErrors()
    values = dict(call.params.query_pairs)
    bounds = {name: time_field(errors, values, name)
              for name in ("earliest_created", "latest_created", "earliest_ended", "latest_ended")}
    errors.raise_if_any()
    topics = call.store.compass_topics.find(project["project_id"], status=values.get("status"),
                                       blocking=_flag(call, "blocking"), include_deleted=True)

    def keep(topic: dict) -> bool:
        ended = topic["ended"]
        checks = [(bounds["earliest_created"], topic["created"], 1), (bounds["latest_created"], topic["created"], -1),
                  (bounds["earliest_ended"], ended, 1), (bounds["latest_ended"], ended, -1)]
        for bound, moment, sign in checks:
            if bound is None:
                continue
            if moment is None or (moment - bound) * sign < 0:
                return False
        return True

    topics = sorted((t for t in topics if keep(t)), key=lambda t: -t["created"])
    stats = bool(_flag(call, "stats"))  # "in addition to the query parameters for regular topics"
    return page(call, topics, lambda t: topic_record(call, t, stats))


P = "/projects/{project_id}/p/"
routes = [
    Route(P + "topics/", endpoint(list_topics), methods=["GET"]),
    Route(P + "topics/", endpoint(create_topic), methods=["POST"]),
    Route(P + "topics/{topic_id}/", endpoint(read_topic), methods=["GET"]),
    Route(P + "topics/{topic_id}/", endpoint(update_topic), methods=["PUT", "PATCH"]),
    Route(P + "topics/{topic_id}/", endpoint(delete_topic), methods=["DELETE"]),
    Route(P + "topics/{topic_id}/messages/", endpoint(topic_messages), methods=["GET"]),
    Route(P + "topics_history/", endpoint(topics_history), methods=["GET"]),
]
