"""ManageClient: lumiwork's management API (channels, alerts, deliveries) from
Python, on the transport every lumiwork client shares (timeouts, retries of
idempotent requests, one-line errors)."""
from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlparse

from ..settings import Settings
from ..wire.names import MANAGE_ROOT, local_url
from ..wire.tokens import read_tokens
from .errors import LuminosoAuthError
from .transport import DEFAULT_TIMEOUT, Transport, loads


def manage_root(url: str) -> str:
    """The management API root of the server at `url`, any URL of a lumiwork
    server (its API v4 or Compass root, or its address)."""
    parts = urlparse(url if "://" in url else "http://" + url)
    return f"{parts.scheme}://{parts.netloc}{MANAGE_ROOT}"


def _name(value: str) -> str:
    """A channel's name or id as one path segment."""
    return quote(value, safe="")


class ManageClient:
    """Requests to one server's management API with one user's token."""

    def __init__(self, url: str, token: str | None, timeout: float = DEFAULT_TIMEOUT,
                 transport: Transport | None = None):
        self.url = manage_root(url)
        self.timeout = timeout
        self.transport = transport or Transport(token)

    def __repr__(self) -> str:
        return f"<ManageClient for {self.url}>"

    @classmethod
    def connect(cls, url: str | None = None, token: str | None = None,
                timeout: float = DEFAULT_TIMEOUT) -> ManageClient:
        """The server at `url` (any of its URLs), else $LUMIWORK_URL's, else the
        local server on the default port; the token given, else $LUMIWORK_TOKEN
        (with $LUMIWORK_URL), else the one `lumiwork serve` saved for that server."""
        settings = Settings.from_environment()
        if url is None and settings.url:
            url, token = settings.url, token or settings.token
        url = manage_root(url or local_url())
        token = token or read_tokens().get(urlparse(url).netloc)
        if token is None:
            raise LuminosoAuthError(f"no token for {url}: give one, set LUMIWORK_TOKEN, or start the "
                                    "server with `lumiwork serve` (it saves one)")
        return cls(url, token, timeout)

    # ---- requests ----------------------------------------------------------------------------
    def request(self, method: str, path: str, params: dict | None = None, json: Any = None) -> Any:
        response = self.transport.send(method, self.url + path.lstrip("/"), self.timeout, params=params,
                                       json_body=json)
        return loads(response.data) if response.data else None

    def _get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None} or None)

    def _post(self, path: str, **fields: Any) -> Any:
        return self.request("POST", path, json={k: v for k, v in fields.items() if v is not None})

    # ---- channels ----------------------------------------------------------------------------
    def channels(self, account: str | None = None) -> list[dict]:
        return self._get("channels/", account=account)

    def create_channel(self, name: str, webhook: str, secret: str | None = None,
                       account: str | None = None) -> dict:
        """A new channel; its "secret" is in the answer only when the server
        generated it (it is never shown again)."""
        return self._post("channels/", name=name, webhook=webhook, secret=secret, account=account)

    def channel(self, name: str, account: str | None = None) -> dict:
        """A channel (by name or id) with its alerts and its last deliveries."""
        return self._get(f"channels/{_name(name)}/", account=account)

    def test_channel(self, name: str, account: str | None = None) -> dict:
        """Send a signed test notification now; returns its delivery (status
        "delivered" or "failed", last_status, last_error)."""
        return self.request("POST", f"channels/{_name(name)}/test/",
                            params={"account": account} if account else None, json={})

    def delete_channel(self, name: str, account: str | None = None) -> None:
        self.request("DELETE", f"channels/{_name(name)}/", params={"account": account} if account else None)

    # ---- alerts ------------------------------------------------------------------------------
    def alerts(self, project: str | None = None, channel: str | None = None) -> list[dict]:
        return self._get("alerts/", project=project, channel=channel)

    def create_alert(self, project: str, topic: str | None = None, *, metric: str, window: str | float,
                     channel: str, above: float | None = None, below: float | None = None,
                     every: str | float | None = None, pending: str | float | None = None,
                     keep_firing: str | float | None = None, repeat: str | float | None = None,
                     name: str | None = None, link: str | None = None, topic_id: int | None = None,
                     concept: str | list[str] | None = None, concept_name: str | None = None,
                     filter: list[dict] | None = None, date_field: str | None = None) -> dict:
        """A new alert on a Compass topic (`topic`: its title, or `topic_id`)
        or on an API v5 project's concept (`concept`: its text or texts, with
        an optional metadata `filter` and the `date_field` that dates a
        document): `metric` ("count", "velocity" or "negative_share") `above`
        or `below` a threshold over `window` ("1h"), evaluated `every` ("5m"),
        firing once the condition held for `pending` ("15m"), sent to `channel`."""
        return self._post("alerts/", project=project, topic=topic, topic_id=topic_id, concept=concept,
                          concept_name=concept_name, filter=filter, date_field=date_field, metric=metric,
                          above=above, below=below, window=window, every=every, keep_firing=keep_firing,
                          repeat=repeat, channel=channel, name=name, link=link, **{"for": pending})

    def alert(self, alert_id: str) -> dict:
        """An alert with its state and its last deliveries."""
        return self._get(f"alerts/{_name(alert_id)}/")

    def delete_alert(self, alert_id: str) -> None:
        self.request("DELETE", f"alerts/{_name(alert_id)}/")

    # ---- deliveries --------------------------------------------------------------------------
    def deliveries(self, channel: str | None = None, alert: str | None = None, status: str | None = None,
                   limit: int = 50) -> list[dict]:
        return self._get("deliveries/", channel=channel, alert=alert, status=status, limit=limit)

    def delivery(self, delivery_id: str) -> dict:
        """One delivery with the exact JSON body sent."""
        return self._get(f"deliveries/{_name(delivery_id)}/")

    def retry_delivery(self, delivery_id: str) -> dict:
        return self.request("POST", f"deliveries/{_name(delivery_id)}/retry/", json={})


def watched(record: dict) -> str:
    """What an alert watches, in a few words: a topic's title, or "concept X"."""
    target = record["target"]
    if target.get("kind") == "v5_concept":
        return f"concept {target['name']}"
    return str(target.get("title"))


def condition(record: dict) -> str:
    """An alert's rule in one phrase: "count > 50 over 1h"."""
    sign = ">" if record["condition"] == "above" else "<"
    return f"{record['metric']} {sign} {record['threshold']:g} over {record['window']}"


__all__ = ["ManageClient", "condition", "manage_root", "watched"]
