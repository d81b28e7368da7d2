"""Alerts end to end: a real server with the real clock, a Compass project
with a topic classifier, the command line, and a real webhook receiver on
127.0.0.1. Messages posted to the project push a topic over its threshold and
the receiver gets one signed POST within two evaluation intervals; with the
receiver down and the server restarted meanwhile, a notification arrives
exactly once when the receiver is back."""
from __future__ import annotations

import json
import time

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webhook_receiver import Receiver

from lumiwork.client import LuminosoAuthError, LuminosoClientError
from lumiwork.client.manage import ManageClient
from lumiwork.datasets import siddhartha
from lumiwork.server import EmbeddedServer
from lumiwork.server.notify import RetryPolicy
from lumiwork.tools.cli import main
from lumiwork.wire import webhooks

EVERY = 2.0  # seconds between evaluations
QUICK_RETRIES = RetryPolicy(first=0.2, cap=1.0, timeout=5.0)
RIVER = ["The river was wide and the water green.", "He listened to the river all day.",
         "The ferryman crossed the water again.", "Water ran over the stones of the river."]


def start_server(folder) -> EmbeddedServer:
    return EmbeddedServer(folder, username="alerts@example.com", password="alerts test password",
                          retry_policy=QUICK_RETRIES)  # retries within a second, not minutes


@pytest.fixture(scope="module")
def world(tmp_path_factory, siddhartha_path):
    """A server (replaced when a test restarts it), a receiver, and a Compass
    project whose topic-based classifier has a topic "river"."""
    folder = tmp_path_factory.mktemp("alerts") / "data"
    server = start_server(folder)
    headers = {"Authorization": f"Token {server.token}"}
    created = requests.post(server.compass_url + "projects/", headers=headers, timeout=30, json={
        "name": "Rivers", "account": server.setup.account_id, "language": "en"}).json()
    project = f"{server.compass_url}projects/{created['id']}/p/"
    texts = [d["text"] for d in siddhartha(siddhartha_path)[:300]]
    assert requests.post(project + "documents/", headers=headers, timeout=60,
                         json=[{"text": t} for t in texts]).status_code == 201
    assert requests.post(project + "classifiers/", headers=headers, timeout=30, json={
        "name": "nature", "type": "topic_based", "status": "active",
        "info": {"topics": [{"title": "river", "info": "river OR water"}]}}).status_code == 201
    server.api.compass.wait_idle(120)
    receiver = Receiver().start()
    state = {"server": server, "folder": folder, "project": project, "headers": headers, "receiver": receiver}
    yield state
    receiver.stop()
    state["server"].stop()


def post_messages(world, texts) -> None:
    answer = requests.post(world["project"] + "messages/", headers=world["headers"], timeout=60,
                           json=[{"text": t, "timestamp": time.time()} for t in texts])
    assert answer.status_code == 201, answer.text
    assert all(any(t["name"] == "river" for t in m["topics"]) for m in answer.json())


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_posted_messages_fire_one_signed_verifiable_post(world, capsys):
    server, receiver = world["server"], world["receiver"]
    code, out, _ = cli(capsys, "channel", "create", "ops", "--webhook", receiver.url, "--url", server.url)
    assert code == 0
    secret = out.strip().splitlines()[-1]
    assert secret.startswith("whsec_")
    code, out, _ = cli(capsys, "channel", "test", "ops", "--url", server.url)
    assert code == 0 and "HTTP 200" in out
    test_post = receiver.wait_for(1, 5)[0]
    assert test_post.payload["event"] == "channel.test"
    assert webhooks.verify(secret, test_post.headers, test_post.body) == test_post.payload["id"]

    code, out, _ = cli(capsys, "alert", "create", "--project", "Rivers", "--topic", "river", "--metric", "count",
                       "--above", "2", "--window", "1h", "--every", f"{EVERY:g}s", "--channel", "ops",
                       "--link", "http://127.0.0.1:8766/d/rivers/", "--url", server.url)
    assert code == 0
    alert_id = out.strip()
    client = ManageClient.connect(server.url)
    deadline = time.monotonic() + 10
    while client.alert(alert_id)["last_evaluated"] is None:  # evaluated once at creation, below the threshold
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert client.alert(alert_id)["state"] == "normal"

    post_messages(world, RIVER[:3])
    received = receiver.wait_for(2, 2 * EVERY)  # the deadline the notification must meet
    assert len(received) == 2, "no notification within two evaluation intervals"
    firing = received[1]
    payload = firing.payload
    assert webhooks.verify(secret, firing.headers, firing.body) == payload["id"] == firing.headers["idempotency-key"]
    assert payload["event"] == "alert.firing" and payload["state"] == "firing"
    assert payload["value"] == 3 and payload["threshold"] == 2 and payload["window"] == "1h"
    assert payload["rule"]["id"] == alert_id and payload["rule"]["target"]["classifier"] == "nature"
    assert payload["link"] == "http://127.0.0.1:8766/d/rivers/"
    time.sleep(2 * EVERY)  # evaluations go on; the alert keeps firing without another POST
    assert len(receiver.received) == 2
    code, out, _ = cli(capsys, "alert", "list", "--url", server.url)
    assert code == 0 and alert_id in out and "firing" in out and "count > 2 over 1h" in out
    code, out, _ = cli(capsys, "alert", "show", alert_id, "--url", server.url)
    assert code == 0 and "alert.firing" in out and "delivered" in out


def test_a_receiver_down_across_a_server_restart_gets_the_notification_once(world, capsys):
    receiver = world["receiver"]
    client = ManageClient.connect(world["server"].url)
    receiver.stop()
    before = len(receiver.received)
    second = client.create_alert("Rivers", "river", metric="count", above=4, window="1h", every=EVERY, channel="ops",
                                 name="many rivers")
    post_messages(world, RIVER[3:] + RIVER[:1])  # 5 river messages in the hour: the second alert fires
    deadline = time.monotonic() + 15
    while True:  # refused at least twice: it waits in the outbox
        pending = client.deliveries(alert=second["id"], status="pending")
        if pending and pending[0]["attempts"] >= 2:
            break
        assert time.monotonic() < deadline, client.deliveries(alert=second["id"])
        time.sleep(0.1)
    assert "connection refused" in pending[0]["last_error"]
    event_id = pending[0]["id"]

    world["server"].stop()  # the server goes down too, with the notification undelivered
    world["server"] = server = start_server(world["folder"])
    time.sleep(1)
    receiver.start()  # back, on the same port
    received = receiver.wait_for(before + 1, 15)
    time.sleep(2 * EVERY)  # nothing more comes: no repeat, and no second firing of the first alert
    new = receiver.received[before:]
    assert [r.headers["webhook-id"] for r in new] == [event_id]
    assert new[0].payload["event"] == "alert.firing" and new[0].payload["rule"]["name"] == "many rivers"
    assert received[-1].headers["webhook-id"] == event_id
    client = ManageClient.connect(server.url)
    [delivery] = client.deliveries(alert=second["id"])
    assert delivery["status"] == "delivered" and delivery["attempts"] >= 3
    assert {a["state"] for a in client.alerts("Rivers")} == {"firing"}


def test_bad_requests_say_what_is_wrong(world):
    client = ManageClient.connect(world["server"].url)
    with pytest.raises(LuminosoClientError, match="no topic titled 'lake'.*'river'"):
        client.create_alert("Rivers", "lake", metric="count", above=1, window="1h", channel="ops")
    with pytest.raises(LuminosoClientError, match="window"):
        client.create_alert("Rivers", "river", metric="count", above=1, window="an hour", channel="ops")
    with pytest.raises(LuminosoClientError, match="no channel 'nowhere'"):
        client.create_alert("Rivers", "river", metric="count", above=1, window="1h", channel="nowhere")
    with pytest.raises(LuminosoClientError, match="used by alert"):
        client.delete_channel("ops")
    with pytest.raises(LuminosoClientError, match="already has a channel named 'ops'"):
        client.create_channel("ops", "http://127.0.0.1:9/")
    answer = requests.post(world["server"].manage_url + "alerts/", data="{", timeout=10,
                           headers={**world["headers"], "Content-Type": "application/json"})
    assert answer.status_code == 400 and set(answer.json()) >= {"error", "message"}
    assert requests.get(world["server"].manage_url + "alerts/", timeout=10).status_code == 401
    index = requests.get(world["server"].manage_url.replace("/api/manage/", "/"), timeout=10)
    assert index.status_code == 200 and world["server"].manage_url in index.text
    documentation = requests.get(world["server"].manage_url, timeout=10).text
    assert all(path in documentation for path in ("channels/", "alerts/", "deliveries/", "webhook-signature"))


def test_a_notebook_manages_channels_and_alerts_with_package_functions(world, monkeypatch):
    from lumiwork import alerts

    monkeypatch.setenv("LUMIWORK_URL", world["server"].url)  # as a notebook started by `lumiwork lab` has it
    monkeypatch.setenv("LUMIWORK_TOKEN", world["server"].token)
    channel = alerts.create_channel("notebook", webhook=world["receiver"].url, secret="a team secret, 32 chars!!")
    assert "secret" not in channel and channel["secret_hint"] == "...rs!!"
    assert alerts.test_channel("notebook")["status"] == "delivered"
    made = alerts.create_alert(project="Rivers", topic="river", metric="negative_share", above=0.5, window="1d",
                               channel="notebook", every="1m", pending="10m", repeat=0)
    assert (made["for"], made["repeat"], made["condition"]) == ("10m", "0s", "above")
    table = alerts.table("Rivers")
    row = table.set_index("id").loc[made["id"]]
    assert row["condition"] == "negative_share > 0.5 over 1d" and row["channel"] == "notebook"
    alerts.delete_alert(made["id"])
    alerts.delete_channel("notebook")
    assert "notebook" not in {c["name"] for c in alerts.channels()}


def compass_user(world, email: str, level: str | None) -> str:
    """A token of a new user with `level` on the account (None: no access at all)."""
    root, headers = world["server"].compass_url, world["headers"]
    made = requests.post(root + "users/", headers=headers, timeout=30, json={"name": email, "email": email}).json()
    if level:
        requests.post(root + "permissions/", headers=headers, timeout=30, json={
            "user": email, "account": world["server"].setup.account_id, "level": level}).raise_for_status()
    token = requests.post(root + "login/", timeout=30, json={"username": email, "password": made["password"]}).json()
    answer = requests.put(root + f"users/{email}/password/", timeout=30,
                          headers={"Authorization": f"Token {token['token']}"},
                          json={"password": "a new password 123", "old_password": made["password"]})
    return answer.json()["token"]


def test_accounts_permissions_decide_who_sees_and_changes(world):
    url = world["server"].url
    reader = ManageClient(url, compass_user(world, "reader@example.com", "read"))
    assert "ops" in {c["name"] for c in reader.channels()}
    assert {a["name"] for a in reader.alerts()} >= {"many rivers"}
    with pytest.raises(LuminosoAuthError, match="write"):
        reader.create_channel("mine", "http://127.0.0.1:9/")
    with pytest.raises(LuminosoAuthError, match="write"):
        reader.create_alert("Rivers", "river", metric="count", above=1, window="1h", channel="ops")
    with pytest.raises(LuminosoAuthError, match="write"):
        reader.test_channel("ops")
    stranger = ManageClient(url, compass_user(world, "stranger@example.com", None))
    assert stranger.channels() == [] and stranger.alerts() == [] and stranger.deliveries() == []
    with pytest.raises(LuminosoClientError, match="no channel 'ops'"):
        stranger.channel("ops")
    with pytest.raises(LuminosoClientError, match="no Compass project 'Rivers'"):
        stranger.create_alert("Rivers", "river", metric="count", above=1, window="1h", channel="ops")


FIELD_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["1h", "0s", "-5m", "1e400", "ops", "Rivers", "river", "count", "above", "whsec_!!",
                     "http://127.0.0.1:9/", "ftp://x", "http://u:p@127.0.0.1/", "http://[::1", "٣", "x" * 3000]),
    st.lists(st.integers(), max_size=3), st.dictionaries(st.text(max_size=5), st.integers(), max_size=2))
ALERT_FIELDS = ("project", "topic", "topic_id", "metric", "above", "below", "window", "every", "for", "keep_firing",
                "repeat", "channel", "name", "link", "target_kind", "concept", "concept_name", "filter", "date_field")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(resource=st.sampled_from(["channels/", "alerts/"]),
       fields=st.dictionaries(st.sampled_from(ALERT_FIELDS + ("webhook", "secret", "account")), FIELD_VALUES,
                              max_size=8),
       as_form=st.booleans())
def test_any_field_values_get_an_answer_in_the_dialect_and_never_a_500(world, resource, fields, as_form):
    url, headers = world["server"].manage_url + resource, world["headers"]
    if as_form:
        data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in fields.items()}
        answer = requests.post(url, headers=headers, data={k: v.encode("utf-8", "surrogatepass")
                                                           for k, v in data.items()}, timeout=30)
    else:
        body = json.dumps(fields, allow_nan=True).encode("utf-8", "surrogatepass")
        answer = requests.post(url, headers={**headers, "Content-Type": "application/json"}, data=body, timeout=30)
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    if answer.status_code >= 400:
        error = answer.json()
        assert isinstance(error["error"], str) and error["message"]
    elif resource == "channels/":  # valid by chance: leave nothing behind
        ManageClient(world["server"].url, world["server"].token).delete_channel(answer.json()["id"])
