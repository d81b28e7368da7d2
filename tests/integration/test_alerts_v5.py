"""Alerts on API v5 concepts end to end: a real server whose alert clock the
test moves, a small API v5 project (reviews with a date, a source and a star
score), the command line and a real webhook receiver on 127.0.0.1. Moving the
clock past the dates of recent reviews brings them into an alert's window;
the values the alerts measure are checked against what API v5's own
match_counts/ and sentiment/ answer for the same documents."""
from __future__ import annotations

import json
import time

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from webhook_receiver import Receiver

from lumiwork.client import LuminosoClientError
from lumiwork.client.manage import ManageClient
from lumiwork.server import EmbeddedServer
from lumiwork.server.notify import ManualClock
from lumiwork.tools.cli import main
from lumiwork.wire import webhooks
from lumiwork.wire.dates import parse_time

T0 = 1_780_000_000.0  # when the recent reviews start arriving
HOUR, DAY = 3600.0, 86400.0
SECRET = "a concept alerts test secret"

OLD = [  # ten days before T0: outside every window the tests use
    ("The battery lasts two days on one charge.", "store", 5),
    ("Battery life is fine for a week of light use.", "web", 4),
    ("The battery takes an hour to charge fully.", "store", 3),
    ("Decent battery, it gets through a long flight.", "web", 4),
    ("The screen is bright and sharp in sunlight.", "store", 5),
    ("Colors on the screen look natural.", "web", 4),
    ("The screen scratches easily.", "web", 2),
    ("A big screen makes reading pleasant.", "store", 5),
    ("Shipping took three days and the box was intact.", "web", 4),
    ("The parcel arrived a day early.", "store", 5),
    ("Delivery was slow but the courier was polite.", "web", 3),
    ("The package came with a torn label.", "store", 3),
    ("The price is fair for what you get.", "web", 4),
    ("Too expensive compared to last year's model.", "store", 2),
    ("A good price during the sale.", "web", 5),
    ("The price went up after a week.", "store", 3),
]
RECENT = [  # T0 + 1 to 20 minutes: battery complaints from the web shop, praise from the store
    ("The battery died after two hours, terrible.", "web", 1),
    ("Awful battery, it drains overnight and the phone dies.", "web", 1),
    ("Horrible battery life, the worst I have owned.", "web", 1),
    ("The battery is bad and charging is painfully slow.", "web", 2),
    ("I love the battery, it lasts all day.", "store", 5),
    ("Great battery life, excellent on long trips.", "store", 5),
    ("The battery is wonderful and charges quickly.", "store", 5),
    ("Happy with the battery, it is reliable.", "web", 4),
    ("The screen is crisp and bright.", "store", 5),
    ("The parcel arrived on time.", "web", 4),
    ("The price is reasonable.", "store", 4),
    ("Shipping was quick and the box was intact.", "web", 5),
]


def review(text: str, source: str, stars: int, posted: float) -> dict:
    return {"text": text, "title": text[:20], "metadata": [
        {"type": "string", "name": "source", "value": source},
        {"type": "score", "name": "stars", "value": stars},
        {"type": "date", "name": "posted", "value": posted}]}


class V5:
    def __init__(self, server: EmbeddedServer):
        self.root = f"http://{server.netloc}/api/v5/"
        self.headers = {"Authorization": f"Token {server.token}"}

    def call(self, method: str, path: str, **body) -> dict:
        answer = requests.request(method, self.root + path, headers=self.headers, json=body, timeout=60)
        assert answer.status_code < 300, answer.text
        return answer.json()

    def build(self, project_id: str) -> None:
        self.call("POST", f"projects/{project_id}/build/")
        deadline = time.monotonic() + 120
        while "success" not in self.call("GET", f"projects/{project_id}/")["last_build_info"]:
            assert time.monotonic() < deadline, "the build did not finish"
            time.sleep(0.05)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A server with a manual alert clock, a receiver with a channel "ops", and
    the API v5 project "Gadget reviews", built."""
    clock = ManualClock(T0 - 2 * HOUR)
    server = EmbeddedServer(tmp_path_factory.mktemp("v5alerts") / "data", username="v5alerts@example.com",
                            password="v5 alerts test password", clock=clock)
    receiver = Receiver().start()
    try:
        v5 = V5(server)
        project_id = v5.call("POST", "projects/", name="Gadget reviews", language="en")["project_id"]
        docs = [review(text, source, stars, T0 - 10 * DAY + 60 * i) for i, (text, source, stars) in enumerate(OLD)]
        docs += [review(text, source, stars, T0 + 60 * (i + 1)) for i, (text, source, stars) in enumerate(RECENT)]
        v5.call("POST", f"projects/{project_id}/upload/", docs=docs)
        v5.build(project_id)
        unbuilt = v5.call("POST", "projects/", name="Unbuilt", language="en")["project_id"]
        v5.call("POST", f"projects/{unbuilt}/upload/", docs=docs[:3])
        client = ManageClient.connect(server.url)
        client.create_channel("ops", receiver.url, SECRET)
        yield {"server": server, "clock": clock, "receiver": receiver, "v5": v5, "project": project_id,
               "client": client}
    finally:
        receiver.stop()
        server.stop()


def move_clock(world, moment: float) -> None:
    """The alert clock to `moment`, and the evaluator told to look now."""
    world["clock"].set(moment)
    world["server"].app.state.server.alert_evaluator.wake()


def evaluated_at(world, alert_id: str, moment: float) -> dict:
    """The alert once the evaluator has evaluated it at `moment` (or later)."""
    deadline = time.monotonic() + 10
    while True:
        alert = world["client"].alert(alert_id)
        if alert["last_evaluated"] is not None and parse_time(alert["last_evaluated"]) >= moment:
            return alert
        assert time.monotonic() < deadline, f"alert {alert_id} was not evaluated at {moment}"
        time.sleep(0.05)


def notifications(world, alert_id: str, timeout: float = 10, count: int = 1) -> list:
    """The notifications of `alert_id` the receiver got, once there are `count`."""
    deadline = time.monotonic() + timeout
    while True:
        found = [r for r in world["receiver"].received if r.payload.get("rule", {}).get("id") == alert_id]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


def v5_counts(world, texts: list[str], conditions: list[dict], after: float, until: float) -> dict:
    """sentiment/ of API v5 for the concept over the documents dated in [after, until]."""
    dated = [*conditions, {"name": "posted", "minimum": after, "maximum": until}]
    answer = world["v5"].call("POST", f"projects/{world['project']}/concepts/sentiment/",
                              concept_selector={"type": "specified", "concepts": [{"texts": texts}]},
                              filter=dated)
    return answer["match_counts"][0]


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_reviews_dated_into_the_window_fire_one_signed_notification(world, capsys):
    server, moment = world["server"], T0 - 2 * HOUR
    world["clock"].set(moment)
    code, out, err = cli(capsys, "alert", "create", "--project", "Gadget reviews", "--concept", "battery",
                         "--metric", "count", "--above", "5", "--window", "1h", "--every", "5m",
                         "--channel", "ops", "--url", server.url)
    assert code == 0, err
    alert_id = out.strip()
    quiet = evaluated_at(world, alert_id, moment)
    assert (quiet["state"], quiet["last_value"]) == ("normal", 0)  # the old battery reviews are not in the window
    assert quiet["target"]["date_field"] == "posted"  # the project's only date field

    moment = T0 + 30 * 60  # the recent reviews are now in (moment - 1h, moment]
    move_clock(world, moment)
    received = notifications(world, alert_id)
    assert len(received) == 1
    post = received[0]
    payload = post.payload
    assert webhooks.verify(SECRET, post.headers, post.body, now=moment) == payload["id"]
    assert payload["event"] == "alert.firing" and payload["rule"]["target"]["kind"] == "v5_concept"
    expected = v5_counts(world, ["battery"], [], moment - HOUR, moment)["match_count"]
    everything = v5_counts(world, ["battery"], [], 0, moment)["match_count"]
    assert payload["value"] == expected > 5 and everything > expected
    assert "concept 'battery' in project 'Gadget reviews'" in payload["text"]

    move_clock(world, moment + 5 * 60)  # still firing: no second notification
    evaluated_at(world, alert_id, moment + 5 * 60)
    assert len(notifications(world, alert_id, timeout=0)) == 1
    code, out, _ = cli(capsys, "alert", "list", "--project", "Gadget reviews", "--url", server.url)
    assert code == 0 and alert_id in out and "concept battery" in out and "firing" in out
    code, out, _ = cli(capsys, "alert", "show", alert_id, "--url", server.url)
    assert code == 0 and "dated by 'posted'" in out and "alert.firing" in out
    world["client"].delete_alert(alert_id)


def test_negative_share_of_a_filtered_concept_matches_api_v5_sentiment(world):
    client, web = world["client"], [{"name": "source", "values": ["web"]}]
    world["clock"].set(T0 - 2 * HOUR)
    made = client.create_alert("Gadget reviews", concept=["battery"], filter=web, date_field="posted",
                               metric="negative_share", above=0.5, window="1h", every="5m", channel="ops")
    assert evaluated_at(world, made["id"], T0 - 2 * HOUR)["last_value"] is None  # no reviews: no share
    speed = client.create_alert("Gadget reviews", concept=["battery"], metric="velocity", below=1, window="2h",
                                every="5m", channel="ops")
    assert evaluated_at(world, speed["id"], T0 - 2 * HOUR)["state"] == "firing"  # 0 per hour: quiet is below 1

    moment = T0 + 30 * 60
    move_clock(world, moment)
    received = notifications(world, made["id"])
    assert len(received) == 1 and received[0].payload["event"] == "alert.firing"
    counted = v5_counts(world, ["battery"], web, moment - HOUR, moment)
    share = counted["sentiment_counts"]["negative"] / counted["sentiment_counts"]["total"]
    assert received[0].payload["value"] == pytest.approx(share) and share > 0.5
    assert received[0].payload["messages"] == counted["match_count"]
    everywhere = v5_counts(world, ["battery"], [], moment - 2 * HOUR, moment)
    measured = evaluated_at(world, speed["id"], moment)
    assert measured["last_value"] == pytest.approx(everywhere["match_count"] / 2)  # per hour over 2 h
    assert measured["last_value"] > 1
    assert measured["state"] == "resolved"
    assert [r.payload["event"] for r in notifications(world, speed["id"], count=2)] == ["alert.firing",
                                                                                        "alert.resolved"]
    for alert_id in (made["id"], speed["id"]):
        client.delete_alert(alert_id)


@pytest.mark.parametrize(("fields", "status", "said"), [
    ({"project": "No such project"}, 404, "no project 'No such project'"),
    ({"project": "Unbuilt"}, 400, "has not been built"),
    ({"date_field": "when"}, 400, "'when' is no field of the project; its date fields: 'posted'"),
    ({"date_field": "stars"}, 400, "'stars' is a score field"),
    ({"filter": [{"name": "colour", "values": ["red"]}]}, 400, "no metadata field 'colour'"),
    ({"filter": {"name": "source"}}, 400, "filter must be a list"),
    ({"concept": ["  "]}, 400, "non-empty texts"),
    ({"concept": [1, 2]}, 400, "a text or a non-empty list of texts"),
    ({"topic": "battery"}, 400, "a topic or a concept, not both"),
])
def test_bad_concept_targets_get_a_400_or_404_saying_what_is_wrong(world, fields, status, said):
    body = {"project": "Gadget reviews", "concept": ["battery"], "metric": "count", "above": 1, "window": "1h",
            "channel": "ops", **fields}
    answer = requests.post(world["server"].manage_url + "alerts/", json=body, timeout=30,
                           headers={"Authorization": f"Token {world['server'].token}"})
    assert answer.status_code == status, answer.text
    error = answer.json()
    assert isinstance(error["error"], str) and said in json.dumps(error)


def test_the_management_api_documents_concept_alerts(world):
    documentation = requests.get(world["server"].manage_url, timeout=10).text
    assert "concept" in documentation and "date_field" in documentation
    with pytest.raises(LuminosoClientError, match="date field"):
        world["client"].create_alert("Gadget reviews", concept="battery", date_field="source", metric="count",
                                     above=1, window="1h", channel="ops")


CONCEPT_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=20),
    st.sampled_from(["battery", "Gadget reviews", "Unbuilt", "posted", "source", "stars", "count", "1h", "ops",
                     "v5_concept", "compass_topic", "[\"battery\"]", "[{\"name\": \"source\", \"values\": [\"web\"]}]",
                     "[{\"name\": \"posted\", \"minimum\": \"2026-01-01\"}]", "{", "x" * 2000]),
    st.lists(st.text(max_size=10), max_size=3),
    st.lists(st.fixed_dictionaries({"name": st.sampled_from(["source", "stars", "posted", "x"]),
                                    "values": st.lists(st.text(max_size=5), max_size=2)}), max_size=2))
CONCEPT_FIELDS = ("project", "concept", "concept_name", "filter", "date_field", "target_kind", "topic", "metric",
                  "above", "window", "channel")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=st.dictionaries(st.sampled_from(CONCEPT_FIELDS), CONCEPT_VALUES, max_size=8), as_form=st.booleans())
def test_any_concept_alert_fields_get_an_answer_in_the_dialect_and_never_a_500(world, fields, as_form):
    url, headers = world["server"].manage_url + "alerts/", {"Authorization": f"Token {world['server'].token}"}
    base = {"project": "Gadget reviews", "concept": "battery", "metric": "count", "above": 1, "window": "1h",
            "channel": "ops"}
    sent = {**base, **fields}
    if as_form:
        data = {k: (v if isinstance(v, str) else json.dumps(v)).encode("utf-8", "surrogatepass")
                for k, v in sent.items() if v is not None}
        answer = requests.post(url, headers=headers, data=data, timeout=30)
    else:
        body = json.dumps(sent, allow_nan=True).encode("utf-8", "surrogatepass")
        answer = requests.post(url, headers={**headers, "Content-Type": "application/json"}, data=body, timeout=30)
    assert answer.status_code < 500, (answer.status_code, answer.text[:300])
    if answer.status_code >= 400:
        error = answer.json()
        assert isinstance(error["error"], str) and error["message"]
    else:  # valid: leave nothing behind
        world["client"].delete_alert(answer.json()["id"])


def test_an_alert_whose_project_is_deleted_says_so_and_keeps_its_state(world):
    """Last in the module: it deletes the project."""
    client = world["client"]
    made = client.create_alert("Gadget reviews", concept="screen", metric="count", above=100, window="1h",
                               every="5m", channel="ops")
    before = evaluated_at(world, made["id"], world["clock"].now())
    world["v5"].call("DELETE", f"projects/{world['project']}/")
    moment = world["clock"].now() + 10 * 60
    move_clock(world, moment)
    after = evaluated_at(world, made["id"], moment)
    assert "no longer exists" in after["last_error"] and after["state"] == before["state"] == "normal"
    assert after["project"]["name"] is None and made["id"] in {a["id"] for a in client.alerts()}
    client.delete_alert(made["id"])
