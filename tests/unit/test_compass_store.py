"""The Compass store: replacing messages is one transaction."""
import pytest

from lumiwork.server.compass.store import CompassStore
from lumiwork.server.store import Store


@pytest.fixture
def compass_store(tmp_path):
    store = Store(tmp_path / "data")
    yield CompassStore(store)
    store.close()


def message(text, timestamp):
    return {"text": text, "language": "en", "timestamp": timestamp, "info": {}, "sentiment": 0.0, "topics": []}


def stored_texts(compass_store, project_id):
    return sorted(m["text"] for m in compass_store.messages(project_id))


def test_replace_deletes_what_matches_its_filters_when_it_stores(compass_store):
    project_id = compass_store.create_project("acct0000", "p", "en", "someone")
    compass_store.add_messages(project_id, [message("early", 100.0), message("late", 200.0)])
    other = compass_store.create_project("acct0000", "q", "en", "someone")
    compass_store.add_messages(other, [message("elsewhere", 200.0)])
    compass_store.add_messages(project_id, [message("new", 200.0)], replace_matching={"earliest": 150.0})
    assert stored_texts(compass_store, project_id) == ["early", "new"]
    assert stored_texts(compass_store, other) == ["elsewhere"]  # another project's messages are never replaced
    compass_store.add_messages(project_id, [message("only", 50.0)], replace_matching={})
    assert stored_texts(compass_store, project_id) == ["only"]


def test_a_replace_that_fails_midway_deletes_nothing(compass_store):
    project_id = compass_store.create_project("acct0000", "p", "en", "someone")
    compass_store.add_messages(project_id, [message("kept", 100.0)])
    version = compass_store.messages_version(project_id)
    broken = message("broken", 100.0)
    del broken["sentiment"]  # fails after the DELETE, inside the transaction
    with pytest.raises(KeyError):
        compass_store.add_messages(project_id, [message("fine", 100.0), broken], replace_matching={})
    assert stored_texts(compass_store, project_id) == ["kept"]
    assert compass_store.messages_version(project_id) == version
