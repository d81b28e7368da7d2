"""upload/, build/, docs/, docs/delete/, metadata/ and vectorize/: documents
with typed metadata, built by the one build queue every API shares."""
from __future__ import annotations

import threading
import uuid

import numpy as np
from starlette.routing import Route

from ...engine.classify import doc_sentiment
from ...engine.concepts import concept_documents, related_terms, text_concept
from ...engine.metadata import MetadataError, check_entries
from ..core.errors import ApiError, bad_parameter
from ..core.jsonstrict import check_text
from ..core.limits import LIMITS
from ..core.pipeline import Call, endpoint
from ..db.metadata import subsets_of
from .lookups import Documents, get_model, get_project, ignored_terms, loaded_model, metadata_filter
from .serializers import DOC_FIELDS, concept_record, doc_record, iso, last_build_info, pack

MAX_DOCS_LIMIT = 25_000
DEFAULT_DOCS_LIMIT = 100
MAX_TEXTS = 100  # texts in a search concept
MATCH_TYPES = ("both", "exact", "conceptual")


def json_list(call: Call, name: str, required: bool = False) -> list | None:
    """A parameter that must be a JSON list (from the body, or JSON-encoded in the query)."""
    value = call.params.json_value(name)
    if value is None:
        if required:
            raise ApiError(400, "MISSING_PARAMETER", f"parameter '{name}' (a JSON list) is required")
        return None
    if not isinstance(value, list):
        raise bad_parameter(name, "must be a JSON list")
    return value


# ---- upload and build ------------------------------------------------------------------------

class InvalidDocument(ValueError):
    pass


def _document(item: object, types: dict[str, str]) -> dict:
    """A document as stored; `types` (field -> type) grows with the new fields it brings."""
    if not isinstance(item, dict):
        raise InvalidDocument("is not an object {\"text\", \"title\", \"metadata\"}")
    text, title = item.get("text"), item.get("title", "")
    if not isinstance(text, str) or not text.strip():
        raise InvalidDocument("has no text")
    if title is None:
        title = ""
    if not isinstance(title, str):
        raise InvalidDocument("has a title that is not a string")
    try:
        check_text("text", text, "document text", multiline=True)
        check_text("title", title, "document title")
        entries = check_entries(item.get("metadata"), types)
        for entry in entries:
            check_text("a metadata name", entry["name"], "subset name")
            if entry["type"] == "string":
                check_text(f"metadata {entry['name']!r}", entry["name"] + ": " + entry["value"], "subset name")
    except ApiError as error:
        raise InvalidDocument(error.message) from None
    except MetadataError as error:
        raise InvalidDocument(str(error)) from None
    for entry in entries:
        types.setdefault(entry["name"], entry["type"])
    return {"_id": str(uuid.uuid4()), "text": text, "title": title, "subsets": subsets_of(entries),
            "metadata": entries}


def upload(call: Call) -> dict:
    """Every document of a request is stored, or none (a 400 names the first
    bad one); string metadata also becomes API v4 subsets."""
    project = get_project(call, "write")
    docs = json_list(call, "docs", required=True)
    assert docs is not None
    most = LIMITS["documents per upload"]
    if len(docs) > most:
        raise ApiError(413, "TOO_LARGE", f"at most {most:,} documents per request ({len(docs):,} sent)")
    known = call.store.metadata.field_types(project["project_id"])
    types = dict(known)
    stored = []
    for position, item in enumerate(docs):
        try:
            stored.append(_document(item, types))
        except InvalidDocument as problem:
            raise ApiError(400, "INVALID_DOCUMENT", f"document {position} {problem}; nothing of this request "
                           "was stored", document=position) from None
    new_fields = {name: kind for name, kind in types.items() if name not in known}
    with call.store.db.transaction():
        call.store.docs.add(project["project_id"], stored)
        call.store.metadata.register(project["project_id"], new_fields)
    call.server.recalculator.prepare(project["project_id"])  # a build usually follows
    return {"uploaded": len(stored), "document_count": call.store.docs.count(project["project_id"])}


_building = threading.Lock()  # a build request checks for a running build and starts one atomically


def build(call: Call) -> dict:
    project = get_project(call, "write")
    project_id = project["project_id"]
    configuration = call.params.json_value("sentiment_configuration")
    if configuration is not None and (not isinstance(configuration, dict)
                                      or configuration.get("type") not in ("full", "none")):
        raise bad_parameter("sentiment_configuration", "must be {\"type\": \"full\"} or {\"type\": \"none\"}")
    with _building:
        if call.store.jobs.find(project_id, running_only=True):
            raise ApiError(400, "PROJECT_LOCKED", "the project is already building: wait for last_build_info "
                           "to show success before building again")
        if call.store.docs.count(project_id) == 0:
            raise ApiError(400, "NO_DOCUMENTS", "upload documents before building")
        job_id = call.server.recalculator.submit(project_id)
    return {"project_id": project_id, "last_build_info": last_build_info(call.store.jobs.get(project_id, job_id))}


# ---- documents -----------------------------------------------------------------------------------

def _fields(call: Call) -> tuple[str, ...]:
    fields = call.params.string_list("fields")
    if fields is None:
        return DOC_FIELDS
    unknown = sorted(set(fields) - set(DOC_FIELDS))
    if unknown:
        raise bad_parameter("fields", f"names unknown field(s) {unknown[:5]}; known: {', '.join(DOC_FIELDS)}")
    return tuple(dict.fromkeys(fields))


def search_texts(call: Call, name: str) -> list[str] | None:
    """A concept to search for: {"texts": [...]} (or one text); None when absent."""
    value = call.params.json_value(name)
    if value is None:
        return None
    texts = [value] if isinstance(value, str) else value.get("texts") if isinstance(value, dict) else None
    if (not isinstance(texts, list) or not texts or len(texts) > MAX_TEXTS
            or not all(isinstance(text, str) and text.strip() for text in texts)):
        raise bad_parameter(name, f"must be a concept {{\"texts\": [\"...\"]}} with 1 to {MAX_TEXTS} non-empty texts")
    for text in texts:
        check_text(name, text, "query text", multiline=True)
    return texts


def list_docs(call: Call) -> dict:
    project = get_project(call)
    project_id = project["project_id"]
    fields = _fields(call)
    limit = call.params.integer("limit", DEFAULT_DOCS_LIMIT, minimum=0, maximum=MAX_DOCS_LIMIT)
    offset = call.params.integer("offset", 0, minimum=0)
    match_type = call.params.string("match_type", "both")
    if match_type not in MATCH_TYPES:
        raise bad_parameter("match_type", f"must be one of {', '.join(MATCH_TYPES)}")
    with_sentiment = call.params.boolean("include_sentiment_on_concepts")
    texts = search_texts(call, "search")
    model = loaded_model(call, project)
    scores: dict[str, float] = {}
    echo = None
    found_bodies: dict[str, dict] | None = None
    if texts is not None:
        model = get_model(call, project)
        documents = Documents(call, project, model)
        concept = text_concept(model, texts)
        exact, matched = concept_documents(model, concept, related_terms(model, concept, _hidden(call, project, model)))
        chosen = exact if match_type == "exact" else matched & ~exact if match_type == "conceptual" else matched
        found = np.flatnonzero(chosen & documents.usable)
        cosines = model.doc_vectors[found] @ concept.vector
        order = np.lexsort((found, -cosines))
        page = order[offset:offset + limit]
        ids = [model.doc_ids[found[i]] for i in page]
        scores = {doc_id: float(cosines[i]) for doc_id, i in zip(ids, page)}
        total, filter_count = len(documents.table), len(found)
        echo = concept_record(model, concept)
    else:
        table = call.store.metadata.table(project_id) if call.params.json_value("filter") is not None else None
        passing = metadata_filter(call, table) if table is not None else None
        if passing is None:
            bodies = call.store.docs.page(project_id, limit, offset)
            total = filter_count = call.store.docs.count(project_id)
            ids = [body["_id"] for body in bodies]
            found_bodies = {body["_id"]: body for body in bodies}
        else:
            assert table is not None
            chosen_rows = np.flatnonzero(passing)
            total, filter_count = len(table), len(chosen_rows)
            ids = [table.doc_ids[i] for i in chosen_rows[offset:offset + limit]]
    if found_bodies is None:
        found_bodies = call.store.docs.by_ids(project_id, ids)
    records = []
    for doc_id in ids:
        body = found_bodies.get(doc_id)
        if body is None:  # deleted between the two reads
            continue
        sentiment = _sentiment(model, body) if with_sentiment and model is not None else None
        records.append(doc_record(model, body, fields, scores.get(doc_id), sentiment))
    return {"result": records, "total_count": total, "filter_count": filter_count, "search": echo}


def _hidden(call: Call, project, model) -> frozenset[int]:
    return frozenset(model.term_index[t] for t in ignored_terms(call, project) if t in model.term_index)


def _sentiment(model, body: dict) -> float:
    """A document's sentiment compound: the build's, or (stored since) its text's."""
    position = model.doc_index.get(body["_id"])
    if position is not None and model.doc_sentiment is not None:
        return float(model.doc_sentiment[position])
    return float(doc_sentiment.compounds(model, [body["text"]])[0])


def delete_docs(call: Call) -> dict:
    """Delete documents by id, all or none (404 naming unknown ones). They leave
    every answer at once, and the semantic space at the next build."""
    project = get_project(call, "write")
    ids = json_list(call, "doc_ids", required=True)
    assert ids is not None
    if not ids or not all(isinstance(doc_id, str) for doc_id in ids):
        raise bad_parameter("doc_ids", "must be a non-empty JSON list of document ids")
    if len(ids) > LIMITS["documents per upload"]:
        raise ApiError(413, "TOO_LARGE", f"at most {LIMITS['documents per upload']:,} ids per request")
    missing = call.store.docs.delete(project["project_id"], ids)
    if missing:
        raise ApiError(404, "NOT_FOUND", f"no document(s) {[m[:60] for m in missing[:10]]} in this project; "
                       "nothing was deleted")
    return {"deleted": list(dict.fromkeys(ids))}


MOST_VALUES = 1000  # values listed per field in metadata/


def metadata(call: Call) -> dict:
    project = get_project(call)
    fields = call.store.metadata.table(project["project_id"]).fields(MOST_VALUES)
    for field in fields:
        if field["type"] == "date":
            field["minimum"] = None if field["minimum"] is None else iso(field["minimum"])
            field["maximum"] = None if field["maximum"] is None else iso(field["maximum"])
    return {"result": fields}


def vectorize(call: Call) -> list[dict]:
    project = get_project(call)
    model = get_model(call, project)
    texts = json_list(call, "texts", required=True)
    assert texts is not None
    if len(texts) > LIMITS["documents per upload"]:
        raise ApiError(413, "TOO_LARGE", f"at most {LIMITS['documents per upload']:,} texts per request")
    for position, text in enumerate(texts):
        if not isinstance(text, str):
            raise bad_parameter("texts", f"item {position} is not a string")
        check_text(f"texts[{position}]", text, "document text", multiline=True)
    return [{"text": text, "vector": pack(model.vector_for_text(text))} for text in texts]


P = "/projects/{project}/"
routes = [
    Route(P + "upload/", endpoint(upload, kind="big"), methods=["POST"]),
    Route(P + "build/", endpoint(build, kind="big"), methods=["POST"]),
    Route(P + "docs/", endpoint(list_docs), methods=["GET", "POST"]),
    Route(P + "docs/delete/", endpoint(delete_docs), methods=["POST"]),
    Route(P + "metadata/", endpoint(metadata), methods=["GET"]),
    Route(P + "vectorize/", endpoint(vectorize), methods=["POST"]),
]
