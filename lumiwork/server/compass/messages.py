"""p/classify/ (not saved) and p/messages/ (saved, classified, clustered)."""
from __future__ import annotations

import json
import time
from typing import Any

from starlette.routing import Route

from ...engine.text import SUPPORTED_LANGUAGES
from ...wire.dates import iso
from ..core.dialect import Answer
from ..core.errors import field_errors
from ..core.params import FieldErrors, boolean_field, text_field, time_field
from ..core.pipeline import Call, endpoint
from .dialect import absolute, bulk_items, detail, not_found, page, path_id
from .projects import get_project


def message_record(call: Call, message: dict, topics: list[dict] | None = None,
                   blocking: frozenset[int] = frozenset()) -> dict:
    """A message as Compass shows it; `blocking` holds the ids of blocking topics
    (a message in one of them is "blocked")."""
    topics = topics if topics is not None else json.loads(message["topics"])
    blocked = message.get("cluster_topic") in blocking
    record = {
        "text": message["text"], "language": message["language"], "source_id": message.get("source_id"),
        "timestamp": iso(message.get("timestamp")), "blocked": blocked, "weight": message.get("weight", 1.0),
        "info": json.loads(message["info"]) if isinstance(message.get("info"), str) else message.get("info") or {},
        "sentiment": message["sentiment"], "topics": topics,
    }
    if message.get("id") is not None:
        record = {"url": absolute(call, f"projects/{message['project_id']}/p/messages/{message['id']}/"),
                  "id": message["id"], **record}
    if message.get("centrality") is not None:
        record["centrality"] = message["centrality"]
    return record


def _incoming(call: Call, project: dict, require_timestamp: bool) -> list[dict]:
    """The messages of a request, validated completely before any is stored: one
    JSON object, a JSON list of them, or form fields."""
    items = bulk_items(call, "messages")
    messages, all_errors = [], []
    for item in items:
        errors = FieldErrors()
        if not isinstance(item, dict):
            all_errors.append({"non_field_errors": ["Expected a message object."]})
            continue
        text = text_field(errors, item, "text", required=True, limit="document text", multiline=True)
        timestamp = time_field(errors, item, "timestamp", required=require_timestamp)
        source_id = text_field(errors, item, "source_id", limit="subset name")
        language = text_field(errors, item, "language", choices=SUPPORTED_LANGUAGES) or project["language"]
        info = item.get("info") or {}
        if not isinstance(info, dict):
            errors.add("info", "Expected a JSON object.")
        all_errors.append(errors.errors)
        messages.append({"text": text or "", "timestamp": timestamp if timestamp is not None else time.time(),
                         "source_id": source_id, "language": language, "info": info})
    if any(all_errors):
        raise field_errors(all_errors if isinstance(call.body, list) else all_errors[0])
    if not messages:
        raise field_errors({"non_field_errors": ["No messages given."]})
    return messages


def _classified(call: Call, project: dict, messages: list[dict], assign: bool) -> None:
    results = call.server.compass.process(project["project_id"], [m["text"] for m in messages],
                                        project["language"], assign)
    for message, result in zip(messages, results):
        message.update(result)


def classify(call: Call) -> Any:
    """Classify without saving. One message in, one out; a list in, a list out."""
    project = get_project(call, "readwrite")
    messages = _incoming(call, project, require_timestamp=False)
    _classified(call, project, messages, assign=False)
    records = [message_record(call, m, m["topics"]) for m in messages]
    return records if isinstance(call.body, list) else records[0]


def message_filters(call: Call) -> dict[str, Any]:
    errors = FieldErrors()
    values = dict(call.params.query_pairs)
    filters = {"earliest": time_field(errors, values, "earliest"), "latest": time_field(errors, values, "latest")}
    for name in ("older_than_id", "newer_than_id"):
        value = values.get(name)
        if value is not None:
            if value.isascii() and value.isdigit() and len(value) < 18:
                filters[name] = int(value)
            else:
                errors.add(name, "A valid integer is required.")
    errors.raise_if_any()
    return filters


def add_messages(call: Call) -> Answer:
    """Store, classify and assign messages; with replace=true, the messages matching
    the query's filters are replaced by these. Which messages match is decided in
    the transaction that stores the new ones (not before classifying them, which
    takes a while): a message another request stores meanwhile is replaced too
    when it matches. Posting may start a clustering, which runs in the background."""
    project = get_project(call, "readwrite")
    if project["status"] != "active":
        raise detail(400, "The project is inactive: it does not process new messages.")
    messages = _incoming(call, project, require_timestamp=True)
    replace = boolean_field(FieldErrors(), dict(call.params.query_pairs), "replace")
    # The filters are checked before any work: a bad one is a 400 with nothing changed.
    replace_matching = message_filters(call) if replace else None
    _classified(call, project, messages, assign=True)
    ids = call.server.compass.store_messages(project["project_id"], messages, replace_matching)
    if call.server.compass.clustering_due(project["project_id"]):
        call.server.compass.submit_clustering(project["project_id"])
    blocking = blocking_topics(call, project["project_id"])
    records = [message_record(call, {**m, "id": i, "project_id": project["project_id"]}, m["topics"], blocking)
               for m, i in zip(messages, ids)]
    return Answer(records if isinstance(call.body, list) else records[0], 201)


def list_messages(call: Call) -> dict:
    project = get_project(call)
    messages = call.store.messages.find(project["project_id"], **message_filters(call))
    blocking = blocking_topics(call, project["project_id"])
    return page(call, messages, lambda m: message_record(call, m, blocking=blocking))


def _message(call: Call, needed: str) -> dict:
    project = get_project(call, needed)
    message = call.store.messages.get(project["project_id"], path_id(call, "message_id"))
    if message is None:
        raise not_found()
    return message


def read_message(call: Call) -> dict:
    message = _message(call, "read")
    return message_record(call, message, blocking=blocking_topics(call, message["project_id"]))


def blocking_topics(call: Call, project_id: str) -> frozenset[int]:
    return frozenset(t["id"] for t in call.store.compass_topics.find(project_id, blocking=True))


def delete_message(call: Call) -> Answer:
    message = _message(call, "readwrite")
    call.store.messages.delete(message["project_id"], message["id"])
    return Answer(status=204)


P = "/projects/{project_id}/p/"
routes = [
    Route(P + "classify/", endpoint(classify), methods=["POST"]),
    Route(P + "messages/", endpoint(list_messages), methods=["GET"]),
    Route(P + "messages/", endpoint(add_messages), methods=["POST"]),
    Route(P + "messages/{message_id}/", endpoint(read_message), methods=["GET"]),
    Route(P + "messages/{message_id}/", endpoint(delete_message), methods=["DELETE"]),
]
