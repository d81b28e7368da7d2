"""The analyst's side of Compass against a real server: the client (login, pages,
one-line errors), DataFrames, figures, and the live topic matcher widget."""
import socket
import time

import pandas as pd
import pytest

from lumiwork.client import LuminosoClientError, LuminosoConnectionError
from lumiwork.compass import CompassClient, frames, plots, widgets
from lumiwork.datasets import siddhartha
from lumiwork.server import EmbeddedServer

ADMIN, PASSWORD = "analyst@example.com", "compass analyst password"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compass-analyst")
    with EmbeddedServer(folder / "data", token_file=folder / "tokens.json", username=ADMIN,
                        password=PASSWORD) as srv:
        yield srv


@pytest.fixture(scope="module")
def client(server):
    return CompassClient.connect(server.url.replace("/api/v4/", "/compass/api/"), username=ADMIN,
                                 password=PASSWORD)


@pytest.fixture(scope="module")
def project(server, client, siddhartha_path):
    """A project client: messages over six hours from Siddhartha's chapters 8 and
    9, one topic-based classifier (water / money) and one sentiment classifier."""
    project = client.fresh_project("stream", account=server.setup.account_id)
    docs = siddhartha(siddhartha_path)
    chosen = [d for d in docs if d["subsets"][0].startswith(("Chapter 8", "Chapter 9"))][:120]
    start = time.time() - 6 * 3600
    # the space is built from the project's texts: one message before any classifier
    project.post("messages/", [{"text": chosen[0]["text"], "timestamp": start}])
    project.post("classifiers/", {"name": "things", "type": "topic_based", "status": "active",
                                  "info": {"topics": [{"title": "water", "info": "river OR water"},
                                                      {"title": "money", "info": "money OR merchant"}]}})
    project.post("classifiers/", {"name": "mood", "type": "sentiment_combined", "status": "active"})
    project.wait_for_classifiers()
    project.post("messages/", [{"text": d["text"], "timestamp": start + 60 + i * 170}
                               for i, d in enumerate(chosen[1:])])
    return project


def test_client_pages_and_errors(server, client, project):
    messages = list(project.iterate("messages/"))
    assert len(messages) == 120 and len({m["id"] for m in messages}) == 120
    with pytest.raises(LuminosoClientError) as info:
        client.post("projects/", name="", account=server.setup.account_id)
    text = str(info.value)
    assert "\n" not in text and "name:" in text and "language: This field is required." in text
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{sock.getsockname()[1]}/compass/api/"
    with pytest.raises(LuminosoConnectionError, match="lumiwork serve"):
        CompassClient(dead, "token").get("projects/")


def test_frames(project):
    table = frames.classifiers(project)
    assert list(table["name"]) == ["things", "mood"] and set(table["building_state"]) == {"ready"}
    assert list(table["threshold"]) == [0.4, 0.4]  # neither sets one: the API's documented default
    messages = frames.messages(project)
    assert len(messages) == 120 and messages["timestamp"].is_monotonic_increasing
    assert str(messages["timestamp"].dt.tz) == "UTC" and messages["sentiment"].between(-1, 1).all()
    long = frames.message_topics(project)
    assert set(long["source"]) == {"things", "mood"}
    assert (long.groupby("source")["message_id"].nunique() == 119).all()  # all but the first
    volume = frames.topic_volume(long, "things", "1h")
    assert isinstance(volume.index, pd.DatetimeIndex) and volume.to_numpy().sum() == 119
    assert "water" in volume.columns
    stats, measurements = frames.stats(project, interval=3600, num_buckets=8)
    assert len(stats) == 8 and stats["count"].sum() == 120 and measurements["count"] == 120
    assert stats["count"].isna().sum() >= 1  # buckets before the first message are empty


def test_figures(project):
    long = frames.message_topics(project)
    volume = frames.topic_volume(long, "things", "1h")
    bars = plots.volume_figure(volume).to_dict()
    assert "UNCLASSIFIED" in volume.columns  # frames keep the API's name; the legend reads "no topic"
    assert {trace["name"] for trace in bars["data"]} == set(volume.columns) - {"UNCLASSIFIED"} | {"no topic"}
    assert sum(sum(trace["y"]) for trace in bars["data"]) == 119
    stats, _ = frames.stats(project, interval=3600, num_buckets=8)
    areas = plots.sentiment_figure(stats).to_dict()
    assert [t["name"] for t in areas["data"]] == ["negative", "neutral", "positive"]
    assert all(t["stackgroup"] == "sentiment" for t in areas["data"])


def test_topic_matcher_shows_matches_and_why(project):
    """A Panel over frames.topic_matches: a failed call (a syntax error) clears the
    table and shows one line; the next good topic shows matches again."""
    panel = widgets.topic_matcher(project, topic="river OR water", limit=5)
    assert list(panel.frame.columns[2:5]) == ["score", "river", "water"]
    assert 0 < len(panel.frame) <= 5 and panel.frame["score"].is_monotonic_decreasing
    assert "matching messages; the best 5" in panel.message.value and panel.output.outputs
    text = panel.children[0].children[0]
    text.value = "ale OR beer AND NOT porter"
    assert panel.frame is None and panel.output.outputs == ()
    assert "parentheses" in panel.message.value and "\n" not in panel.message.value
    text.value = "money"
    assert "money" in panel.frame.columns and "parentheses" not in panel.message.value


def test_a_malformed_topic_is_one_readable_line(project):
    panel = widgets.topic_matcher(project, topic="river OR")
    line = panel.message.value
    assert line.startswith("<b>Could not update:</b> cannot read the topic: the topic ends after &#x27;OR&#x27;")
    for internal in ("HTTP", "INVALID_FIELDS", "POST", "match/", "&#x27;topic&#x27;", "topic: topic"):
        assert internal not in line, internal


def test_a_topic_nothing_matches_says_so_without_an_empty_table(project):
    panel = widgets.topic_matcher(project, topic="xqzvy")
    assert panel.frame is not None and panel.frame.empty and panel.output.outputs == ()
    assert panel.message.value.startswith("<i>No message matches “xqzvy” at a threshold of 0.4.")
    assert "does not know: xqzvy" in panel.message.value
    assert "<table" not in panel.static_html()


def test_tied_matches_put_messages_that_match_more_of_the_topic_first(project):
    """Messages in which "river" scores its full evidence tie at the top score;
    among them, the ones whose other operand matches more strongly come first,
    whichever of the tied messages the server listed first, also when the tie
    runs past the last row shown."""
    everything = frames.topic_matches(project, "river OR boat", limit=1000)
    top = everything["score"].max()
    tied = everything[everything["score"] == top]
    assert len(tied) >= 2, "the corpus no longer has a tie to order"
    limit = len(tied) - 1
    shown = frames.topic_matches(project, "river OR boat", limit=limit)
    assert (shown["score"] == top).all()
    strength = tied[["river", "boat"]].mean(axis=1)
    assert sorted(shown[["river", "boat"]].mean(axis=1), reverse=True) == \
        sorted(strength, reverse=True)[:limit]
    assert list(shown["message_id"]) == list(everything["message_id"][:limit])
    assert shown.attrs["count"] == everything.attrs["count"] and shown.attrs["tied"] == len(tied)
    panel = widgets.topic_matcher(project, topic="river OR boat", limit=limit)
    assert f"the best {limit} ({len(tied)} score {top:.2f}: those matching more of the topic first" \
        in panel.message.value


def test_a_project_client_reaches_the_same_project(client, project):
    assert project.project_id and project.url.endswith(f"/projects/{project.project_id}/p/")
    assert client.get(f"projects/{project.project_id}/")["name"] == "stream"
    assert project.root_url == client.url
