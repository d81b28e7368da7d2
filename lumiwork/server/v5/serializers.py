"""Records as API v5 answers them: projects (with last_build_info), documents,
metadata values and concepts."""
from __future__ import annotations

from datetime import UTC, datetime

import numpy as np

from ...engine import Model
from ...engine.classify import doc_sentiment
from ...engine.concepts import Concept
from ...wire import pack64 as packing
from ..db import Store
from ..db.metadata import doc_metadata

DOC_FIELDS = ("doc_id", "title", "text", "metadata", "terms", "fragments", "vector", "match_score")
PROJECT_FIELDS = ("project_id", "name", "description", "language", "next_build_language", "workspace_id",
                  "account_id", "creator", "creation_date", "last_metaupdate", "last_successful_build_time",
                  "document_count", "permissions", "last_build_info")
SENTIMENT_NAMES = {doc_sentiment.POSITIVE: "positive", doc_sentiment.NEUTRAL: "neutral",
                   doc_sentiment.NEGATIVE: "negative"}


def pack(vector) -> str:
    return packing.pack(np.asarray(vector, dtype=np.float64))


def iso(seconds: float) -> str:
    """A time as ISO 8601 in UTC: 2012-12-14T00:00:00Z, with microseconds only
    when it has them (the form lumi-upload reads back)."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    text = (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T"
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}")
    return text + (f".{moment.microsecond:06d}Z" if moment.microsecond else "Z")


def metadata_values(entries: list[dict]) -> list[dict]:
    """Stored entries as API v5 gives them: dates as ISO 8601 strings."""
    return [{"type": e["type"], "name": e["name"], "value": iso(e["value"]) if e["type"] == "date" else e["value"]}
            for e in entries]


def last_build_info(job: dict | None) -> dict:
    """The latest build of a project as the official client and lumi-upload read
    it: {} before any; no `success` key while it runs; `reason` on failure.
    Sentiment is computed within the build, so its times are the build's."""
    if job is None:
        return {}
    info: dict = {"number": job["job_id"], "start_time": job["start_time"], "stop_time": job["stop_time"]}
    if job["stop_time"] is None:
        info["sentiment"] = {"start_time": None, "stop_time": None}
        return info
    info["success"] = bool(job["success"])
    if info["success"]:
        info["sentiment"] = {"start_time": job["start_time"], "stop_time": job["stop_time"], "success": True}
    else:
        info["reason"] = job.get("message") or "the build failed"
        info["sentiment"] = {}
    return info


def project_record(store: Store, username: str, project, fields: list[str] | None = None) -> dict:
    jobs = store.jobs.find(project["project_id"], running_only=False)
    record = {
        "project_id": project["project_id"],
        "name": project["name"],
        "description": project["description"],
        "language": project["language"],
        "next_build_language": project["language"],
        "workspace_id": project["account_id"],
        "account_id": project["account_id"],
        "creator": project["creator"],
        "creation_date": project["creation_date"],
        "last_metaupdate": project["last_update"],
        "last_successful_build_time": project["last_build"],
        "document_count": store.docs.count(project["project_id"]),
        "permissions": store.accounts.permissions(username, project["account_id"]),
        "last_build_info": last_build_info(jobs[-1] if jobs else None),
    }
    return record if not fields else {key: value for key, value in record.items() if key in fields}


def concept_record(model: Model, concept: Concept) -> dict:
    return {
        "name": concept.name,
        "texts": list(concept.texts),
        "exact_term_ids": [model.terms[i] for i in concept.exact_terms],
        "excluded_term_ids": [],
        "vectors": [pack(concept.vector)],
        "relevance": concept.relevance,
        **concept.extra,
    }


def doc_vector(model: Model | None, body: dict) -> str | None:
    """A document's vector: the build's, or (stored since) its text's; None before any build."""
    if model is None:
        return None
    position = model.doc_index.get(body["_id"])
    vector = model.doc_vectors[position] if position is not None else model.vector_for_text(body["text"])
    return pack(vector) if np.any(vector) else None


def doc_record(model: Model | None, body: dict, fields: tuple[str, ...], match_score: float | None = None,
               sentiment: float | None = None) -> dict:
    """A document with exactly `fields`. terms are its single-word terms,
    fragments its phrases ({term_id, start, end}, character offsets in text);
    with `sentiment` (its compound) each carries the document's sentiment label
    and |compound| as sentiment_confidence."""
    record: dict = {}
    spans = model.text_terms(body["text"]) if model is not None and ("terms" in fields or "fragments" in fields) \
        else []
    label = None if sentiment is None else SENTIMENT_NAMES[int(doc_sentiment.labels(np.array([sentiment]))[0])]

    def spans_of(phrases: bool) -> list[dict]:
        assert model is not None
        found = []
        for index, start, end in spans:
            if (" " in model.terms[index]) == phrases:
                item = {"term_id": model.terms[index], "start": start, "end": end}
                if label is not None:
                    item.update(sentiment=label, sentiment_confidence=round(abs(float(sentiment or 0)), 4))
                found.append(item)
        return found

    for name in fields:
        if name == "doc_id":
            record["doc_id"] = body["_id"]
        elif name == "title":
            record["title"] = body.get("title", "")
        elif name == "text":
            record["text"] = body["text"]
        elif name == "metadata":
            record["metadata"] = metadata_values(doc_metadata(body))
        elif name == "terms":
            record["terms"] = spans_of(phrases=False) if model is not None else []
        elif name == "fragments":
            record["fragments"] = spans_of(phrases=True) if model is not None else []
        elif name == "vector":
            record["vector"] = doc_vector(model, body)
        elif name == "match_score":
            record["match_score"] = match_score
    return record
