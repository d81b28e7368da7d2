"""Compass messages in the store: replacing messages is one transaction."""
import pytest

from lumiwork.server.db import Store


@pytest.fixture
def store(tmp_path):
    store = Store(tmp_path / "data")
    yield store
    store.close()


def message(text, timestamp):
    return {"text": text, "language": "en", "timestamp": timestamp, "info": {}, "sentiment": 0.0, "topics": []}


def stored_texts(store, project_id):
    return sorted(m["text"] for m in store.messages.find(project_id))


def test_replace_deletes_what_matches_its_filters_when_it_stores(store):
    project_id = store.compass_projects.create("acct0000", "p", "en", "someone")
    store.messages.add(project_id, [message("early", 100.0), message("late", 200.0)])
    other = store.compass_projects.create("acct0000", "q", "en", "someone")
    store.messages.add(other, [message("elsewhere", 200.0)])
    store.messages.add(project_id, [message("new", 200.0)], replace_matching={"earliest": 150.0})
    assert stored_texts(store, project_id) == ["early", "new"]
    assert stored_texts(store, other) == ["elsewhere"]  # another project's messages are never replaced
    store.messages.add(project_id, [message("only", 50.0)], replace_matching={})
    assert stored_texts(store, project_id) == ["only"]


def test_a_replace_that_fails_midway_deletes_nothing(store):
    project_id = store.compass_projects.create("acct0000", "p", "en", "someone")
    store.messages.add(project_id, [message("kept", 100.0)])
    version = store.compass_projects.messages_version(project_id)
    usage = store.compass_usage.find(project_id)
    broken = message("broken", 100.0)
    del broken["sentiment"]  # fails after the DELETE, inside the transaction
    with pytest.raises(KeyError):
        store.messages.add(project_id, [message("fine", 100.0), broken], replace_matching={})
    assert stored_texts(store, project_id) == ["kept"]
    assert store.compass_projects.messages_version(project_id) == version
    assert store.compass_usage.find(project_id) == usage  # the count of messages received did not move
