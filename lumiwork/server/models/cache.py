"""ModelCache: the built spaces every API reads, loaded from their files on
first use and kept for the most recently used `capacity` keys.

A key names what a model answers for: an API v4 project (its id), or one
Compass space file (``compass/<file>``: each classifier version keeps the
space it was built on). An entry is valid only for its model file, so a new
build's file replaces the old model at the next lookup.
"""
from __future__ import annotations

import gc
import threading
from collections import OrderedDict
from pathlib import Path

from ...engine import Model, query, text
from ...engine.quantized import load_kernels
from .background import BackgroundProvider

#: Models kept in memory, for every API together.
CAPACITY = 8


class ModelCache:
    def __init__(self, models_dir: Path, background: BackgroundProvider | None = None,
                 capacity: int = CAPACITY):
        self.models_dir = Path(models_dir)
        self.background = background
        self.capacity = capacity
        self._models: OrderedDict[str, tuple[str, Model]] = OrderedDict()
        # Models built but not yet recorded as current (see `stage`).
        self._staged: dict[str, tuple[str, Model]] = {}
        self._lock = threading.Lock()

    def get(self, key: str, model_file: str, searchable: bool = True) -> Model:
        """The model in `model_file` (a path under the models folder) for `key`.
        Raises FileNotFoundError if the file is gone (a newer build replaced it)."""
        with self._lock:
            cached = self._models.get(key)
            if cached and cached[0] == model_file:
                self._models.move_to_end(key)
                return cached[1]
            staged = self._staged.get(key)
        if staged and staged[0] == model_file:
            self.put(key, model_file, staged[1], searchable)
            return staged[1]
        model = Model.load(self.models_dir / model_file)
        if model.background_key and self.background is not None:
            model.attach_background(self.background.get(model.language))
        self.put(key, model_file, model, searchable)
        return model

    def stage(self, key: str, model_file: str, model: Model) -> None:
        """Hold a just-built model before its job records it as current, so that
        the first query after the switch finds it here instead of loading the
        file again."""
        model.memo(("prepared",), lambda: prepare(model), keep=True)
        with self._lock:
            self._staged[key] = (model_file, model)

    def unstage(self, key: str) -> None:
        with self._lock:
            self._staged.pop(key, None)

    def put(self, key: str, model_file: str, model: Model, searchable: bool = True) -> None:
        """Keep `model` as the current one for `key`; a `searchable` one (an API v4
        project's) gets its search indexes made now."""
        model.memo(("prepared",), lambda: prepare(model), keep=True)
        with self._lock:
            if self._staged.get(key, ("",))[0] == model_file:
                del self._staged[key]
            self._models[key] = (model_file, model)
            self._models.move_to_end(key)
            while len(self._models) > self.capacity:
                self._models.popitem(last=False)
        if searchable:
            # After the switch: a recalculation's job is already recorded as done,
            # and a query that comes before the search indexes are made waits for
            # the one it needs (see Model.memo). Term searches need only the first;
            # the second is made outside the GIL, so they go on meanwhile.
            query.term_search_index(model)
            query.doc_search_index(model)
            model.make_lookups()
        model.memo(("settled",), settle, keep=True)

    def __len__(self) -> int:
        return len(self._models)

    def __contains__(self, key: str) -> bool:
        return key in self._models

    def forget(self, key: str) -> None:
        with self._lock:
            self._models.pop(key, None)
            self._staged.pop(key, None)

    def forget_files(self, prefix: str) -> None:
        """Forget every model whose key starts with `prefix` (a deleted Compass project's)."""
        with self._lock:
            for key in [k for k in self._models if k.startswith(prefix)]:
                del self._models[key]


def prepare(model: Model) -> bool:
    """Work a model needs before its first query (call it once per model):
    builds run in another process, so the first query would otherwise load the
    language's lemma dictionary and word frequencies itself."""
    text.warm_up(model.language)
    text.remember_lemmas(model.word_forms, model.word_lemmas, model.language)
    return True


def warm_up_process() -> None:
    """Load the search code (importing numba) and what reading English takes
    (the lemmatizer's dictionary and word frequencies), then settle what is
    loaded so far: the collection after each new model then walks only that
    model's objects."""
    load_kernels()
    text.warm_up(text.LANGUAGE)
    settle()


def settle() -> bool:
    """Take a model's objects out of the garbage collector's way (once per model,
    once it answers; also once at start, see `warm_up_process`).

    A model holds hundreds of thousands of Python objects (ids, terms, their
    indexes) that live as long as it does; left to the collector, every full
    collection walks them all, and holds every query meanwhile
    (CHANGELOG.md). Frozen, they are skipped. Frozen objects are still
    freed by reference counting when the model goes; collecting first keeps
    today's cyclic garbage out of the frozen set."""
    gc.collect()
    gc.freeze()
    return True


def current_model(store, models: ModelCache, project) -> Model | None:
    """The current model of an API v4/v5 project row (None before its first
    build), for any caller: a request or the alert evaluator."""
    model_file = project["model_file"]
    if not model_file:
        return None
    try:
        return models.get(project["project_id"], model_file)
    except FileNotFoundError:
        # A build finished after `project` was read and removed this file:
        # the project's row now names the new one.
        fresh = store.projects.by_id(project["project_id"])
        if fresh is None or fresh["model_file"] == model_file:
            raise
        return current_model(store, models, fresh)
