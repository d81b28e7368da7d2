"""p/classifiers/: voting, topic-based and sentiment classifiers, their topics,
rebuilds (background jobs) and tests."""
from __future__ import annotations

from typing import Any

from starlette.routing import Route

from ...engine import BuildError
from ...engine.classify import ALL, SentimentClassifier, TopicSyntaxError, parse_topic
from ...engine.text import SUPPORTED_LANGUAGES
from ...wire.dates import iso
from ..core.dialect import Answer
from ..core.errors import ApiError, field_errors
from ..core.jsonstrict import check_text
from ..core.params import FieldErrors, boolean_field, json_field, text_field
from ..core.pipeline import Call, endpoint
from .dialect import absolute, bulk_items, detail, not_found, page, path_id
from .projects import get_project
from .work import SpaceNotReady

VOTING, TOPIC_BASED = "voting", "topic_based"
SENTIMENT_TYPES = ("sentiment_combined", "sentiment_split", "sentiment_custom", "sentiment_wordlist")
TYPES = (VOTING, TOPIC_BASED, *SENTIMENT_TYPES)
STATUSES = ("active", "inactive")
SENTIMENT_OPTIONS = ("combined_threshold", "positive_threshold", "negative_threshold", "topics", "wordlist",
                     "domain_expansion", "max_expansion_terms", "domain_terms", "term_conflicts")


# ---- records ---------------------------------------------------------------------------------

def topic_record(call: Call, topic: dict | None) -> dict:
    if topic is None:  # deleted meanwhile
        raise not_found()
    return {"url": absolute(call, f"projects/{topic['project_id']}/p/classifiers/{topic['classifier_id']}/"
                                 f"topics/{topic['id']}/"),
            "id": topic["id"], "title": topic["title"], "info": topic["info"], "status": topic["status"],
            "blocking": bool(topic["blocking"])}


def classifier_record(call: Call, record: dict | None) -> dict:
    """The classifier as Compass shows it. While its first version is being built it
    is "inactive"; during a rebuild the previous version stays active."""
    if record is None:  # deleted meanwhile
        raise not_found()
    status = record["status"] if record["state"] else "inactive"
    return {
        "url": absolute(call, f"projects/{record['project_id']}/p/classifiers/{record['id']}/"),
        "id": record["id"], "name": record["name"], "type": record["type"], "status": status,
        "building_state": record["building_state"],
        "topics": [topic_record(call, t) for t in call.store.classifiers.topics(record["id"])],
        "info": record["info"], "dataset": record["dataset"],
        "created": iso(record["created"]), "last_update": iso(record["last_update"]),
    }


def get_classifier(call: Call, needed: str = "read") -> dict:
    project = get_project(call, needed)
    record = call.store.classifiers.get(project["project_id"], path_id(call, "classifier_id"))
    if record is None:
        raise not_found()
    return record


# ---- validation ------------------------------------------------------------------------------

def _info(errors: FieldErrors, values: dict) -> dict:
    """The `info` object, from JSON or a JSON-encoded form field."""
    if values.get("info") is None:
        return {}
    info = json_field(errors, "info", values["info"])
    if info is None:
        return {}
    if not isinstance(info, dict):
        errors.add("info", "Expected a JSON object.")
        return {}
    return info


def _check_info(errors: FieldErrors, kind: str, info: dict) -> dict:
    """Validated info for a classifier type: threshold and num_topics for voting and
    topic-based ones, the sentiment options (checked by the engine) for sentiment ones."""
    clean: dict[str, Any] = {}
    if kind in (VOTING, TOPIC_BASED):
        if "threshold" in info:
            threshold = info["threshold"]
            if isinstance(threshold, bool) or not isinstance(threshold, (int, float)) or not 0 <= threshold <= 1:
                errors.add("info", "threshold must be a number between 0 and 1.")
            else:
                clean["threshold"] = float(threshold)
        if "num_topics" in info:
            number = info["num_topics"]
            if number != ALL and (isinstance(number, bool) or not isinstance(number, int) or number < 1):
                errors.add("info", 'num_topics must be a positive integer or "ALL".')
            else:
                clean["num_topics"] = number
    else:
        options = {k: info[k] for k in SENTIMENT_OPTIONS if k in info}
        try:
            SentimentClassifier(kind, **options)
        except (TypeError, ValueError) as exc:
            errors.add("info", str(exc))
        clean.update(options)
    return clean


def _topics(errors: FieldErrors, raw: Any) -> list[dict]:
    """Topic-based topics [{title, info}] with their syntax checked ("clause" is
    accepted for "info", as in the 2018 documents)."""
    if raw is None:
        return []
    if not isinstance(raw, list):
        errors.add("info", "topics must be a list of {title, info} objects.")
        return []
    topics = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("title"), str) or not item["title"].strip():
            errors.add("info", "each topic needs a title.")
            continue
        try:
            check_text("title", item["title"], "topic name")
        except ApiError as error:
            errors.add("info", error.message)
            continue
        expression = item.get("info", item.get("clause"))
        checked = _expression(errors, "info", expression, item["title"])
        if checked is not None:
            topics.append({"title": item["title"], "info": checked})
    return topics


def _expression(errors: FieldErrors, field: str, expression: Any, title: str) -> str | None:
    if not isinstance(expression, str) or not expression.strip():
        errors.add(field, f"topic {title[:60]!r} needs a specification like 'coffee OR tea'.")
        return None
    try:
        check_text(field, expression, "topic text")
    except ApiError as error:
        errors.add(field, error.message)
        return None
    try:
        parse_topic(expression)
    except TopicSyntaxError as exc:
        errors.add(field, f"topic {title!r}: {exc}")
        return None
    return expression


# ---- classifiers -----------------------------------------------------------------------------

def list_classifiers(call: Call) -> dict:
    project = get_project(call)
    records = call.store.classifiers.find(project["project_id"], call.params.string("name"))
    return page(call, records, lambda r: classifier_record(call, r))


def create_classifier(call: Call) -> Answer:
    project = get_project(call, "readwrite")
    errors = FieldErrors()
    values = call.params.values
    name = text_field(errors, values, "name", required=True, limit="topic name")
    kind = text_field(errors, values, "type", required=True, choices=TYPES)
    status = text_field(errors, values, "status", required=True, choices=STATUSES)
    info = _info(errors, values)
    dataset = text_field(errors, values, "dataset", limit="subset name")
    if dataset is None and isinstance(info.get("dataset"), str):
        dataset = info["dataset"]
    if name and call.store.classifiers.find(project["project_id"], name):
        errors.add("name", "classifier with this name already exists.")
    clean = _check_info(errors, kind, info) if kind else {}
    topics = _topics(errors, info.get("topics")) if kind == TOPIC_BASED else []
    errors.raise_if_any()
    assert name and kind and status
    classifier_id = call.store.classifiers.create(project["project_id"], name, kind, status, clean,
                                                         dataset, topics)
    call.server.compass.submit_build(project["project_id"], classifier_id)
    return Answer(classifier_record(call, call.store.classifiers.get(project["project_id"], classifier_id)),
                  201)


def read_classifier(call: Call) -> dict:
    return classifier_record(call, get_classifier(call))


def update_classifier(call: Call) -> dict:
    """name and status change at once; a change of `info` rebuilds the classifier
    (the previous version keeps classifying until the new one is ready)."""
    record = get_classifier(call, "readwrite")
    errors = FieldErrors()
    values = call.params.values
    name = text_field(errors, values, "name", limit="topic name")
    status = text_field(errors, values, "status", choices=STATUSES)
    info = _info(errors, values)
    if name and name != record["name"] and call.store.classifiers.find(record["project_id"], name):
        errors.add("name", "classifier with this name already exists.")
    merged = {**record["info"], **info}
    clean = _check_info(errors, record["type"], merged) if info else record["info"]
    topics = _topics(errors, info["topics"]) if record["type"] == TOPIC_BASED and "topics" in info else None
    if topics == [] and "info" not in errors.errors:
        errors.add("info", "topics must not be empty.")
    errors.raise_if_any()
    changes: dict[str, Any] = {k: v for k, v in (("name", name), ("status", status)) if v}
    if info:
        changes.update(info=clean, building_state="building")
    if topics:  # a topic-based classifier's topics are replaced by those given
        call.store.classifiers.replace_topics(record["id"], record["project_id"], topics)
    call.store.classifiers.update(record["id"], **changes)
    if info:
        call.server.compass.submit_build(record["project_id"], record["id"])
    return classifier_record(call, call.store.classifiers.get(record["project_id"], record["id"]))


def delete_classifier(call: Call) -> Answer:
    record = get_classifier(call, "readwrite")
    call.store.classifiers.delete(record["id"])
    return Answer(status=204)


def rebuild_classifier(call: Call) -> dict:
    """Rebuild on the current documents (or another dataset); sentiment classifiers
    may switch domain_expansion or change max_expansion_terms."""
    record = get_classifier(call, "readwrite")
    errors = FieldErrors()
    values = call.params.values
    dataset = text_field(errors, values, "dataset", limit="subset name")
    info = dict(record["info"])
    if record["type"] in SENTIMENT_TYPES:
        if "domain_expansion" in values:
            info["domain_expansion"] = boolean_field(errors, values, "domain_expansion")
            info.pop("domain_terms", None)
            info.pop("term_conflicts", None)
        if "max_expansion_terms" in values:
            number = values["max_expansion_terms"]
            try:
                info["max_expansion_terms"] = int(number)
            except (TypeError, ValueError):
                errors.add("max_expansion_terms", "A valid integer is required.")
        info = _check_info(errors, record["type"], info)
    errors.raise_if_any()
    changes: dict[str, Any] = {"info": info, "building_state": "building"}
    if dataset is not None:
        changes["dataset"] = dataset
    call.store.classifiers.update(record["id"], **changes)
    call.server.compass.submit_build(record["project_id"], record["id"])
    return classifier_record(call, call.store.classifiers.get(record["project_id"], record["id"]))


def test_classifier(call: Call) -> dict:
    """Accuracy on labelled texts, and every message with its topics ranked."""
    record = get_classifier(call, "readwrite")
    items = bulk_items(call, "texts")
    texts, labels, all_errors = [], [], []
    for item in items:
        errors = FieldErrors()
        if not isinstance(item, dict):
            all_errors.append({"non_field_errors": ["Expected a {text, label} object."]})
            continue
        text = text_field(errors, item, "text", required=True, limit="document text", multiline=True)
        label = text_field(errors, item, "label", required=True, limit="topic name")
        text_field(errors, item, "language", required=True, choices=SUPPORTED_LANGUAGES)  # "mandatory"
        text_field(errors, item, "source_id", limit="subset name")
        all_errors.append(errors.errors)
        texts.append(text or "")
        labels.append(label or "")
    if any(all_errors):
        raise field_errors(all_errors if isinstance(call.body, list) else all_errors[0])
    if not record["state"]:
        raise detail(400, f"The classifier is not built yet ({record['building_state']}).")
    model = call.server.compass.model(record["state"]["model_file"])
    report = call.server.compass.classifier(record).test(model, texts, labels)
    topic_ids = {t["title"]: t["id"] for t in call.store.classifiers.topics(record["id"])}
    messages = []
    for item, result in zip(items, report.messages):
        ranked = result["topics"] if isinstance(result, dict) else result
        messages.append({**{k: item.get(k) for k in ("text", "label", "source_id", "language") if k in item},
                         "topics": [{"id": topic_ids.get(t["name"]), "source": record["name"], **t}
                                    for t in ranked]})
    return {"accuracy": report.accuracy, "messages": messages}


# ---- topics of topic-based classifiers ---------------------------------------------------------

def list_topics(call: Call) -> dict:
    record = get_classifier(call)
    return page(call, call.store.classifiers.topics(record["id"]), lambda t: topic_record(call, t))


def create_topic(call: Call) -> Answer:
    record = get_classifier(call, "readwrite")
    if record["type"] != TOPIC_BASED:
        raise detail(400, "Topics can be added to topic-based classifiers only; a voting "
                          "classifier's topics are its training labels.")
    errors = FieldErrors()
    values = call.params.values
    title = text_field(errors, values, "title", limit="topic name") or text_field(errors, values, "name",
                                                                                  limit="topic name")
    if title is None and "title" not in errors.errors:
        errors.add("title", "This field is required.")
    expression = _expression(errors, "info", values.get("info"), title or "")
    status = text_field(errors, values, "status", choices=STATUSES) or "active"
    blocking = boolean_field(errors, values, "blocking")
    if title and any(t["title"] == title for t in call.store.classifiers.topics(record["id"])):
        errors.add("title", "topic with this title already exists.")
    errors.raise_if_any()
    assert title and expression
    topic_id = call.store.classifiers.add_topic(record["id"], record["project_id"], title, expression,
                                                       status, blocking)
    call.store.classifiers.update(record["id"], building_state="building")
    call.server.compass.submit_build(record["project_id"], record["id"])
    return Answer(topic_record(call, call.store.classifiers.topic(record["project_id"], topic_id)), 201)


def _topic(call: Call, needed: str) -> tuple[dict, dict]:
    record = get_classifier(call, needed)
    topic = call.store.classifiers.topic(record["project_id"], path_id(call, "topic_id"))
    if topic is None or topic["classifier_id"] != record["id"]:
        raise not_found()
    return record, topic


def read_topic(call: Call) -> dict:
    return topic_record(call, _topic(call, "read")[1])


def update_topic(call: Call) -> dict:
    record, topic = _topic(call, "readwrite")
    errors = FieldErrors()
    values = call.params.values
    changes: dict[str, Any] = {}
    title = text_field(errors, values, "title", limit="topic name")
    if title:
        changes["title"] = title
    if "info" in values:
        expression = _expression(errors, "info", values.get("info"), title or topic["title"])
        if expression:
            changes["info"] = expression
    status = text_field(errors, values, "status", choices=STATUSES)
    if status:
        changes["status"] = status
    if "blocking" in values:
        changes["blocking"] = int(boolean_field(errors, values, "blocking"))
    errors.raise_if_any()
    if changes:
        call.store.classifiers.update_topic(topic["id"], **changes)
        call.store.classifiers.update(record["id"], building_state="building")
        call.server.compass.submit_build(record["project_id"], record["id"])
    return topic_record(call, call.store.classifiers.topic(record["project_id"], topic["id"]))


def delete_topic(call: Call) -> Answer:
    record, topic = _topic(call, "readwrite")
    call.store.classifiers.delete_topic(topic["id"])
    call.store.classifiers.update(record["id"], building_state="building")
    call.server.compass.submit_build(record["project_id"], record["id"])
    return Answer(status=204)


def match_topic(call: Call) -> dict:
    """lumiwork's own (not Compass's): score the project's recent messages against a
    boolean topic without making a classifier, with each operand's score."""
    project = get_project(call)
    errors = FieldErrors()
    values = call.params.values
    expression = _expression(errors, "topic", values.get("topic"), "topic")
    limit = values.get("limit", 20)
    if isinstance(limit, str) and limit.isascii() and limit.isdigit() and len(limit) < 18:
        limit = int(limit)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        errors.add("limit", "An integer between 1 and 1000 is required.")
    threshold = values.get("threshold", 0.4)
    try:
        threshold = float(threshold)
        if not 0 <= threshold <= 1:
            raise ValueError
    except (TypeError, ValueError):
        errors.add("threshold", "A number between 0 and 1 is required.")
    errors.raise_if_any()
    assert expression
    try:
        return call.server.compass.match_topic(project["project_id"], expression, int(limit), float(threshold))
    except BuildError as exc:
        raise detail(400, str(exc)) from None
    except SpaceNotReady as exc:
        raise detail(409, str(exc)) from None


C = "/projects/{project_id}/p/classifiers/"
routes = [
    Route("/projects/{project_id}/p/match/", endpoint(match_topic, reads_only=True), methods=["POST"]),
    Route(C, endpoint(list_classifiers), methods=["GET"]),
    Route(C, endpoint(create_classifier), methods=["POST"]),
    Route(C + "{classifier_id}/", endpoint(read_classifier), methods=["GET"]),
    Route(C + "{classifier_id}/", endpoint(update_classifier), methods=["PUT", "PATCH"]),
    Route(C + "{classifier_id}/", endpoint(delete_classifier), methods=["DELETE"]),
    Route(C + "{classifier_id}/rebuild/", endpoint(rebuild_classifier), methods=["POST"]),
    Route(C + "{classifier_id}/test/", endpoint(test_classifier), methods=["POST"]),
    Route(C + "{classifier_id}/topics/", endpoint(list_topics), methods=["GET"]),
    Route(C + "{classifier_id}/topics/", endpoint(create_topic), methods=["POST"]),
    Route(C + "{classifier_id}/topics/{topic_id}/", endpoint(read_topic), methods=["GET"]),
    Route(C + "{classifier_id}/topics/{topic_id}/", endpoint(update_topic), methods=["PUT", "PATCH"]),
    Route(C + "{classifier_id}/topics/{topic_id}/", endpoint(delete_topic), methods=["DELETE"]),
]
