"""channels/: where notifications go. A channel is a webhook URL and the
secret every POST to it is signed with (wire/webhooks.py); it belongs to one
account. The secret is stored encrypted (server/notify/secrets.py) and shown
once: when the server generates it, in the answer that creates the channel."""
from __future__ import annotations

import sqlite3

from starlette.routing import Route

from ...wire.dates import iso
from ...wire.webhooks import MIN_SECRET_CHARS, new_secret, signing_key
from ..core.dialect import Answer
from ..core.params import FieldErrors, text_field
from ..core.pipeline import Call, endpoint
from ..notify.secrets import hint
from .access import default_account, readable_accounts, require
from .deliveries import delivery_record
from .dialect import conflict
from .fields import account_param, find_channel, url_field

MAX_SECRET_CHARS = 1000
DOC = """\
Channels (where notifications go: a webhook URL, signed with the channel's secret)
GET    channels/                  ?account= ; the channels of the accounts you read
POST   channels/                  name, webhook (http:// or https:// URL), secret (optional; at
                                  least 16 characters; generated when not given), account
                                  (default: yours) -> 201 the channel; "secret" is in this
                                  answer only when generated here, and never shown again
GET    channels/<id or name>/     the channel, its alerts and its last 20 deliveries
DELETE channels/<id or name>/     -> 204; 409 while alerts use it; its deliveries go too
POST   channels/<id or name>/test/   sends one signed test notification now, ahead of the
                                  channel's queue, and answers its delivery (one attempt, no retries)
A name is looked up in ?account= (or the one account you read that has it).
"""


def channel_record(call: Call, channel: dict, detailed: bool = False) -> dict:
    record = {"id": channel["channel_id"], "name": channel["name"], "account": channel["account_id"],
              "kind": channel["kind"], "webhook": channel["url"], "secret_hint": channel["secret_hint"],
              "creator": channel["creator"], "created": iso(channel["created"]),
              "deliveries": call.store.outbox.counts(channel["channel_id"])}
    if detailed:
        names = {channel["channel_id"]: channel["name"]}
        record["alerts"] = [{"id": a["alert_id"], "name": a["name"], "state": a["state"]}
                            for a in call.store.alerts.find(None, channel_id=channel["channel_id"])]
        record["recent_deliveries"] = [delivery_record(r, names)
                                       for r in call.store.outbox.find([channel["channel_id"]], limit=20)]
    return record


def list_channels(call: Call) -> list[dict]:
    account = account_param(call)
    accounts = readable_accounts(call)
    if account is not None:
        require(call, account, "read", f"account {account!r}")
        accounts = [account]
    return [channel_record(call, c) for c in call.store.channels.find(accounts)]


def create_channel(call: Call) -> Answer:
    errors = FieldErrors()
    values = call.params.values
    name = text_field(errors, values, "name", required=True, limit="project name")
    url = url_field(errors, values, "webhook", required=True)
    secret = text_field(errors, values, "secret")
    if secret is not None:
        if not MIN_SECRET_CHARS <= len(secret) <= MAX_SECRET_CHARS:
            errors.add("secret", f"A secret has {MIN_SECRET_CHARS} to {MAX_SECRET_CHARS} characters.")
        else:
            try:
                signing_key(secret)
            except ValueError as exc:
                errors.add("secret", str(exc)[0].upper() + str(exc)[1:] + ".")
    errors.raise_if_any()
    assert name and url
    account = account_param(call) or default_account(call)
    require(call, account, "write", f"account {account!r}")
    generated = secret is None
    secret = secret or new_secret()
    try:
        channel_id = call.store.channels.create(account, name, "webhook", url,
                                                call.server.notifications.secrets.seal(secret), hint(secret),
                                                call.username)
    except sqlite3.IntegrityError:
        raise conflict(f"account {account} already has a channel named {name!r}") from None
    channel = call.store.channels.get(channel_id)
    assert channel is not None
    record = channel_record(call, channel)
    if generated:
        record["secret"] = secret
    return Answer(record, 201)


def read_channel(call: Call) -> dict:
    return channel_record(call, find_channel(call, call.path["channel"], account_param(call)), detailed=True)


def delete_channel(call: Call) -> Answer:
    channel = find_channel(call, call.path["channel"], account_param(call))
    require(call, channel["account_id"], "write", f"channel {channel['name']!r}")
    users = call.store.alerts.find(None, channel_id=channel["channel_id"])
    if users:
        raise conflict(f"channel {channel['name']!r} is used by alert(s) "
                       f"{', '.join(a['alert_id'] for a in users)}: delete them first")
    call.store.delete_channel(channel["channel_id"])
    return Answer(status=204)


def test_channel(call: Call) -> dict:
    """Send one test notification and answer once it was tried."""
    channel = find_channel(call, call.path["channel"], account_param(call))
    require(call, channel["account_id"], "write", f"channel {channel['name']!r}")
    row = call.server.notifications.send_now(channel["channel_id"], "channel.test", {
        "channel": channel["name"], "text": f"A test notification from lumiwork to channel {channel['name']!r}."})
    return delivery_record(row, {channel["channel_id"]: channel["name"]})


routes = [
    Route("/channels/", endpoint(list_channels), methods=["GET"]),
    Route("/channels/", endpoint(create_channel), methods=["POST"]),
    Route("/channels/{channel}/", endpoint(read_channel), methods=["GET"]),
    Route("/channels/{channel}/", endpoint(delete_channel), methods=["DELETE"]),
    Route("/channels/{channel}/test/", endpoint(test_channel), methods=["POST"]),
]
