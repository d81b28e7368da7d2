"""alerts/: rules on a target's messages (a Compass topic, or an API v5
concept), evaluated by the server every `every` seconds, with their state and
deliveries."""
from __future__ import annotations

from typing import Any

from starlette.routing import Route

from ...wire.dates import iso
from ...wire.durations import format_duration
from ..core.dialect import Answer
from ..core.errors import ApiError, field_errors
from ..core.jsonstrict import check_text
from ..core.params import FieldErrors, json_field, text_field
from ..core.pipeline import Call, endpoint
from ..notify.metrics import METRICS
from ..notify.rules import Timing
from ..notify.targets import COMPASS_TOPIC, TARGET_KINDS, V5_CONCEPT, TargetError
from .access import readable_accounts, require
from .deliveries import delivery_record
from .dialect import not_found
from .fields import duration_field, find_channel, find_compass_project, find_v5_project, number_field, url_field

DAY = 86400.0
DEFAULTS = {"every": 60.0, "for": 0.0, "keep_firing": 0.0, "repeat": Timing().repeat}
DOC = f"""\
Alerts (rules on the messages of a Compass topic or the documents of an API v5 concept,
evaluated by the server)
GET    alerts/                    ?project= (id or name), ?channel= ; the alerts you can read
POST   alerts/                    -> 201 the alert, first evaluated at once:
         project      Compass project id or name (required); an API v5 project for a concept
         topic        the topic's title (project topics and classifier topics), or topic_id
         concept      instead of a topic: an API v5 concept, its texts (a string or a list);
                      target_kind v5_concept. With it: concept_name; filter, a metadata filter
                      as API v5 takes it ([{{"name": "source", "values": ["web"]}}]); date_field,
                      the date field that puts a document in a window (default: the project's
                      only date field)
         metric       count | velocity | negative_share
         above/below  the threshold (exactly one of them)
         window       the span measured, up to each evaluation: 1h, 30m, 3600 (required)
         every        how often it is evaluated (default {format_duration(DEFAULTS['every'])})
         for          how long the condition must hold before firing (default 0s: at once)
         keep_firing  how long a firing alert waits, its condition gone, before it resolves (0s)
         repeat       reminders while firing; 0 for none (default {format_duration(DEFAULTS['repeat'])})
         channel      the channel (name or id) in the project's account (required)
         name         (default: made from the rule); link: a URL sent with each notification
GET    alerts/<id>/               the alert, its state and its last 20 deliveries
DELETE alerts/<id>/               -> 204 (notifications already queued are still delivered)
Metrics over the window (t - window, t]: count = messages; velocity = messages per hour
(count / window in hours, as Compass's stats/); negative_share = negative messages / messages
(sentiment below minus the project's sentiment_threshold; no messages: the condition does not hold).
On a concept, the messages are the documents of the project's last build, still stored and
passing the filter, that match the concept (exactly or conceptually, as match_counts/) with a
date_field value in the window; negative ones as sentiment/ labels them.
States: normal, pending (holds, not yet for `for`), firing, resolved (was firing; clear for
keep_firing). Notifications: alert.firing, alert.still_firing (every `repeat`), alert.resolved.
"""


def alert_record(call: Call, alert: dict, detailed: bool = False) -> dict:
    channel = call.store.channels.get(alert["channel_id"])
    project = _project_row(call, alert)
    record: dict[str, Any] = {
        "id": alert["alert_id"], "name": alert["name"], "account": alert["account_id"],
        "project": {"id": alert["project_id"], "name": project["name"] if project else None},
        "target": alert["target"], "metric": alert["metric"], "condition": alert["direction"],
        "threshold": alert["threshold"], "window": format_duration(alert["window_seconds"]),
        "every": format_duration(alert["every_seconds"]), "for": format_duration(alert["pending_seconds"]),
        "keep_firing": format_duration(alert["keep_firing_seconds"]),
        "repeat": format_duration(alert["repeat_seconds"]),
        "channel": channel["name"] if channel else None, "link": alert["link"],
        "creator": alert["creator"], "created": iso(alert["created"]),
        "state": alert["state"], "state_since": iso(alert["state_since"]),
        "pending_since": iso(alert["pending_since"]), "firing_since": iso(alert["fired_at"])
        if alert["state"] == "firing" else None,
        "last_value": alert["last_value"], "last_evaluated": iso(alert["last_evaluated"]),
        "next_evaluation": iso(alert["next_evaluation"]), "last_notified": iso(alert["last_notified"]),
        "last_error": alert["last_error"],
    }
    if detailed:
        names = {channel["channel_id"]: channel["name"]} if channel else {}
        record["recent_deliveries"] = [delivery_record(r, names)
                                       for r in call.store.outbox.find(alert_id=alert["alert_id"], limit=20)]
    return record


def _project_row(call: Call, alert: dict):
    if not alert["project_id"]:
        return None
    if alert["target_kind"] == V5_CONCEPT.kind:
        return call.store.projects.by_id(alert["project_id"])
    return call.store.compass_projects.get(alert["project_id"])


def _any_project(call: Call, ref: str):
    """A Compass project, else an API v5 project, by id or name."""
    try:
        return find_compass_project(call, ref)
    except ApiError as exc:
        if exc.status != 404:
            raise
        try:
            return find_v5_project(call, ref)
        except ApiError:
            raise exc from None


def list_alerts(call: Call) -> list[dict]:
    values = dict(call.params.query_pairs)
    project_id = _any_project(call, values["project"])["project_id"] if values.get("project") else None
    channel_id = find_channel(call, values["channel"])["channel_id"] if values.get("channel") else None
    return [alert_record(call, a) for a in call.store.alerts.find(readable_accounts(call), project_id, channel_id)]


def create_alert(call: Call) -> Answer:
    values = call.params.values
    errors = FieldErrors()
    project_ref = text_field(errors, values, "project", required=True)
    kind = text_field(errors, values, "target_kind", choices=tuple(TARGET_KINDS))
    if kind is None and "target_kind" not in errors.errors:
        kind = V5_CONCEPT.kind if values.get("concept") is not None else COMPASS_TOPIC.kind
    if kind == V5_CONCEPT.kind:
        chosen = _concept_fields(errors, values)
    else:
        chosen = _topic_fields(errors, values)
    metric = text_field(errors, values, "metric", required=True, choices=METRICS)
    above, below = number_field(errors, values, "above"), number_field(errors, values, "below")
    if (above is None) == (below is None) and not {"above", "below"} & set(errors.errors):
        errors.add("above", "Give exactly one of above and below: the threshold the metric must cross.")
    window = duration_field(errors, values, "window", None, 1, 366 * DAY)
    every = duration_field(errors, values, "every", DEFAULTS["every"], 1, DAY)
    pending = duration_field(errors, values, "for", DEFAULTS["for"], 0, 30 * DAY)
    keep_firing = duration_field(errors, values, "keep_firing", DEFAULTS["keep_firing"], 0, 30 * DAY)
    repeat = duration_field(errors, values, "repeat", DEFAULTS["repeat"], 0, 366 * DAY)
    channel_ref = text_field(errors, values, "channel", required=True)
    name = text_field(errors, values, "name", limit="project name")
    link = url_field(errors, values, "link")
    errors.raise_if_any()
    assert project_ref and kind and metric and channel_ref and window is not None and every is not None
    assert pending is not None and keep_firing is not None and repeat is not None
    if kind == V5_CONCEPT.kind:
        project = find_v5_project(call, project_ref)
        require(call, project["account_id"], "write", f"project {project_ref!r}")
        try:
            target = V5_CONCEPT.resolve(call.store, call.server.models, project, chosen["texts"],
                                        chosen["concept_name"], chosen["filter"], chosen["date_field"])
        except TargetError as exc:
            raise field_errors({exc.field: [str(exc)]}) from None
        title = target["name"]
    else:
        project = find_compass_project(call, project_ref)
        require(call, project["account_id"], "write", f"Compass project {project_ref!r}")
        topic_id = chosen["topic_id"]
        try:
            target = COMPASS_TOPIC.resolve(call.store, project["project_id"], chosen["topic"],
                                           int(topic_id) if topic_id is not None else None)
        except ValueError as exc:
            raise field_errors({"topic_id" if topic_id is not None else "topic": [str(exc)]}) from None
        title = target["title"]
    account = project["account_id"]
    channel = find_channel(call, channel_ref, account)
    if channel["account_id"] != account:  # found by id: a channel of another account the user also reads
        raise field_errors({"channel": [f"Channel {channel['name']!r} belongs to account {channel['account_id']}, "
                                        f"the project to account {account}: use a channel of the project's account."]})
    direction, threshold = ("above", above) if above is not None else ("below", below)
    assert threshold is not None
    name = name or f"{metric} of {title} {direction} {threshold:g} over {format_duration(window)}"
    alert_id = call.store.alerts.create({
        "account_id": account, "name": name, "target_kind": kind, "target": target,
        "project_id": project["project_id"], "metric": metric, "direction": direction, "threshold": threshold,
        "window_seconds": window, "every_seconds": every, "pending_seconds": pending,
        "keep_firing_seconds": keep_firing, "repeat_seconds": repeat, "channel_id": channel["channel_id"],
        "link": link, "creator": call.username}, now=call.server.alert_evaluator.clock.now())
    call.server.alert_evaluator.wake()
    alert = call.store.alerts.get(alert_id)
    assert alert is not None
    return Answer(alert_record(call, alert), 201)


def _topic_fields(errors: FieldErrors, values: dict) -> dict[str, Any]:
    """A Compass topic: its title (topic) or its id (topic_id)."""
    for other in ("concept", "concept_name", "filter", "date_field"):
        if values.get(other) is not None:
            errors.add(other, "This field belongs to an alert on an API v5 concept (target_kind v5_concept).")
    title = text_field(errors, values, "topic", limit="topic name")
    topic_id = values.get("topic_id")
    if topic_id is not None and (isinstance(topic_id, bool) or not str(topic_id).isascii()
                                 or not str(topic_id).isdigit()):
        errors.add("topic_id", "A topic id is a whole number.")
        topic_id = None
    if title is None and topic_id is None and "topic" not in errors.errors:
        errors.add("topic", "This field is required: the topic's title (or topic_id).")
    return {"topic": title, "topic_id": topic_id}


def _concept_fields(errors: FieldErrors, values: dict) -> dict[str, Any]:
    """An API v5 concept: its texts (a string, or a list of them), and
    optionally its name, a metadata filter and the date field."""
    for other in ("topic", "topic_id"):
        if values.get(other) is not None:
            errors.add(other, "An alert watches a topic or a concept, not both.")
    texts: Any = values.get("concept")
    if isinstance(texts, str) and texts.lstrip().startswith("["):
        texts = json_field(errors, "concept", texts)  # a form field holding a JSON list
    if isinstance(texts, str):
        texts = [texts]
    if texts is None and "concept" not in errors.errors:
        errors.add("concept", "This field is required: the concept's texts (a string or a list of them).")
    elif texts is not None and not (isinstance(texts, list) and texts and all(isinstance(t, str) for t in texts)):
        errors.add("concept", "A concept is a text or a non-empty list of texts.")
        texts = None
    for text in texts or ():
        try:
            check_text("concept", text, "document title")  # 1,000 characters, as API v5 concept texts
        except ApiError as error:
            errors.add("concept", error.message)
            texts = None
            break
    metadata_filter = json_field(errors, "filter", values.get("filter"))
    return {"texts": texts, "concept_name": text_field(errors, values, "concept_name", limit="topic name"),
            "filter": metadata_filter, "date_field": text_field(errors, values, "date_field")}


def _alert(call: Call, permission: str) -> dict:
    alert = call.store.alerts.get(call.path["alert_id"])
    if alert is None:
        raise not_found(f"no alert {call.path['alert_id'][:60]!r}: `lumiwork alert list` shows them")
    require(call, alert["account_id"], permission, f"alert {alert['alert_id']!r}")
    return alert


def read_alert(call: Call) -> dict:
    return alert_record(call, _alert(call, "read"), detailed=True)


def delete_alert(call: Call) -> Answer:
    alert = _alert(call, "write")
    call.store.alerts.delete(alert["alert_id"])
    return Answer(status=204)


routes = [
    Route("/alerts/", endpoint(list_alerts), methods=["GET"]),
    Route("/alerts/", endpoint(create_alert), methods=["POST"]),
    Route("/alerts/{alert_id}/", endpoint(read_alert), methods=["GET"]),
    Route("/alerts/{alert_id}/", endpoint(delete_alert), methods=["DELETE"]),
]
