"""docs/ and jobs/: upload, validate, list, delete and recalculate documents."""
from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable

import numpy as np
import orjson
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ...engine.text import SUPPORTED_LANGUAGES
from ...wire.dates import parse_time
from ..core import auth
from ..core.dialect import Answer
from ..core.errors import ApiError, bad_parameter
from ..core.jsonstrict import check_text
from ..core.limits import LIMITS
from ..core.params import path_integer
from ..core.pipeline import Call, endpoint
from .lookups import get_model, get_project, loaded_model
from .serializers import (
    background_terms,
    doc_record,
    doc_records,
    evidence_record,
    id_vector_page,
    pack,
    term_spans,
    topic_vector,
)

DOC_FIELDS = {"text", "title", "date", "subsets", "source", "language"}


class InvalidDocument(ValueError):
    """One field of one uploaded document cannot be stored."""

    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def validate_document(item) -> tuple[dict, list[str]]:
    """The document as it will be stored, and warnings about ignored fields.

    Everything is checked before anything is stored, so no stored document can
    make a later read, search, recalculation or export fail.
    """
    if not isinstance(item, dict):
        raise InvalidDocument("BAD_DOCUMENT", "is not a JSON object")
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        raise InvalidDocument("NO_TEXT", "has no text")
    doc: dict[str, object] = {"text": _clean_text("text", text, "document text", multiline=True),
                              "title": "", "subsets": []}
    warnings = []
    for name, value in item.items():
        if name == "text":
            continue
        if name not in DOC_FIELDS:
            warnings.append(f"unknown field {name!r} ignored")
        elif name == "subsets":
            doc["subsets"] = _subsets(value)
        elif name == "date":
            doc["date"] = _date(value)
        elif name == "language":
            if not isinstance(value, str) or value not in SUPPORTED_LANGUAGES:
                raise InvalidDocument("UNSUPPORTED_LANGUAGE", f"has language {str(value)[:20]!r}; "
                                      f"supported: {', '.join(SUPPORTED_LANGUAGES)}")
            doc["language"] = value
        elif isinstance(value, str):
            limit = "document title" if name == "title" else "any other parameter"
            doc[name] = _clean_text(name, value, limit)
        else:
            raise InvalidDocument("INVALID_FIELD", f"has a {name!r} that is not a string")
    return doc, warnings


def _clean_text(name: str, value: str, limit: str, multiline: bool = False) -> str:
    try:
        check_text(name, value, limit, multiline)
    except ApiError as error:
        raise InvalidDocument("INVALID_FIELD", error.message) from None
    return value


def _subsets(value) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
        raise InvalidDocument("INVALID_FIELD", "has 'subsets' that is not a list of strings")
    if len(value) > LIMITS["subsets per document"]:
        raise InvalidDocument("INVALID_FIELD", f"has more than {LIMITS['subsets per document']} "
                              "subsets")
    return list(dict.fromkeys(_clean_text("subset", s, "subset name") for s in value))


def _date(value) -> float:
    """Seconds since 1970 from a number or a string (see wire.dates)."""
    try:
        return parse_time(value)
    except ValueError as exc:
        if "outside" in str(exc):
            raise InvalidDocument("INVALID_FIELD", "has a 'date' outside the years 1 to 9999") from None
        if isinstance(value, str):
            raise InvalidDocument("INVALID_FIELD", f"has a 'date' {value[:40]!r} that is not "
                                  "ISO 8601 or seconds since 1970") from None
        raise InvalidDocument("INVALID_FIELD", "has a 'date' that is not seconds since 1970") from None


def upload_docs(call: Call) -> list[dict]:
    """All documents of a request are stored, or none: a rejected upload can be
    corrected and sent again without storing anything twice."""
    project = get_project(call, "write")
    if not isinstance(call.body, list):
        raise ApiError(400, "INVALID_BODY", "the body must be a JSON array of documents")
    if len(call.body) > LIMITS["documents per upload"]:
        raise ApiError(413, "TOO_LARGE", f"at most {LIMITS['documents per upload']} documents "
                       "per request")
    docs: list[dict] = []
    statuses: list[dict] = []
    rejected: list[int] = []
    for index, item in enumerate(call.body):
        try:
            doc, warnings = validate_document(item)
        except InvalidDocument as problem:
            rejected.append(index)
            statuses.append({"error": {"code": problem.code,
                                       "message": f"document {index} {problem}"}})
            continue
        doc["_id"] = auth.random_id(8) + "-" + auth.random_id(8)
        docs.append(doc)
        statuses.append({"_id": doc["_id"], **({"warnings": warnings} if warnings else {})})
    if rejected:
        shown = rejected[:20]
        raise ApiError(400, "BAD_DOCUMENTS", f"document(s) {shown}{'...' if len(rejected) > 20 else ''}"
                       " were rejected (see statuses); nothing of this request was stored",
                       statuses=statuses)
    call.store.docs.add(project["project_id"], docs)
    call.server.recalculator.prepare(project["project_id"])  # a recalculation usually follows
    return statuses


def list_docs(call: Call) -> list[dict] | Answer:
    project = get_project(call)
    limit = call.params.integer("limit", 100, minimum=0, maximum=25000)
    offset = call.params.integer("offset", 0, minimum=0)
    fields = call.params.string_list("doc_fields")
    model = loaded_model(call, project)
    if fields and set(fields) <= {"_id", "vector"}:
        # Ids (and vectors) only, e.g. to fetch every vector: no bodies read, JSON made directly.
        ids = call.store.docs.ids(project["project_id"], limit, offset)
        return Answer(id_vector_page(model, ids, with_vectors="vector" in fields), media_type="application/json")
    return doc_records(model, call.store.docs.page(project["project_id"], limit, offset), fields)


def get_doc(call: Call) -> dict:
    project = get_project(call)
    doc_id = call.path["doc"]
    doc = call.store.docs.by_ids(project["project_id"], [doc_id]).get(doc_id)
    if doc is None:
        raise ApiError(404, "NOT_FOUND", f"no document {doc_id!r} in this project")
    return doc_record(loaded_model(call, project), doc)


def delete_docs(call: Call) -> dict:
    """Delete documents by id (all or none). They leave the semantic space at
    the next recalculation; searches skip them at once."""
    project = get_project(call, "write")
    ids = call.params.string_list("ids")
    if not ids:
        raise ApiError(400, "MISSING_PARAMETER", "parameter 'ids' (a JSON list of document ids) "
                       "is required")
    missing = call.store.docs.delete(project["project_id"], ids)
    if missing:
        raise ApiError(404, "NOT_FOUND", f"no document(s) {missing[:10]} in this project; "
                       "nothing was deleted")
    return {"deleted": list(dict.fromkeys(ids))}


def recalculate(call: Call) -> int:
    project = get_project(call, "write")
    if call.store.docs.count(project["project_id"]) == 0:
        raise ApiError(400, "NO_DOCUMENTS", "upload documents before recalculating")
    return call.server.recalculator.submit(project["project_id"])


def list_jobs(call: Call) -> list[dict]:
    project = get_project(call)
    return call.store.jobs.find(project["project_id"], running_only=not call.params.boolean("verbose"))


def get_job(call: Call) -> dict:
    project = get_project(call)
    job_id = path_integer(call.path["job"])
    job = None if job_id is None else call.store.jobs.get(project["project_id"], job_id)
    if job is None:
        raise ApiError(404, "NOT_FOUND", f"no job {call.path['job']!r} in this project")
    return job


# The longest `wait` a job request may ask for, in seconds.
MAX_JOB_WAIT = 30.0


def waiting_for_change(read_job: Callable[[Request], Awaitable[Response]]):
    """GET jobs/id/<n>/ with lumiwork's `wait` parameter (seconds, at most
    MAX_JOB_WAIT): while the job runs, the answer comes when its record changes
    (a stage starts, or it ends) or once `wait` has passed, so a client learns
    of the end at once instead of at its next poll. The waiting holds no thread:
    it is on the event loop (`JobWatch`)."""

    async def run(request: Request) -> Response:
        watch = request.app.state.server.job_watch
        changed = watch.current()  # before reading: a change after the read still wakes this
        first = await read_job(request)  # authenticates and finds the job, or answers why not
        given = request.query_params.get("wait")
        if given is None or first.status_code != 200:
            return first
        try:
            wait = float(given)
        except ValueError:
            wait = math.nan
        if not 0 <= wait <= MAX_JOB_WAIT:  # NaN too
            error = bad_parameter("wait", f"must be a number of seconds from 0 to {MAX_JOB_WAIT:g}, not {given!r}")
            return request.app.state.dialect.render_error(error)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while not _stopped(first) and loop.time() < deadline:
            try:
                await asyncio.wait_for(changed.wait(), deadline - loop.time())
            except TimeoutError:
                pass
            changed = watch.current()
            answer = await read_job(Request(request.scope, _no_body))  # the request's own is read
            if answer.body != first.body:
                return answer
        return first

    return run


async def _no_body() -> dict:
    return {"type": "http.request", "body": b"", "more_body": False}


def _stopped(response: Response) -> bool:
    return orjson.loads(response.body)["result"]["stop_time"] is not None


def doc_vectors(call: Call) -> list[dict]:
    project = get_project(call)
    model = get_model(call, project)
    if not isinstance(call.body, list):
        raise ApiError(400, "INVALID_BODY", "the body must be a JSON array of {\"text\": ...}")
    if len(call.body) > LIMITS["documents per upload"]:  # as for an upload: the work grows with it
        raise ApiError(413, "TOO_LARGE", f"at most {LIMITS['documents per upload']} texts per request")
    results = []
    for index, item in enumerate(call.body):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ApiError(400, "NO_TEXT", f"item {index} has no 'text' string")
        check_text(f"item {index} text", item["text"], "document text", multiline=True)
    for item in call.body:
        vector, spans, unseen = model.read_text(item["text"])  # once for all three
        results.append({"text": item["text"], "terms": term_spans(model, item["text"], spans),
                        "background_terms": background_terms(unseen, model.language), "vector": pack(vector),
                        "evidence": evidence_record(model, item["text"])})
    return results


def doc_correlations(call: Call) -> dict:
    project = get_project(call)
    model = get_model(call, project)
    limit = call.params.integer("limit", minimum=0)
    offset = call.params.integer("offset", 0, minimum=0)
    topics = call.store.topics.find(project["project_id"])
    if not topics:
        return {}
    matrix = np.stack([topic_vector(model, t) for t in topics])
    end = None if limit is None else offset + limit
    ids = model.doc_ids[offset:end]
    correlations = model.doc_vectors[offset:offset + len(ids)] @ matrix.T
    return {doc_id: {t["_id"]: float(c) for t, c in zip(topics, row)}
            for doc_id, row in zip(ids, correlations)}


P = "/projects/{account}/{project}/"
routes = [
    Route(P + "docs/", endpoint(upload_docs, kind="big"), methods=["POST"]),
    Route(P + "docs/", endpoint(list_docs), methods=["GET"]),
    Route(P + "docs/id/{doc}/", endpoint(get_doc), methods=["GET"]),
    Route(P + "docs/delete/", endpoint(delete_docs), methods=["POST"]),
    Route(P + "docs/recalculate/", endpoint(recalculate, kind="big"), methods=["POST"]),
    Route(P + "docs/vectors/", endpoint(doc_vectors, reads_only=True), methods=["POST"]),
    Route(P + "docs/correlations/", endpoint(doc_correlations), methods=["GET"]),
    Route(P + "jobs/", endpoint(list_jobs), methods=["GET"]),
    Route(P + "jobs/id/{job}/", waiting_for_change(endpoint(get_job)), methods=["GET"]),
]
