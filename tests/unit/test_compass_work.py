"""What Compass keeps in memory (lumiwork.server.compass.work): every cache has a
cap, and a project's lock lives only while it is used."""
import gc
import threading

import pytest

from lumiwork.server.compass import work as work_module
from lumiwork.server.compass.store import CompassStore
from lumiwork.server.compass.work import CLASSIFIER_CACHE, COLUMN_CACHE, CompassWork, LruCache
from lumiwork.server.jobs import BackgroundProvider
from lumiwork.server.store import Store


@pytest.fixture
def compass(tmp_path):
    store = Store(tmp_path / "data")
    models = tmp_path / "models"
    models.mkdir()
    work = CompassWork(CompassStore(store), models, BackgroundProvider(tmp_path, enabled=False))
    yield work
    work.stop()
    store.close()


def test_lru_cache_keeps_the_most_recently_used():
    cache: LruCache[str, int] = LruCache(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1  # "a" is now the most recent...
    cache.put("c", 3)           # ...so "b" goes
    assert (cache.get("a"), cache.get("b"), cache.get("c"), len(cache)) == (1, None, 3, 2)
    cache.pop("a")
    cache.pop("never there")
    assert len(cache) == 1


def test_classifier_cache_is_bounded_and_keeps_one_version_each(compass, monkeypatch):
    made = []

    def from_data(data):
        made.append(data)
        return object()

    monkeypatch.setattr(work_module, "classifier_from_data", from_data)
    for classifier_id in range(CLASSIFIER_CACHE * 5):
        compass.classifier({"id": classifier_id, "last_update": 1.0, "state": {"data": classifier_id}})
    assert len(compass._classifiers) == CLASSIFIER_CACHE
    last = CLASSIFIER_CACHE * 5 - 1
    same = compass.classifier({"id": last, "last_update": 1.0, "state": {"data": "unused"}})
    assert compass.classifier({"id": last, "last_update": 1.0, "state": {"data": "unused"}}) is same
    newer = compass.classifier({"id": last, "last_update": 2.0, "state": {"data": "rebuilt"}})
    assert newer is not same and made[-1] == "rebuilt" and len(compass._classifiers) == CLASSIFIER_CACHE


def test_message_columns_are_kept_for_a_bounded_number_of_projects(compass):
    for i in range(COLUMN_CACHE * 10):
        project_id = compass.store.create_project("acct0000", f"p{i}", "en", "someone")
        assert compass.message_columns(project_id).shape == (0, 4)
    assert len(compass._columns) == COLUMN_CACHE
    compass.forget_project(project_id)
    assert len(compass._columns) == COLUMN_CACHE - 1


def test_a_projects_lock_lives_while_it_is_used_and_no_longer(compass):
    held = compass._project_lock("kept")
    assert compass._project_lock("kept") is held  # one lock per project while in use
    for i in range(1_000):
        with compass._project_lock(f"project{i}"):
            pass
    gc.collect()
    assert set(compass._project_locks) == {"kept"}
    del held
    gc.collect()
    assert len(compass._project_locks) == 0


def test_a_projects_lock_still_excludes_while_it_is_waited_for(compass):
    order = []
    first_in = threading.Event()

    def first():
        with compass._project_lock("p"):
            first_in.set()
            gc.collect()  # nothing but the lock's holders keeps it: it must survive this
            threading.Event().wait(0.2)
            order.append("first out")

    def second():
        first_in.wait(5)
        with compass._project_lock("p"):
            order.append("second in")

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert order == ["first out", "second in"]
