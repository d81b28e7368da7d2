"""What an alert watches: its target, one kind per thing whose messages can be
counted over time.

A target is a JSON object with a "kind". Each kind finds a target from what a
user names (`resolve`), describes it, and counts its messages in a window
(`measure`). The one kind today is "compass_topic". Another API's concept
becomes a new kind registered in `TARGET_KINDS` (for API v5, say
{"kind": "v5_concept", "project_id", "texts"}, measured as the documents that
match the concept with a date in the window); rules, states, channels,
deliveries and the HTTP resources stay as they are.
"""
from __future__ import annotations

from typing import Any, Protocol

from ..compass.work import CONFIG_DEFAULTS
from ..db import Store
from .metrics import Counts


class TargetGone(Exception):
    """The target no longer exists (its project was deleted)."""


class TargetKind(Protocol):
    kind: str

    def describe(self, store: Store, target: dict[str, Any]) -> str: ...

    def measure(self, store: Store, target: dict[str, Any], after: float, until: float) -> Counts: ...


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

    def measure(self, store: Store, target: dict[str, Any], after: float, until: float) -> Counts:
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


COMPASS_TOPIC = CompassTopic()
TARGET_KINDS: dict[str, TargetKind] = {COMPASS_TOPIC.kind: COMPASS_TOPIC}


def target_kind(kind: str) -> TargetKind:
    try:
        return TARGET_KINDS[kind]
    except KeyError:
        raise ValueError(f"unknown target kind {kind!r}; kinds: {', '.join(TARGET_KINDS)}") from None
