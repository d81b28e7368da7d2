"""deliveries/: every notification queued for a channel, with the outcome of
its attempts; a failed one can be sent again."""
from __future__ import annotations

import json

from starlette.routing import Route

from ...wire.dates import iso
from ..core.errors import ApiError
from ..core.params import FieldErrors, text_field
from ..core.pipeline import Call, endpoint
from ..db.outbox import STATUSES
from .access import readable_accounts, require
from .dialect import not_found
from .fields import account_param, find_channel, limit_param

DOC = """\
Deliveries (each notification queued for a channel, newest first)
GET  deliveries/                  channel, alert, status (pending|delivered|failed), limit (50)
GET  deliveries/<id>/             one, with the exact JSON body sent
POST deliveries/<id>/retry/       a failed notification back in its channel's queue (same id,
                                  so a receiver that had it drops the repeat)
A delivery: id (the webhook-id and Idempotency-Key sent), channel, alert, event, status,
attempts, created, last_attempt, next_attempt (while pending), delivered, last_status
(the receiver's HTTP status), last_error.
"""


def delivery_record(row: dict, channel_names: dict[str, str] | None = None, with_body: bool = False) -> dict:
    record = {
        "id": row["event_id"], "channel": (channel_names or {}).get(row["channel_id"], row["channel_id"]),
        "channel_id": row["channel_id"], "alert": row["alert_id"], "event": row["event"], "status": row["status"],
        "attempts": row["attempts"], "created": iso(row["created"]), "last_attempt": iso(row["last_attempt"]),
        "next_attempt": iso(row["next_attempt"]) if row["status"] == "pending" else None,
        "delivered": iso(row["delivered"]), "last_status": row["last_status"], "last_error": row["last_error"],
    }
    if with_body:
        record["body"] = json.loads(bytes(row["body"]))
    return record


def channel_names(call: Call) -> dict[str, str]:
    return {c["channel_id"]: c["name"] for c in call.store.channels.find(readable_accounts(call))}


def list_deliveries(call: Call) -> list[dict]:
    errors = FieldErrors()
    values = dict(call.params.query_pairs)
    status = text_field(errors, values, "status", choices=STATUSES)
    errors.raise_if_any()
    names = channel_names(call)
    channel_ids = list(names)
    if values.get("channel"):
        channel_ids = [find_channel(call, values["channel"], account_param(call))["channel_id"]]
    alert_id = values.get("alert") or None
    if alert_id is not None:
        alert = call.store.alerts.get(alert_id)
        if alert is None:
            raise not_found(f"no alert {alert_id!r}")
        require(call, alert["account_id"], "read", f"alert {alert_id!r}")
    rows = call.store.outbox.find(channel_ids, alert_id=alert_id, status=status, limit=limit_param(call))
    return [delivery_record(r, names) for r in rows]


def _delivery(call: Call, permission: str) -> dict:
    row = call.store.outbox.get(call.path["event_id"])
    channel = call.store.channels.get(row["channel_id"]) if row else None
    if row is None or channel is None:
        raise not_found(f"no delivery {call.path['event_id'][:60]!r}")
    require(call, channel["account_id"], permission, f"delivery {row['event_id']!r}")
    return row


def read_delivery(call: Call) -> dict:
    return delivery_record(_delivery(call, "read"), channel_names(call), with_body=True)


def retry_delivery(call: Call) -> dict:
    row = _delivery(call, "write")
    if not call.store.outbox.requeue(row["event_id"], call.server.notifications.clock.now()):
        raise ApiError(409, "NOT_FAILED", f"delivery {row['event_id']} is {row['status']}: only a failed one "
                       "can be sent again")
    call.server.notifications.wake()
    updated = call.store.outbox.get(row["event_id"])
    assert updated is not None
    return delivery_record(updated, channel_names(call))


routes = [
    Route("/deliveries/", endpoint(list_deliveries), methods=["GET"]),
    Route("/deliveries/{event_id}/", endpoint(read_delivery), methods=["GET"]),
    Route("/deliveries/{event_id}/retry/", endpoint(retry_delivery), methods=["POST"]),
]
