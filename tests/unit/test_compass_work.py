"""What Compass keeps in memory (lumiwork.server.compass.work): every cache has
a cap, and no request builds a space: a request for a project without one is
told to try again while the build queue builds it."""
import time

import pytest

from lumiwork.server.builds.queue import BuildQueue
from lumiwork.server.compass import work as work_module
from lumiwork.server.compass.work import CLASSIFIER_CACHE, COLUMN_CACHE, CompassWork, LruCache, SpaceNotReady
from lumiwork.server.db import Store
from lumiwork.server.models.background import BackgroundProvider
from lumiwork.server.models.cache import ModelCache


@pytest.fixture
def compass(tmp_path):
    store = Store(tmp_path / "data")
    background = BackgroundProvider(tmp_path, enabled=False)
    builds = BuildQueue(store, background)
    builds.start()
    work = CompassWork(store, builds, ModelCache(store.models_dir, background))
    yield work
    builds.stop()
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
        project_id = compass.store.compass_projects.create("acct0000", f"p{i}", "en", "someone")
        assert compass.message_columns(project_id).shape == (0, 4)
    assert len(compass._columns) == COLUMN_CACHE
    compass.forget_project(project_id)
    assert len(compass._columns) == COLUMN_CACHE - 1


def test_a_request_never_builds_a_space_it_queues_one(compass):
    store = compass.store
    project_id = store.compass_projects.create("acct0000", "p", "en", "someone")
    with pytest.raises(SpaceNotReady, match="no documents or messages"):
        compass.require_space(project_id)
    store.compass_documents.add(project_id, [{"text": f"the river flows past the ferry {i}", "language": "en"}
                                             for i in range(20)])
    started = time.monotonic()
    with pytest.raises(SpaceNotReady, match="being built"):
        compass.require_space(project_id)
    assert time.monotonic() - started < 1  # answered at once: the build runs on the queue, in a child process
    assert compass.builds.wait_idle(120)
    model_file, model = compass.require_space(project_id)
    assert model_file == store.compass_projects.get(project_id)["model_file"]
    assert "river|en" in model.term_index
