"""What an alert watches: its target, one kind per thing whose messages can be
counted over time.

A target is a JSON object with a "kind". Each kind finds a target from what a
user names (`resolve`), describes it, and counts its messages in a window
(`measure`). The kinds: "compass_topic" (a Compass project's topic, its
messages) and "v5_concept" (an API v5 project's concept, its documents). A new
kind is registered in `TARGET_KINDS`; rules, states, channels, deliveries and
the HTTP resources stay as they are.
"""
from __future__ import annotations

from typing import Any, Protocol

import numpy as np

from ...engine import concepts as engine
from ...engine.metadata import MetadataError, MetadataTable, parse_filter
from ..compass.work import CONFIG_DEFAULTS
from ..db import Store
from ..models.cache import ModelCache, current_model
from ..v5.concepts import sentiment_labels
from ..v5.lookups import document_rows
from .metrics import Counts


class TargetGone(Exception):
    """The target no longer exists (its project was deleted)."""


class TargetError(ValueError):
    """A target that cannot be watched; `field` is the request field to blame."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


class TargetKind(Protocol):
    kind: str

    def describe(self, store: Store, target: dict[str, Any]) -> str: ...

    def measure(self, store: Store, target: dict[str, Any], after: float, until: float,
                models: ModelCache | None = None) -> Counts: ...


class CompassTopic:
    """A topic of a Compass project, by the Compass API's one id space for topics:

    - a project topic (p/topics/: made by a user, or pending from clustering):
      its messages are those assigned to it (a message's ``cluster_topic``);
    - a classifier's topic (p/classifiers/<id>/topics/): its messages are
      those the classifier put in it (the message's ``topics`` list names the
      classifier and the topic), so a rebuilt classifier keeps its alerts.
    """

    kind = "compass_topic"

    def resolve(self, store: Store, project_id: str, title: str | None = None,
                topic_id: int | None = None) -> dict[str, Any]:
        """The target of the topic titled `title` (or with id `topic_id`);
        ValueError, saying which topics there are, when none or several match."""
        candidates = []
        for topic in store.compass_topics.find(project_id):
            candidates.append({"topic_id": topic["id"], "title": topic["title"], "classifier": None})
        for classifier in store.classifiers.find(project_id):
            for topic in store.classifiers.topics(classifier["id"]):
                candidates.append({"topic_id": topic["id"], "title": topic["title"], "classifier": classifier["name"]})
        if topic_id is not None:
            found = [c for c in candidates if c["topic_id"] == topic_id]
            wanted = f"with id {topic_id}"
        else:
            found = [c for c in candidates if c["title"] == title]
            wanted = f"titled {title!r}"
        if not found:
            titles = sorted({c["title"] for c in candidates})
            shown = ", ".join(map(repr, titles[:20])) + (", ..." if len(titles) > 20 else "")
            raise ValueError(f"the project has no topic {wanted}; its topics: {shown or 'none yet'}")
        if len(found) > 1:
            shown = "; ".join(f"id {c['topic_id']}" + (f" (classifier {c['classifier']!r})" if c["classifier"]
                                                        else " (project topic)") for c in found)
            raise ValueError(f"{len(found)} topics are titled {title!r}: {shown}. Name one by its id (topic_id)")
        return {"kind": self.kind, "project_id": project_id, **found[0]}

    def describe(self, store: Store, target: dict[str, Any]) -> str:
        project = store.compass_projects.get(target["project_id"])
        where = f"Compass project {project['name']!r}" if project else f"deleted project {target['project_id']}"
        source = f" of classifier {target['classifier']!r}" if target.get("classifier") else ""
        return f"topic {target['title']!r}{source} in {where}"

    def measure(self, store: Store, target: dict[str, Any], after: float, until: float,
                models: ModelCache | None = None) -> Counts:
        project_id = target["project_id"]
        if store.compass_projects.get(project_id) is None:
            raise TargetGone(f"the Compass project {project_id} no longer exists")
        threshold = float({**CONFIG_DEFAULTS, **store.compass_config.get(project_id)}["sentiment_threshold"])
        if target.get("classifier"):
            counts = store.messages.window_counts(project_id, after, until, -threshold,
                                                  classifier_topic=(target["classifier"], target["title"]))
        else:
            counts = store.messages.window_counts(project_id, after, until, -threshold,
                                                  cluster_topic=int(target["topic_id"]))
        return Counts(*counts)


MAX_CONCEPT_TEXTS = 100


class V5Concept:
    """A concept of an API v5 project, given by its texts (as a "specified"
    concept_selector gives one), over the documents of the project's last build.

    Documents enter a window by a date field of their metadata: a document
    counts at an evaluation at t with window w when t - w < its date <= t
    (the store keeps no upload time, and a date field says when the text was
    written, which is what a trend is about). Documents without that field
    never count. Of those, a document counts for the concept as in
    match_counts/ (an exact or a conceptual match, the ignore list hiding its
    terms) when it is still stored and passes the target's metadata filter;
    it is negative as in sentiment/ (the build's sentiment label). A document
    uploaded since the last build counts once the project is built again.
    """

    kind = "v5_concept"

    def resolve(self, store: Store, models: ModelCache, project, texts: list[str], name: str | None = None,
                metadata_filter: object = None, date_field: str | None = None) -> dict[str, Any]:
        """The target of the concept `texts` in `project` (a projects row).
        TargetError names the field at fault: texts the model knows nothing
        of, a filter that does not fit the project's fields, a missing or
        non-date date field (without one, the project's only date field)."""
        if (not isinstance(texts, list) or not texts or len(texts) > MAX_CONCEPT_TEXTS
                or not all(isinstance(t, str) and t.strip() and len(t) <= 1000 for t in texts)):
            raise TargetError("concept", f"a concept is 1 to {MAX_CONCEPT_TEXTS} non-empty texts of at most "
                                         "1,000 characters")
        model = current_model(store, models, project)
        if model is None:
            raise TargetError("project", f"project {project['name']!r} has not been built yet: build it "
                                         "(POST build/) and create the alert once the build succeeded")
        table = store.metadata.table(project["project_id"])
        try:
            table.mask(parse_filter(metadata_filter))
        except MetadataError as exc:
            raise TargetError("filter", str(exc)) from None
        dates = sorted(field for field, kind in table.types.items() if kind == "date")
        if date_field is None:
            if len(dates) != 1:
                raise TargetError("date_field", "the project has no date field: an alert counts the documents "
                                  "whose date is in its window (upload documents with a date metadata entry)"
                                  if not dates else f"the project has {len(dates)} date fields "
                                  f"({', '.join(map(repr, dates))}): name one as date_field")
            date_field = dates[0]
        elif table.types.get(date_field) != "date":
            what = "no field" if date_field not in table.types else f"a {table.types[date_field]} field"
            raise TargetError("date_field", f"{date_field!r} is {what} of the project; its date fields: "
                                            f"{', '.join(map(repr, dates)) or 'none'}")
        concept = engine.text_concept(model, texts, name)
        if not concept.exact_terms and not np.any(concept.vector):
            raise TargetError("concept", f"none of the words of {texts[:3]!r} occur in the project's documents "
                                         "or in general knowledge: the concept would match nothing")
        target: dict[str, Any] = {"kind": self.kind, "project_id": project["project_id"], "texts": list(texts),
                                  "name": concept.name, "date_field": date_field}
        if metadata_filter:
            target["filter"] = metadata_filter
        return target

    def describe(self, store: Store, target: dict[str, Any]) -> str:
        project = store.projects.by_id(target["project_id"])
        where = f"project {project['name']!r}" if project else f"deleted project {target['project_id']}"
        return f"concept {target['name']!r} in {where}"

    def measure(self, store: Store, target: dict[str, Any], after: float, until: float,
                models: ModelCache | None = None) -> Counts:
        """Matching documents dated in (after, until], and how many are negative."""
        project = store.projects.by_id(target["project_id"])
        if project is None:
            raise TargetGone(f"the project {target['project_id']} no longer exists")
        if models is None:
            raise ValueError("measuring an API v5 concept needs the server's models")
        model = current_model(store, models, project)
        if model is None:
            raise TargetGone(f"the project {project['name']!r} has no build")
        table = store.metadata.table(project["project_id"])
        usable = self.dated(table, target, after, until, document_rows(model, table))
        if not usable.any():
            return Counts(0, 0)
        ignored = frozenset(store.ignorelist.get(project["project_id"])["fullstring"])
        hidden = frozenset(model.term_index[t] for t in ignored if t in model.term_index)
        concept = engine.text_concept(model, target["texts"], target.get("name"))
        matches = model.memo(("alert concept matches", tuple(concept.texts), hidden),
                             lambda: engine.match(model, [concept], engine.related_terms_many(model, [concept],
                                                                                               hidden)))
        count = engine.match_counts(matches, usable)[0][1]
        shares = engine.sentiment_counts(matches, sentiment_labels(store, project, model), usable)
        return Counts(count, shares[0]["sentiment_counts"]["negative"])

    @staticmethod
    def dated(table: MetadataTable, target: dict[str, Any], after: float, until: float,
              rows: np.ndarray) -> np.ndarray:
        """(docs,) bool: the model's documents still stored, passing the
        target's filter, with a date in (after, until]. rows: (docs,) int64,
        each model document's table row (-1: deleted since the build)."""
        stored = rows >= 0
        dates = table.numbers.get(target["date_field"])
        if dates is None or not len(table):
            return np.zeros(len(rows), dtype=bool)
        try:
            passing = table.mask(parse_filter(target.get("filter")))
        except MetadataError as exc:  # a field of the filter is gone with its documents
            raise TargetGone(f"the filter no longer fits the project: {exc}") from None
        keep = np.ones(len(table), dtype=bool) if passing is None else passing
        with np.errstate(invalid="ignore"):
            keep = keep & (dates > after) & (dates <= until)  # NaN (no date) compares False
        return stored & keep[np.maximum(rows, 0)]


COMPASS_TOPIC = CompassTopic()
V5_CONCEPT = V5Concept()
TARGET_KINDS: dict[str, TargetKind] = {COMPASS_TOPIC.kind: COMPASS_TOPIC, V5_CONCEPT.kind: V5_CONCEPT}


def target_kind(kind: str) -> TargetKind:
    try:
        return TARGET_KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown target kind {kind!r}; kinds: {', '.join(TARGET_KINDS)}") from None
