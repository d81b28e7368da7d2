"""Compass topic membership is the same for the same input on every run: a stream
of messages, posted and then clustered, gives the same members in the same order
in three runs on fresh servers, and the analyst's topic keeps the messages about
it whether it was made before or after they arrived. Topic-based classifiers
leave texts about something else UNCLASSIFIED on the server too."""
from __future__ import annotations

import time

import pytest
import requests
from compass_data import OFF_DOMAIN, THEMES

from lumiwork.datasets import siddhartha
from lumiwork.server import EmbeddedServer

USER, PASSWORD = "streams@example.com", "membership test password"
RIVER = ["The river was green and calm that morning.", "We crossed the river on the old ferry.",
         "The ferryman said the water was high today.", "Boats drifted down the river at dusk.",
         "The water of the river sparkled in the sun.", "I sat by the river and listened to the water.",
         "The ferry was late because the river flooded.", "Children swam in the shallow water by the bank.",
         "The river carried leaves and branches past the ferry.", "Fishermen waited on the river bank.",
         "The sound of the water calmed my mind.", "The ferry crossed the wide river twice a day."]
RIVER_TOPIC = {"title": "River", "info": {"terms": {"river": 1.0, "water": 1.0, "ferry": 1.0}}}


class Compass:
    def __init__(self, server: EmbeddedServer):
        self.root = server.url.replace("/api/v4/", "/compass/api/")
        answer = requests.post(self.root + "login/", data={"username": USER, "password": PASSWORD}, timeout=30)
        self.headers = {"Authorization": f"Token {answer.json()['token']}"}

    def ok(self, method: str, path: str, **kwargs):
        answer = requests.request(method, self.root + path, headers=self.headers, timeout=120, **kwargs)
        assert answer.status_code < 300, (answer.status_code, answer.text[:300])
        return answer.json() if answer.content else None

    def project_of(self, server: EmbeddedServer, documents: list[str]) -> str:
        """A new project of these documents: its path, "projects/<id>/p/"."""
        project = self.ok("POST", "projects/", json={"name": "stream", "account": server.setup.account_id,
                                                     "language": "en"})["id"]
        self.ok("POST", f"projects/{project}/p/documents/", json=[{"text": text} for text in documents])
        return f"projects/{project}/p/"

    def every(self, path: str, **params) -> list[dict]:
        found, page = [], self.ok("GET", path, params=params)
        while True:
            found += page["results"]
            if not page["next"]:
                return found
            page = self.ok("GET", page["next"].removeprefix(self.root))


@pytest.fixture(scope="module")
def stream(siddhartha_path):
    """60 messages: every fifth about the river, the others sentences of chapter 5."""
    others = [d["text"] for d in siddhartha(siddhartha_path) if d["subsets"][0].startswith("Chapter 5")][:48]
    return [RIVER[i // 5] if i % 5 == 2 else others[i - i // 5 - 1] for i in range(60)]


def run_stream(folder, documents, stream, topic_first=True):
    """A fresh server: a project of documents, the River topic (before or after the
    messages), the stream in six posts; each topic's members, in the order
    topics/<id>/messages/ lists them (with outliers), by title."""
    with EmbeddedServer(folder / "data", token_file=folder / "tokens.json", username=USER,
                        password=PASSWORD) as server:
        compass = Compass(server)
        p = compass.project_of(server, documents)
        if topic_first:
            compass.ok("POST", p + "topics/", json=RIVER_TOPIC)
        start = 1_400_000_000
        for batch in range(0, len(stream), 10):
            compass.ok("POST", p + "messages/", json=[{"text": text, "timestamp": start + i}
                                                      for i, text in enumerate(stream[batch:batch + 10], batch)])
        if not topic_first:
            compass.ok("POST", p + "topics/", json=RIVER_TOPIC)
        server.api.compass.wait_idle(180)
        members = {}
        for topic in compass.every(p + "topics/"):
            listed = compass.ok("GET", p + f"topics/{topic['id']}/messages/", params={"outliers": "true"})
            assert listed["membership"] == "current"
            messages = compass.every(p + f"topics/{topic['id']}/messages/", outliers="true")
            members[topic["title"]] = [(m["text"], m["centrality"]) for m in messages]
        return members


def test_the_same_stream_gives_the_same_members_every_time(tmp_path, siddhartha_path, stream):
    documents = [d["text"] for d in siddhartha(siddhartha_path)][:300]
    runs = [run_stream(tmp_path / f"run{k}", documents, stream) for k in range(3)]
    assert runs[0] == runs[1] == runs[2]
    river = [text for text, _ in runs[0]["River"]]
    assert sum(text in RIVER for text in river) >= 10, river
    # the analyst's topic keeps its messages, made before or after they arrived
    later = run_stream(tmp_path / "later", documents, stream, topic_first=False)
    assert later["River"] == runs[0]["River"]


def test_a_topic_change_places_the_messages_again(tmp_path, siddhartha_path, stream):
    documents = [d["text"] for d in siddhartha(siddhartha_path)][:300]
    with EmbeddedServer(tmp_path / "data", token_file=tmp_path / "tokens.json", username=USER,
                        password=PASSWORD) as server:
        compass = Compass(server)
        p = compass.project_of(server, documents)
        compass.ok("POST", p + "messages/", json=[{"text": text, "timestamp": time.time()} for text in stream])
        server.api.compass.wait_idle(180)
        topic = compass.ok("POST", p + "topics/", json=RIVER_TOPIC)
        # placed by the time the topic's answer comes: the vectors were at hand
        listed = compass.ok("GET", p + f"topics/{topic['id']}/messages/")
        assert listed["membership"] == "current" and listed["count"] >= 10
        compass.ok("PUT", p + f"topics/{topic['id']}/", json={"status": "inactive"})
        assert compass.ok("GET", p + f"topics/{topic['id']}/messages/")["count"] == 0
        compass.ok("PUT", p + f"topics/{topic['id']}/", json={"status": "active"})
        assert compass.ok("GET", p + f"topics/{topic['id']}/messages/")["count"] == listed["count"]


def test_off_domain_texts_stay_unclassified_on_the_server(tmp_path, siddhartha_path):
    """The case as found: a classifier of the novel's themes at threshold 0.3."""
    with EmbeddedServer(tmp_path / "data", token_file=tmp_path / "tokens.json", username=USER,
                        password=PASSWORD) as server:
        compass = Compass(server)
        p = compass.project_of(server, [d["text"] for d in siddhartha(siddhartha_path)])
        compass.ok("POST", p + "classifiers/", json={"name": "themes", "type": "topic_based", "status": "active",
                                                     "threshold": 0.3, "info": {"topics": THEMES}})
        server.api.compass.wait_idle(180)
        for name, texts in OFF_DOMAIN.items():
            answers = compass.ok("POST", p + "classify/", json=[{"text": text} for text in texts])
            classified = [a["text"] for a in answers if a["topics"][0]["name"] != "UNCLASSIFIED"]
            assert len(classified) <= 1, (name, classified)
        [boat] = compass.ok("POST", p + "classify/", json=[{"text": "The boat crossed the stream."}])
        assert boat["topics"][0]["name"] == "water"
        documentation = requests.get(compass.root, timeout=30).text
        assert "unrelated" in documentation and "noise floor" in documentation
