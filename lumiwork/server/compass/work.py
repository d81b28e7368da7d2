"""The engine work behind Compass: each project's semantic space, classifier
builds, classifying messages, message sentiment and the periodic clustering of
messages into pending topics.

A project's space is built from its documents (from its messages when it has
none) by the same builder as API v4's projects (a child process, background
knowledge included), as a task of the server's one build queue; so are
classifier builds, clusterings and topic memberships. Requests only read spaces
that exist. Each classifier version keeps the space it was built with, so a
rebuild never changes the version that is classifying while it runs.

Topic membership is a function of the messages, the project's active and
pending topics and its space (`engine.clustering.assign_to_topics`): a posted
message is placed at once when the space exists, and every message is placed
again whenever topics or the space change (`reassign`, queued), so the answer
never depends on when builds and clusterings ran.
"""
from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any, Generic, TypeVar

import numpy as np

from ...engine import BuildError, Model
from ...engine.classify import (
    UNCLASSIFIED,
    Calibration,
    Messages,
    SentimentClassifier,
    TopicClassifier,
    TopicSyntaxError,
    VotingClassifier,
    calibrate,
    classifier_from_data,
    prepare,
)
from ...engine.classify.sentiment import WordScorer, normalize
from ...engine.clustering import assign_to_topics, cluster_messages
from ...engine.text import tokenize
from ..builds.child import COMPASS
from ..builds.parent import BuildFailed
from ..builds.queue import BuildQueue
from ..db import Store
from ..models.cache import ModelCache

log = logging.getLogger(__name__)

# Configuration keys (GET p/config/), their defaults, and what each means here.
CONFIG_DEFAULTS: dict[str, Any] = {
    "assoc_axes": 150,
    "assoc_min_tokens": 0,
    "assoc_max_tokens": 10_000_000,
    "assoc_min_messages": 0,
    "partition_min_messages": 30,
    "partition_max_messages": 5000,
    "number_of_clusters": 8,
    "number_of_discardable_clusters": 8,
    "partition_min_lifetime": 7 * 86400,
    "assoc_do_not_build_within": 0,
    "assoc_force_build_after": 86400,
    "partition_do_not_build_within": 60,
    "partition_force_build_after": 3600,
    "sentiment_threshold": 0.3,
    "labels_for_clustering": [],
}
SPACE_MAX_TEXTS = 100_000
# Messages whose vectors are made per batch when the space changed.
REVECTOR_BATCH = 2000
# A message at least this close to a topic is one of its central messages.
ASSIGN_THRESHOLD = 0.3
# What is kept in memory, each the most recently used first. Every entry can be
# made again from the store or the models folder, so the caps trade speed for
# memory only; without them each project, classifier and space ever used stayed.
CLASSIFIER_CACHE = 64    # classifiers ready to classify (a project uses a handful)
CALIBRATION_CACHE = 256  # topic-score calibrations, one per space (two numbers each)
COLUMN_CACHE = 8         # projects' message columns for stats (3.2 MB per 100,000 messages)

Key = TypeVar("Key", bound=Hashable)
Value = TypeVar("Value")


class LruCache(Generic[Key, Value]):
    """A mapping that keeps its `capacity` most recently used entries. Not
    locked: callers hold their own lock around each use."""

    def __init__(self, capacity: int):
        self.capacity = capacity
        self._entries: OrderedDict[Key, Value] = OrderedDict()

    def get(self, key: Key) -> Value | None:
        value = self._entries.get(key)
        if value is not None:
            self._entries.move_to_end(key)
        return value

    def put(self, key: Key, value: Value) -> None:
        self._entries[key] = value
        self._entries.move_to_end(key)
        while len(self._entries) > self.capacity:
            self._entries.popitem(last=False)

    def pop(self, key: Key) -> None:
        self._entries.pop(key, None)

    def __len__(self) -> int:
        return len(self._entries)


class SpaceNotReady(Exception):
    """A request needs the project's semantic space, which is not built (yet)."""


class VectorsMissing(Exception):
    """Messages have no vector in the current space yet (making them is queued work)."""


class CompassWork:
    """Spaces, classifier builds, classification and clustering for all projects."""

    def __init__(self, store: Store, builds: BuildQueue, models: ModelCache):
        self.store = store
        self.builds = builds
        self.models = models
        self.models_dir = store.models_dir / "compass"
        self.models_dir.mkdir(mode=0o700, exist_ok=True)
        # classifier id -> (the record's last_update, the classifier): one version per classifier
        self._classifiers: LruCache[int, tuple[float, Any]] = LruCache(CLASSIFIER_CACHE)
        self._calibrations: LruCache[str, Calibration] = LruCache(CALIBRATION_CACHE)
        # project id -> (its messages_version, the columns)
        self._columns: LruCache[str, tuple[int, np.ndarray]] = LruCache(COLUMN_CACHE)
        # project id -> memberships queued or being computed
        self._reassigning: dict[str, int] = {}
        # project id -> the lock held while messages are placed in its topics
        self._placing_locks: dict[str, threading.RLock] = {}
        self._lock = threading.Lock()

    def remove_unfinished_files(self) -> None:
        """Temporary files left by builds that were killed (at the server's start)."""
        for orphan in self.models_dir.glob("*.tmp.npz"):
            orphan.unlink(missing_ok=True)

    # ---- configuration ----------------------------------------------------------------------
    def config(self, project_id: str) -> dict[str, Any]:
        return {**CONFIG_DEFAULTS, **self.store.compass_config.get(project_id)}

    # ---- spaces -----------------------------------------------------------------------------
    def model(self, model_file: str) -> Model:
        """The space in a file of the Compass models folder (cached with every API's models)."""
        key = f"compass/{model_file}"
        return self.models.get(key, key, searchable=False)

    def forget_project(self, project_id: str) -> None:
        """A deleted project: its rows, what is kept in memory for it and its space files."""
        self.store.delete_compass_project(project_id)
        with self._lock:
            self._columns.pop(project_id)
        self.models.forget_files(f"compass/{project_id}-")
        for path in self.models_dir.glob(f"{project_id}-*"):
            path.unlink(missing_ok=True)

    def current_space(self, project_id: str) -> tuple[str, Model] | None:
        """(model file, model) of the project's space, if it has been built."""
        project = self.store.compass_projects.get(project_id)
        current = project["model_file"] if project else None
        if not current or not (self.models_dir / current).is_file():
            return None
        return current, self.model(current)

    def space_texts(self, project_id: str) -> int:
        """How many texts the project's space would be built from now: its
        documents, or its messages when it has none (see child.compass_texts)."""
        count = self.store.compass_documents.count(project_id) or self.store.messages.count(project_id)
        return min(count, SPACE_MAX_TEXTS)

    def ensure_space(self, project_id: str, rebuild: bool = False) -> tuple[str, Model]:
        """(model file, model) of the project's current space, built first (in a
        child process) if there is none, or when `rebuild` is asked and its texts
        changed since the last build. Runs on the build queue's worker only."""
        project = self.store.compass_projects.get(project_id)
        if project is None:
            raise BuildError("the project no longer exists")
        texts = self.space_texts(project_id)
        current = self.current_space(project_id)
        if current is not None and (not rebuild or project["space_texts"] == texts):
            return current
        if not texts:
            raise BuildError("the project has no documents or messages to build its semantic space "
                             "from: add documents (POST p/documents/)")
        model_file = f"{project_id}-{int(time.time() * 1000)}.npz"
        try:
            built = self.builds.build_space(project_id, project["language"], f"compass/{model_file}",
                                            kind=COMPASS, texts=SPACE_MAX_TEXTS)
        except BuildFailed as exc:
            raise BuildError(str(exc)) from None
        key = f"compass/{model_file}"
        self.models.put(key, key, built.model, searchable=False)
        self.store.compass_projects.update(project_id, model_file=model_file, model_built=time.time(),
                                           space_texts=texts)
        self.reassign(project_id)  # every message's vector, and so its place, changed
        return model_file, built.model

    def submit_space(self, project_id: str) -> None:
        """Build the project's space on the build queue, if it still has none then."""
        self.builds.submit(f"Compass space of {project_id}", lambda: self._build_space_quietly(project_id))

    def _build_space_quietly(self, project_id: str) -> None:
        try:
            self.ensure_space(project_id)
        except BuildError as exc:
            log.warning("the space of Compass project %s was not built: %s", project_id, exc)

    def require_space(self, project_id: str) -> tuple[str, Model]:
        """The project's space for a request; if it has none yet, one is queued
        and SpaceNotReady says so (the request is answered 409: try again shortly)."""
        current = self.current_space(project_id)
        if current is not None:
            return current
        if not self.space_texts(project_id):
            raise SpaceNotReady("The project has no semantic space yet, and no documents or messages to "
                                "build one from: add documents (POST p/documents/) or messages.")
        self.submit_space(project_id)
        raise SpaceNotReady("The project's semantic space is being built from its documents and messages; "
                            "try again in a few seconds.")

    # ---- classifier builds --------------------------------------------------------------------
    def submit_build(self, project_id: str, classifier_id: int) -> None:
        self.builds.submit(f"Compass classifier {classifier_id}",
                           lambda: self.build_classifier(project_id, classifier_id))

    def submit_clustering(self, project_id: str) -> None:
        """Cluster, in the background, the messages stored when this is called:
        the result does not depend on how many more arrive before the task runs."""
        newest = self.store.messages.ids(project_id, limit=1)

        def task() -> None:
            self.cluster(project_id, up_to=newest[0] if newest else 0)

        self.builds.submit(f"Compass clustering of {project_id}", task)

    def submit_reassign(self, project_id: str) -> None:
        """Place every message again, in the background (after topics changed)."""
        with self._lock:
            self._reassigning[project_id] = self._reassigning.get(project_id, 0) + 1

        def task() -> None:
            try:
                self.reassign(project_id)
            finally:
                with self._lock:
                    left = self._reassigning.pop(project_id, 1) - 1
                    if left > 0:
                        self._reassigning[project_id] = left

        self.builds.submit(f"Compass topic membership of {project_id}", task)

    def membership_state(self, project_id: str) -> str:
        """"current", or "updating" while memberships are queued or being computed."""
        with self._lock:
            return "updating" if self._reassigning.get(project_id) else "current"

    def wait_idle(self, timeout: float = 60) -> None:
        """Block until every queued build has run (tests, notebooks)."""
        self.builds.wait_idle(timeout)

    def build_classifier(self, project_id: str, classifier_id: int) -> None:
        """Build (or rebuild) one classifier; on failure the previous version, if any,
        keeps classifying and `info.error` says what went wrong."""
        record = self.store.classifiers.get(project_id, classifier_id)
        if record is None:
            return
        try:
            model_file, model = self.ensure_space(project_id, rebuild=True)
            classifier = self._make(project_id, record, model)
        except (BuildError, ValueError, TopicSyntaxError) as exc:
            info = {**record["info"], "error": str(exc)}
            self.store.classifiers.update(classifier_id, building_state="error", info=info)
            return
        info = {k: v for k, v in record["info"].items() if k != "error"}
        if isinstance(classifier, SentimentClassifier):
            if classifier.domain_expansion:
                info["domain_terms"] = classifier.domain_terms
                info["term_conflicts"] = classifier.term_conflicts
            else:  # "once domain_expansion is turned off, the list of domain terms is deleted"
                info.pop("domain_terms", None)
                info.pop("term_conflicts", None)
        if not isinstance(classifier, TopicClassifier):  # topic-based topics are the user's
            self.store.classifiers.set_topic_titles(classifier_id, project_id, classifier.topic_names)
        self.store.classifiers.update(classifier_id, building_state="ready", info=info,
                                     state={"model_file": model_file, "data": classifier.to_data()})
        self.prune_models(project_id)

    def prune_models(self, project_id: str) -> list[str]:
        """Delete the project's space files that neither the project nor any classifier
        version uses any more (each rebuild of a changed space writes a new one)."""
        project = self.store.compass_projects.get(project_id)
        used = {project["model_file"]} if project else set()
        used |= {c["state"]["model_file"] for c in self.store.classifiers.find(project_id) if c["state"]}
        removed = []
        for path in self.models_dir.glob(f"{project_id}-*.npz"):
            if path.name not in used:
                path.unlink(missing_ok=True)
                removed.append(path.name)
        return removed

    def _make(self, project_id: str, record: dict, model: Model):
        info, kind = record["info"], record["type"]
        options = {k: info[k] for k in ("threshold", "num_topics") if k in info}
        if kind == "voting":
            docs = [d for d in self.store.compass_documents.find(project_id, dataset=record["dataset"]) if d["label"]]
            if not docs:
                raise ValueError("no labelled documents" + (f" in dataset {record['dataset']!r}"
                                                            if record["dataset"] else "") + " to train on")
            return VotingClassifier.train(model, [d["text"] for d in docs], [d["label"] for d in docs], **options)
        if kind == "topic_based":
            topics = [{"title": t["title"], "info": t["info"]}
                      for t in self.store.classifiers.topics(record["id"]) if t["status"] == "active"]
            if not topics:
                raise ValueError("the classifier has no active topics: add some (POST topics/)")
            return TopicClassifier.build(model, topics, **options)
        sentiment_options = {k: info[k] for k in ("combined_threshold", "positive_threshold",
                                                   "negative_threshold", "topics", "wordlist",
                                                   "domain_expansion", "max_expansion_terms",
                                                   "domain_terms", "term_conflicts") if k in info}
        return SentimentClassifier.build(model, kind, vocabulary=self.document_terms(project_id, model),
                                         **sentiment_options)

    def document_terms(self, project_id: str, model: Model) -> np.ndarray | None:
        """(terms,) bool: the terms of the space that the project's documents use
        (the space's first texts, see builds/child.compass_texts); None when the
        project has no documents (a space of messages only)."""
        documents = min(self.store.compass_documents.count(project_id), len(model.doc_ids))
        if not documents:
            return None
        return np.asarray(model.doc_terms[:documents].sum(axis=0)).ravel() > 0

    def classifier(self, record: dict):
        """The engine classifier of a ready record (cached per version)."""
        with self._lock:
            cached = self._classifiers.get(record["id"])
            if cached is None or cached[0] != record["last_update"]:
                cached = (record["last_update"], classifier_from_data(record["state"]["data"]))
                self._classifiers.put(record["id"], cached)
            return cached[1]

    # ---- classifying --------------------------------------------------------------------------
    def process(self, project_id: str, texts: list[str], language: str, assign: bool) -> list[dict]:
        """For each text: "topics" from every active classifier with a built version
        ([{id, source, name, score}], UNCLASSIFIED with id None and score 0 where none
        passed), "sentiment", and with `assign` the nearest project topic
        ("cluster_topic", "centrality"). Each text is tokenized once per space, not
        once per classifier (tokenizing is a large share of a post's work)."""
        prepared: dict[str, Messages] = {}

        def messages_for(model_file: str, model: Model) -> Messages:
            if model_file not in prepared:
                prepared[model_file] = prepare(model, texts)
            return prepared[model_file]

        results: list[dict] = [{"topics": []} for _ in texts]
        active = [c for c in self.store.classifiers.find(project_id) if c["status"] == "active" and c["state"]]
        for record in active:
            model_file = record["state"]["model_file"]
            model = self.model(model_file)
            topic_ids = {t["title"]: t["id"] for t in self.store.classifiers.topics(record["id"])}
            found_all = self.classifier(record).classify(model, messages_for(model_file, model))
            for result, found in zip(results, found_all):
                for topic in found:
                    result["topics"].append({"id": topic_ids.get(topic.name) if topic.name != UNCLASSIFIED else None,
                                             "source": record["name"], "name": topic.name,
                                             "score": round(float(topic.score), 6)})
        space = self.current_space(project_id)
        current = space[0] if space else None
        if space is not None and (assign or not prepared):
            messages_for(*space)
        tokens = next(iter(prepared.values())).tokens if prepared else [tokenize(t, language) for t in texts]
        for result, sentiment in zip(results, self.sentiment(tokens, language)):
            result["sentiment"] = round(sentiment, 6)
        if assign and current:  # placed in topics when stored (store_messages)
            for result, vector in zip(results, prepared[current].vectors):
                result["vector"], result["vector_space"] = vector.astype(np.float32).tobytes(), current
        return results

    def store_messages(self, project_id: str, messages: list[dict],
                       replace_matching: dict[str, Any] | None = None) -> list[int]:
        """Store processed messages (`process` with assign), each placed among the
        project's topics as they are when it is stored: placing and storing hold
        the project's placing lock, as every other placing does, so a topic change
        never misses a message stored meanwhile."""
        stale = False
        with self._placing_lock(project_id):
            space = self.current_space(project_id)
            if space is not None and all(m.get("vector_space") == space[0] for m in messages):
                vectors = np.stack([np.frombuffer(m["vector"], dtype=np.float32) for m in messages])
                topics = self._placing_topics(project_id)
                for message, (row, value) in zip(messages, self._places(space[1], topics, vectors)):
                    message["cluster_topic"] = topics[row]["id"] if row is not None else None
                    message["centrality"] = value
            else:  # no space yet, or a new one since they were read: placed once it has their vectors
                stale = space is not None
            ids = self.store.messages.add(project_id, messages, replace_matching=replace_matching)
        if stale:
            self.submit_reassign(project_id)
        elif space is None:  # built in the background; building it places every message
            self.submit_space(project_id)
        return ids

    def _placing_lock(self, project_id: str) -> threading.RLock:
        with self._lock:
            return self._placing_locks.setdefault(project_id, threading.RLock())

    def sentiment(self, tokens: list[list], language: str) -> list[float]:
        """Each message's sentiment in (-1, 1) from its tokens: the general lexicon's
        positive minus negative valence, squashed as VADER squashes its compound score."""
        scorer = WordScorer({}, language)
        values = []
        for found in tokens:
            valences = scorer.valences(found)
            values.append(float(normalize(sum(valences))) if valences else 0.0)
        return values

    # ---- clustering ---------------------------------------------------------------------------
    def clustering_due(self, project_id: str) -> bool:
        """Whether posting messages should start a clustering: enough messages, not
        too soon after the last one, and enough new messages or time since."""
        project = self.store.compass_projects.get(project_id)
        if project is None:
            return False
        config = self.config(project_id)
        count = self.store.messages.count(project_id)
        if count < config["partition_min_messages"]:
            return False
        if project["clustered_at"] is None:
            return True
        since = time.time() - project["clustered_at"]
        if since < config["partition_do_not_build_within"]:
            return False
        new = count - project["clustered_messages"]
        return new >= config["partition_min_messages"] or (new > 0 and since >= config["partition_force_build_after"])

    def cluster(self, project_id: str, up_to: int | None = None) -> list[int]:
        """Cluster the most recent messages (of those up to id `up_to`); their clusters
        become `pending` topics that replace the previous pending ones (which move
        to the project's history), and every message takes its place among the
        topics then current, in the same transaction. Active and inactive topics
        are kept. Returns the new topic ids."""
        config = self.config(project_id)
        ids = self.store.messages.ids(project_id, up_to=up_to, limit=int(config["partition_max_messages"]))
        if not ids:
            return []
        model_file, model = self.ensure_space(project_id)
        clusters = cluster_messages(model, self.message_vectors(project_id, model_file, model, ids),
                                    int(config["number_of_clusters"]))
        new_topics = [{"title": cluster.title, "info": {"terms": cluster.terms}, "status": "pending",
                       "clusters": [{"centroid_terms": list(cluster.terms)[:5], "size": int(len(cluster.members))}]}
                      for cluster in clusters]
        with self._placing_lock(project_id):
            old_pending = [t["id"] for t in self.store.compass_topics.find(project_id, status="pending")]
            ended = set(old_pending[: int(config["number_of_discardable_clusters"])])
            kept = [t for t in self._placing_topics(project_id) if t["id"] not in ended]
            refs: list[int | str] = [t["id"] for t in kept] + [f"new:{k}" for k in range(len(new_topics))]
            everyone = sorted(self.store.messages.ids(project_id))
            vectors = self.message_vectors(project_id, model_file, model, everyone)
            places = self._places(model, kept + new_topics, vectors)
            return self.store.compass_topics.replace_pending(
                project_id, sorted(ended), new_topics,
                [(refs[row] if row is not None else None, value, message_id)
                 for (row, value), message_id in zip(places, everyone)])

    # ---- topic membership ---------------------------------------------------------------------
    def message_vectors(self, project_id: str, model_file: str, model: Model, ids: list[int],
                        make: bool = True) -> np.ndarray:
        """(len(ids), dimensions) vectors of messages by id in the space `model_file`,
        made (and stored) for those that have none in it yet. With `make` False,
        raises VectorsMissing instead of making them."""
        known_ids, matrix, missing = self.store.messages.vectors(project_id, model_file, model.dimensions)
        if missing:
            if not make:
                raise VectorsMissing(len(missing))
            for start in range(0, len(missing), REVECTOR_BATCH):
                batch = missing[start:start + REVECTOR_BATCH]
                made = prepare(model, self.store.messages.texts_of(batch)).vectors.astype(np.float32)
                self.store.messages.set_vectors(model_file, [(i, v.tobytes()) for i, v in zip(batch, made)])
            known_ids, matrix, _ = self.store.messages.vectors(project_id, model_file, model.dimensions)
        # known_ids are in id order, so one searchsorted finds every row
        wanted = np.asarray(ids, dtype=np.int64)
        rows = np.searchsorted(known_ids, wanted)
        found = rows < len(known_ids)
        found[found] = known_ids[rows[found]] == wanted[found]
        return matrix[rows[found]]

    def reassign(self, project_id: str, make_vectors: bool = True) -> None:
        """Place every message of the project again (`_places`), in one transaction.
        With `make_vectors` False, raises VectorsMissing when some message has no
        vector in the current space yet (making them is work for the build queue)."""
        with self._placing_lock(project_id):
            space = self.current_space(project_id)
            if space is None:
                return
            model_file, model = space
            ids = sorted(self.store.messages.ids(project_id))
            vectors = self.message_vectors(project_id, model_file, model, ids, make=make_vectors)
            topics = self._placing_topics(project_id)
            places = self._places(model, topics, vectors)
            self.store.messages.set_memberships(project_id, [
                (topics[row]["id"] if row is not None else None, value, message_id)
                for (row, value), message_id in zip(places, ids)])

    def topics_changed(self, project_id: str) -> None:
        """After a project topic was created, changed or deleted: place every message
        again now when their vectors are at hand, else in the background (the topic's
        messages then say "updating")."""
        try:
            self.reassign(project_id, make_vectors=False)
        except VectorsMissing:
            self.submit_reassign(project_id)

    def _placing_topics(self, project_id: str) -> list[dict]:
        """The topics messages are placed in: active and pending, by id."""
        return sorted((t for t in self.store.compass_topics.find(project_id) if t["status"] in ("active", "pending")),
                      key=lambda t: t["id"])

    def _places(self, model: Model, topics: list[dict], vectors: np.ndarray) -> list[tuple[int | None, float | None]]:
        """(row in `topics` or None, centrality or None) of messages with these vectors:
        the nearest active topic when it is central (cosine >= ASSIGN_THRESHOLD), else
        the nearest active or pending topic; centrality = cosine - ASSIGN_THRESHOLD
        (negative: an outlier)."""
        if not topics:
            return [(None, None)] * len(vectors)
        matrix = np.stack([self.topic_vector(model, t) for t in topics]).astype(np.float32)
        preferred = np.array([t["status"] == "active" for t in topics])
        rows, values = assign_to_topics(vectors, matrix, preferred, ASSIGN_THRESHOLD)
        return [(int(r), round(float(v), 6)) if r >= 0 else (None, None) for r, v in zip(rows, values)]

    def match_topic(self, project_id: str, expression: str, limit: int, threshold: float) -> dict:
        """The project's most recent messages scored against one boolean topic, with each
        operand's score (why a message matches): lumiwork's own aid for writing topics."""
        config = self.config(project_id)
        recent = self.store.messages.find(project_id, columns="id, text, timestamp")[
            : int(config["partition_max_messages"])]
        model_file, model = self.require_space(project_id)
        with self._lock:
            calibration = self._calibrations.get(model_file)
        if calibration is None:
            calibration = calibrate(model)
            with self._lock:
                self._calibrations.put(model_file, calibration)
        classifier = TopicClassifier([{"title": "topic", "info": expression}], calibration, threshold)
        messages = prepare(model, [m["text"] for m in recent])
        by_operand = classifier.operand_scores(model, messages) if recent else np.zeros((0, 0))
        scores = classifier.scores(model, messages)[:, 0] if recent else np.zeros(0)
        order = [int(i) for i in np.argsort(-scores, kind="stable") if scores[i] >= threshold]
        return {
            "topic": expression, "operands": classifier.operands,
            "unknown_operands": classifier.unknown_operands(model), "count": len(order),
            "results": [{"id": recent[i]["id"], "text": recent[i]["text"], "timestamp": recent[i]["timestamp"],
                         "score": round(float(scores[i]), 6),
                         "operand_scores": {op: round(float(by_operand[i, j]), 6)
                                            for j, op in enumerate(classifier.operands)}}
                        for i in order[:limit]],
        }

    def message_columns(self, project_id: str) -> np.ndarray:
        """(messages, 4) float array of timestamp, sentiment, weight and cluster topic
        (NaN when none), cached until the project's messages change: stats over 100,000
        messages take a few milliseconds instead of a read of every row."""
        version = self.store.compass_projects.messages_version(project_id)
        with self._lock:
            cached = self._columns.get(project_id)
        if cached is not None and cached[0] == version:
            return cached[1]
        version, rows = self.store.messages.columns(project_id)
        columns = np.array([(t, s, w, np.nan if c is None else c) for t, s, w, c in rows],
                           dtype=np.float64).reshape(-1, 4)
        with self._lock:
            self._columns.put(project_id, (version, columns))
        return columns

    def topic_vector(self, model: Model, topic: dict) -> np.ndarray:
        """A project topic's vector: its terms' vectors weighted by their weights."""
        terms = (topic["info"] or {}).get("terms") or {}
        vector = np.zeros(model.dimensions)
        for text, weight in terms.items():
            vector += float(weight) * model.vector_for_text(str(text))
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector
