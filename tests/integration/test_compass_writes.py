"""Compass writes under pressure, over HTTP: POST messages/ with replace=true
replaces exactly the messages matching when the new ones are stored (also while
other requests write), a rejected request changes nothing, and every endpoint
that takes a list refuses more than the per-request count before storing any."""
import threading
from datetime import datetime

import pytest
import requests

from lumiwork.server import EmbeddedServer
from lumiwork.server.core.limits import LIMITS

ADMIN, PASSWORD = "writes@example.com", "compass writes password"
DAY_ONE, DAY_TWO = "2026-11-01T10:00:00+00:00", "2026-11-02T10:00:00+00:00"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compass-writes")
    with EmbeddedServer(folder / "data", token_file=folder / "tokens.json", username=ADMIN,
                        password=PASSWORD) as srv:
        yield srv


@pytest.fixture(scope="module")
def root(server):
    return server.url.replace("/api/v4/", "/compass/api/")


@pytest.fixture(scope="module")
def session(root):
    """Requests with the admin's Compass token."""
    token = requests.post(root + "login/", data={"username": ADMIN, "password": PASSWORD}, timeout=30).json()["token"]
    http = requests.Session()
    http.headers["Authorization"] = f"Token {token}"
    return http


@pytest.fixture
def project(server, root, session):
    """A fresh project's URL (no classifiers, so posting messages builds nothing)."""
    created = session.post(root + "projects/", json={"name": "writes", "account": server.setup.account_id,
                                                     "language": "en"}, timeout=30)
    assert created.status_code == 201, created.text
    return f"{root}projects/{created.json()['id']}/p/"


def seconds(iso_time):
    return datetime.fromisoformat(iso_time).timestamp()


def post_messages(session, project, messages, query=""):
    return session.post(project + "messages/" + query, json=messages, timeout=60)


def texts(session, project):
    """Every message's text, oldest first (the API lists newest first, 20 a page)."""
    found, url = [], project + "messages/"
    while url:
        page = session.get(url, timeout=30).json()
        found += [m["text"] for m in page["results"]]
        url = page["next"]
    return found[::-1]


def seed(session, project):
    answer = post_messages(session, project, [{"text": f"Old message {i} on day one.", "timestamp": DAY_ONE}
                                              for i in range(3)]
                           + [{"text": f"Old message {i} on day two.", "timestamp": DAY_TWO} for i in range(2)])
    assert answer.status_code == 201, answer.text
    return texts(session, project)


def test_replace_replaces_the_matching_messages_only(session, project):
    before = seed(session, project)
    answer = post_messages(session, project, [{"text": "New message on day two.", "timestamp": DAY_TWO}],
                           "?replace=true&earliest=2026-11-02T00:00:00Z")
    assert answer.status_code == 201, answer.text
    assert texts(session, project) == before[:3] + ["New message on day two."]
    answer = post_messages(session, project, [{"text": "The only message.", "timestamp": DAY_ONE}], "?replace=true")
    assert answer.status_code == 201
    assert texts(session, project) == ["The only message."]


@pytest.mark.parametrize("messages, query, status", [
    ([{"text": "Fine.", "timestamp": DAY_TWO}, {"timestamp": DAY_TWO}], "?replace=true", 400),  # one has no text
    ([{"text": "Fine.", "timestamp": DAY_TWO}], "?replace=true&earliest=yesterday", 400),
    ([{"text": "Fine.", "timestamp": DAY_TWO}], "?replace=true&older_than_id=٣", 400),
    ([{"text": "No time."}], "?replace=true", 400),
    ([], "?replace=true", 400),
])
def test_a_rejected_replace_changes_nothing(session, project, messages, query, status):
    before = seed(session, project)
    answer = post_messages(session, project, messages, query)
    assert answer.status_code == status, answer.text
    assert isinstance(answer.json(), (dict, list))
    assert texts(session, project) == before


def test_a_message_stored_while_a_replace_classifies_is_replaced_if_it_matches(server, session, project,
                                                                              monkeypatch):
    """Another request stores two messages while the replace is classifying its own
    (between reading its filters and storing): the one that matches the filters is
    replaced too, the other is kept."""
    seed(session, project)
    work, store = server.api.compass, server.api.store
    project_id = project.split("/projects/")[1].split("/")[0]
    classify = work.process

    def classify_while_another_request_stores(*args, **kwargs):
        interleaved = [{"text": text, "language": "en", "timestamp": stamp, "info": {}, "sentiment": 0.0,
                        "topics": []}
                       for text, stamp in (("Stored meanwhile on day two.", seconds(DAY_TWO)),
                                           ("Stored meanwhile on day one.", seconds(DAY_ONE)))]
        store.messages.add(project_id, interleaved)
        return classify(*args, **kwargs)

    monkeypatch.setattr(work, "process", classify_while_another_request_stores)
    answer = post_messages(session, project, [{"text": "The replacement.", "timestamp": DAY_TWO}],
                           "?replace=true&earliest=2026-11-02T00:00:00Z")
    assert answer.status_code == 201, answer.text
    monkeypatch.undo()
    found = texts(session, project)
    assert "Stored meanwhile on day two." not in found
    assert "Stored meanwhile on day one." in found
    assert [t for t in found if "day two" in t or "replacement" in t] == ["The replacement."]


def test_two_replaces_at_once_leave_one_of_them(server, session, project, monkeypatch):
    """Both requests classify at the same moment (a barrier holds each until the
    other has arrived), then store: the second to store replaces the first's
    messages, as it would have if they had come one after the other."""
    seed(session, project)
    work = server.api.compass
    classify = work.process
    both_classifying = threading.Barrier(2, timeout=30)

    def classify_together(*args, **kwargs):
        both_classifying.wait()
        return classify(*args, **kwargs)

    monkeypatch.setattr(work, "process", classify_together)
    answers = {}

    def replace_with(name):
        batch = [{"text": f"{name} message {i}.", "timestamp": DAY_TWO} for i in range(3)]
        answers[name] = post_messages(session, project, batch, "?replace=true")

    threads = [threading.Thread(target=replace_with, args=(name,)) for name in ("First", "Second")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    monkeypatch.undo()
    assert [answers[name].status_code for name in ("First", "Second")] == [201, 201]
    found = texts(session, project)
    assert len(found) == 3 and len({text.split()[0] for text in found}) == 1, found


# ---- the per-request count -------------------------------------------------------------------

MOST = LIMITS["documents per upload"]
TOO_MANY = MOST + 1


def test_too_many_documents_are_refused_and_none_stored(session, project):
    answer = session.post(project + "documents/", json=[{"text": "A document."}] * TOO_MANY, timeout=120)
    assert answer.status_code == 413
    assert f"At most {MOST:,} documents per request" in answer.json()["detail"]
    assert session.get(project + "documents/", timeout=30).json()["count"] == 0


def test_too_many_messages_are_refused_and_none_stored(session, project):
    before = seed(session, project)
    for path, query in (("messages/", ""), ("messages/", "?replace=true"), ("classify/", "")):
        answer = session.post(project + path + query, json=[{"text": "A message.", "timestamp": DAY_TWO}] * TOO_MANY,
                              timeout=120)
        assert answer.status_code == 413, (path, answer.text[:200])
        assert f"At most {MOST:,} messages per request" in answer.json()["detail"]
    assert texts(session, project) == before


def test_too_many_texts_to_test_a_classifier_are_refused(session, project):
    created = session.post(project + "classifiers/", json={
        "name": "nature", "type": "topic_based", "status": "active",
        "info": {"topics": [{"title": "water", "info": "river OR water"}]}}, timeout=30)
    assert created.status_code == 201, created.text
    answer = session.post(f"{project}classifiers/{created.json()['id']}/test/",
                          json=[{"text": "The river.", "label": "water", "language": "en"}] * TOO_MANY, timeout=120)
    assert answer.status_code == 413
    assert f"At most {MOST:,} texts per request" in answer.json()["detail"]


def test_the_count_limit_itself_is_allowed(session, project, monkeypatch):
    """Exactly the limit is fine (checked with a small limit: the check reads LIMITS
    at each request, and the server runs in this process)."""
    monkeypatch.setitem(LIMITS, "documents per upload", 5)
    answer = session.post(project + "documents/", json=[{"text": f"Document {i}."} for i in range(5)], timeout=30)
    assert answer.status_code == 201 and answer.json()["count"] == 5
    answer = session.post(project + "documents/", json=[{"text": f"Document {i}."} for i in range(6)], timeout=30)
    assert answer.status_code == 413 and answer.json() == {
        "detail": "At most 5 documents per request (6 sent): send them in several requests."}
    assert session.get(project + "documents/", timeout=30).json()["count"] == 5
