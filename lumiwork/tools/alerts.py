"""Channels and alerts from a notebook (`lumiwork.alerts`), on the server
`lumiwork.connect()` uses: $LUMIWORK_URL, else the local server (started in
this process if none answers; alerts are evaluated only while a server runs,
so for alerts that outlive the notebook, run `lumiwork serve`).

    from lumiwork import alerts
    ops = alerts.create_channel("ops", webhook="https://hooks.example.com/lumiwork")
    ops["secret"]                      # shown once: give it to the receiver
    alerts.test_channel("ops")["status"]
    alerts.create_alert(project="Reviews", topic="delivery", metric="count", above=50,
                        window="1h", every="5m", pending="15m", channel="ops")
    alerts.create_alert(project="Product reviews", concept=["battery life"], metric="negative_share",
                        above=0.4, window="1d", channel="ops")    # an API v5 concept, by its date field
    alerts.table()                     # every alert and its state, as a DataFrame
"""
from __future__ import annotations

from typing import Any

import pandas as pd

from ..client.manage import ManageClient, condition, watched
from ..settings import Settings


def connect(url: str | None = None, token: str | None = None) -> ManageClient:
    """The management API of `url`'s server, else $LUMIWORK_URL's, else the
    local server (started in this process if none answers)."""
    if url is None and not Settings.from_environment().url:
        from .. import local_server_url

        url = local_server_url()
    return ManageClient.connect(url, token)


def create_channel(name: str, webhook: str, secret: str | None = None, account: str | None = None,
                   client: ManageClient | None = None) -> dict:
    """A channel sending signed webhooks to `webhook`. Without `secret`, the
    server makes one and returns it (as "secret") this once."""
    return (client or connect()).create_channel(name, webhook, secret, account)


def test_channel(name: str, client: ManageClient | None = None) -> dict:
    """Send a test notification now; the delivery says "delivered" or why not."""
    return (client or connect()).test_channel(name)


def channels(client: ManageClient | None = None) -> list[dict]:
    return (client or connect()).channels()


def delete_channel(name: str, client: ManageClient | None = None) -> None:
    (client or connect()).delete_channel(name)


def create_alert(project: str, topic: str | None = None, *, metric: str, window: str | float, channel: str,
                 above: float | None = None, below: float | None = None, concept: str | list[str] | None = None,
                 client: ManageClient | None = None, **options: Any) -> dict:
    """An alert on a Compass topic, or with `concept` (its text or texts) on
    an API v5 project's concept; `options`: every, pending (the "for"
    period), keep_firing, repeat, name, link, topic_id, and for a concept
    concept_name, filter, date_field. See ManageClient.create_alert."""
    return (client or connect()).create_alert(project, topic, metric=metric, window=window, channel=channel,
                                              above=above, below=below, concept=concept, **options)


def alerts(project: str | None = None, client: ManageClient | None = None) -> list[dict]:
    return (client or connect()).alerts(project)


def alert(alert_id: str, client: ManageClient | None = None) -> dict:
    return (client or connect()).alert(alert_id)


def delete_alert(alert_id: str, client: ManageClient | None = None) -> None:
    (client or connect()).delete_alert(alert_id)


def deliveries(channel: str | None = None, alert: str | None = None, client: ManageClient | None = None) -> list[dict]:
    return (client or connect()).deliveries(channel=channel, alert=alert)


def table(project: str | None = None, client: ManageClient | None = None) -> pd.DataFrame:
    """Every alert (of `project`) and its state, one row each."""
    rows = [{"id": a["id"], "name": a["name"], "project": a["project"]["name"], "watches": watched(a),
             "condition": condition(a), "state": a["state"], "since": a["state_since"],
             "last value": a["last_value"], "channel": a["channel"]}
            for a in alerts(project, client)]
    return pd.DataFrame(rows, columns=["id", "name", "project", "watches", "condition", "state", "since",
                                       "last value", "channel"])
