"""HTTP routes of API v4: parameter parsing, permissions, the {"result","error"}
envelope. Computation is the engine's; persistence is the store's."""
from __future__ import annotations

import contextlib
import csv
import io
import json
import logging
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import vectors as packing
from ..engine import ALL_SUBSET, Model
from ..engine import query
from ..engine.text import untag
from . import auth
from .apidoc import DOCUMENTATION
from .jobs import ModelCache, Recalculator
from .params import ApiError, Params
from .store import Store

log = logging.getLogger(__name__)

API_ROOT = "/api/v4"
DEFAULT_MAX_BODY = 64 * 1024 * 1024
DOC_FIELDS = {"text", "title", "date", "subsets", "source", "language"}
FILE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass
class Raw:
    """A non-JSON answer (documentation, csv, xlsx)."""

    body: bytes | str
    media_type: str


@dataclass
class Call:
    """One authenticated request as handlers see it."""

    server: "ApiServer"
    username: str | None
    token: str | None
    params: Params
    body: object
    path: dict[str, str]
    method: str = "GET"

    @property
    def store(self) -> Store:
        return self.server.store


# ---- routing ---------------------------------------------------------------------------

ROUTES: list[tuple[tuple[str, ...], dict[str, Callable], bool]] = []


def route(pattern: str, *methods: str, public: bool = False):
    """Register a handler for a path pattern like 'projects/{account}/{project}/'."""
    segments = tuple(s for s in pattern.strip("/").split("/") if s)

    def register(handler):
        for existing_segments, handlers, _ in ROUTES:
            if existing_segments == segments:
                handlers.update({m: handler for m in methods})
                return handler
        ROUTES.append((segments, {m: handler for m in methods}, public))
        return handler

    return register


def match_route(segments: list[str]):
    for pattern, handlers, public in ROUTES:
        if len(pattern) != len(segments):
            continue
        values = {}
        for expected, actual in zip(pattern, segments):
            if expected.startswith("{"):
                values[expected[1:-1]] = actual
            elif expected != actual:
                break
        else:
            return handlers, values, public
    return None


# ---- permissions and lookups -----------------------------------------------------------

def require_account(call: Call, account_id: str, permission: str) -> None:
    if call.store.account(account_id) is None:
        raise ApiError(404, "NOT_FOUND", f"no account {account_id!r}")
    if permission not in call.store.permissions(call.username, account_id):
        raise ApiError(403, "FORBIDDEN",
                       f"user {call.username!r} lacks {permission!r} permission on account {account_id!r}")


def get_project(call: Call, permission: str = "read"):
    account_id, project_id = call.path["account"], call.path["project"]
    require_account(call, account_id, permission)
    project = call.store.project(account_id, project_id)
    if project is None:
        raise ApiError(404, "NOT_FOUND", f"no project {project_id!r} in account {account_id!r}")
    return project


def get_model(call: Call, project) -> Model:
    model = call.server.models.get(project)
    if model is None:
        raise ApiError(400, "NO_ASSOC", f"project {project['project_id']!r} has not been "
                       "recalculated yet: POST docs/recalculate/ and wait for the job")
    return model


def get_topic(call: Call, project, topic_id: str | None = None) -> dict:
    topic_id = topic_id or call.path["topic"]
    topic = call.store.topic(project["project_id"], topic_id)
    if topic is None:
        raise ApiError(404, "NOT_FOUND", f"no topic {topic_id!r} in this project")
    return topic


def check_subset(model: Model, subset: str | None) -> None:
    if subset is not None and subset not in model.subset_index:
        raise ApiError(404, "NOT_FOUND", f"no subset {subset!r} in the last recalculation")


def pack(vector) -> str:
    return packing.pack(np.asarray(vector, dtype=np.float64))


# ---- records ----------------------------------------------------------------------------

def project_record(call: Call, project) -> dict:
    permissions = call.store.permissions(call.username, project["account_id"])
    counts = call.store.subset_counts(project["project_id"])
    return {
        "project_id": project["project_id"],
        "name": project["name"],
        "owner": project["account_id"],
        "account_id": project["account_id"],
        "description": project["description"],
        "creator": project["creator"],
        "creation_date": project["creation_date"],
        "last_update": project["last_update"],
        "last_build_time": project["last_build"],
        "document_count": counts.get(ALL_SUBSET, 0),
        "counts": counts,
        "permissions": permissions,
        "path": f"/projects/{project['account_id']}/{project['project_id']}/",
    }


def term_record(model: Model, index: int) -> dict:
    return {
        "term": model.terms[index],
        "text": model.texts[index],
        "score": float(model.scores[index]),
        "distinct_doc_count": int(model.doc_counts[index]),
        "total_doc_count": int(model.counts[index]),
        "vector": pack(model.term_vectors[index]),
    }


def topic_vector(model: Model | None, topic: dict):
    return None if model is None else model.vector_for_text(topic["text"])


def topic_record(model: Model | None, topic: dict) -> dict:
    vector = topic_vector(model, topic)
    return {**topic, "vector": None if vector is None else pack(vector)}


def term_spans(model: Model | None, text: str) -> list[dict]:
    if model is None:
        return []
    return [{"term": model.terms[index], "start": start, "end": end}
            for index, start, end in model.text_terms(text)]


def doc_record(model: Model | None, doc: dict, fields: list[str] | None = None) -> dict:
    record = dict(doc)
    record.setdefault("subsets", [])
    record["subsets"] = [ALL_SUBSET, *[s for s in record["subsets"] if s != ALL_SUBSET]]
    position = model.doc_index.get(doc["_id"]) if model else None
    record["vector"] = None if position is None else pack(model.doc_vectors[position])
    record["terms"] = term_spans(model, doc["text"])
    if fields:
        record = {k: v for k, v in record.items() if k in fields or k == "_id"}
    return record


# ---- service ----------------------------------------------------------------------------

@route("", "GET", public=True)
def documentation(call: Call):
    return Raw(DOCUMENTATION, "text/plain; charset=utf-8")


@route("ping", "GET", "POST", "PUT", "PATCH", "DELETE", public=True)
def ping(call: Call):
    return "pong"


# ---- users and tokens -------------------------------------------------------------------

@route("user/login", "POST", public=True)
def login(call: Call):
    username = call.params.string("username", required=True)
    password = call.params.string("password", required=True)
    user = call.store.user(username)
    if user is None or not auth.check_password(password, user["password_hash"]):
        raise ApiError(401, "AUTH_CREDS_INVALID",
                       "User credentials invalid (incorrect username and/or password).")
    return call.store.issue_token(username, "short_lived")


@route("user/logout", "POST")
def logout(call: Call):
    call.store.revoke_token(call.token)
    return True


@route("user/tokens", "GET")
def list_tokens(call: Call):
    # Only the request's own token is known in clear; the rest are stored hashed.
    own = auth.hash_token(call.token)
    return [{"token": call.token, "type": t["type"], "expiration": t["expiration"],
             "created": t["created"]}
            for t in call.store.user_tokens(call.username) if t["token_hash"] == own]


@route("user/tokens", "POST")
def create_token(call: Call):
    return call.store.issue_token(call.username, "long_lived")


@route("user/password", "PUT", "POST")
def change_password(call: Call):
    old = call.params.string("old_password", required=True)
    new = call.params.string("new_password", required=True)
    user = call.store.user(call.username)
    if not auth.check_password(old, user["password_hash"]):
        raise ApiError(401, "AUTH_CREDS_INVALID", "old_password is not the current password")
    if len(new) < 8:
        raise ApiError(400, "INVALID_PARAMETER", "new_password must have at least 8 characters")
    call.store.set_password(call.username, new)
    return "Password changed; tokens issued before now no longer work."


# ---- accounts ---------------------------------------------------------------------------

@route("accounts", "GET")
def accounts(call: Call):
    user = call.store.user(call.username)
    return {"accounts": call.store.user_accounts(call.username),
            "default_account": user["default_account"]}


@route("accounts/{account}/users", "GET")
def account_users(call: Call):
    require_account(call, call.path["account"], "read")
    return {"members": call.store.members(call.path["account"]), "guests": {}}


@route("accounts/{account}/users/{email}", "PUT")
def set_account_user(call: Call):
    account_id, email = call.path["account"], call.path["email"]
    require_account(call, account_id, "account_manage")
    if call.store.user(email) is None:
        raise ApiError(404, "NOT_FOUND", f"no user {email!r}")
    try:
        permissions = auth.check_permissions(call.params.json_value("permissions") or [])
    except ValueError as exc:
        raise ApiError(400, "INVALID_PARAMETER", str(exc)) from None
    call.store.set_member(account_id, email, permissions, call.params.boolean("reset"))
    return {"members": call.store.members(account_id), "guests": {}}


@route("accounts/{account}/usage", "GET")
def account_usage(call: Call):
    account_id = call.path["account"]
    require_account(call, account_id, "read")
    now = time.gmtime()
    year, month = call.params.int_pair("billing_period") or (now.tm_year, now.tm_mon)
    if not 1 <= month <= 12:
        raise ApiError(400, "INVALID_PARAMETER", "billing_period month must be 1 to 12")
    counts = call.store.usage(account_id, year, month)
    projects = call.store.projects([account_id])
    running = sum(len(call.store.jobs(p["project_id"], running_only=True)) for p in projects)
    stamp = time.time()
    spaces = {f"{account_id}_{p['project_id']}": {"space": call.store.project_space(p["project_id"]),
                                                  "timestamp": stamp}
              for p in projects}
    total = sum(s["space"] for s in spaces.values())
    return {
        "call_counts": {
            "billable": counts.get("billable", 0), "regular": counts.get("regular", 0),
            "big": counts.get("big", 0), "failed": counts.get("failed", 0),
            "in_progress": running,
        },
        "project_space": spaces,
        "total_space": {"total": total, "max": total, "notified": 0, "over": False,
                        "timestamp": stamp},
    }


# ---- projects ---------------------------------------------------------------------------

@route("projects", "GET")
def all_projects(call: Call):
    accounts = [a["account_id"] for a in call.store.user_accounts(call.username)
                if "read" in a["permissions"]]
    name = call.params.string("name")
    return [project_record(call, p) for p in call.store.projects(accounts, name)]


@route("projects/{account}", "GET")
def account_projects(call: Call):
    require_account(call, call.path["account"], "read")
    name = call.params.string("name")
    return [project_record(call, p) for p in call.store.projects([call.path["account"]], name)]


@route("projects/{account}", "POST")
def create_project(call: Call):
    account_id = call.path["account"]
    require_account(call, account_id, "create")
    name = call.params.string("name", required=True).strip()
    if not name:
        raise ApiError(400, "INVALID_PARAMETER", "parameter 'name' must not be empty")
    description = call.params.string("description", "")
    project_id = call.store.create_project(account_id, name, call.username, description)
    return {"name": name, "project_id": project_id, "path": f"/projects/{account_id}/{project_id}/"}


@route("projects/{account}/{project}", "GET")
def get_project_record(call: Call):
    return project_record(call, get_project(call))


@route("projects/{account}/{project}", "PUT", "PATCH")
def update_project(call: Call):
    project = get_project(call, "write")
    changes = {}
    for field in ("name", "description"):
        if field in call.params:
            changes[field] = call.params.string(field)
    if "name" in changes and not changes["name"].strip():
        raise ApiError(400, "INVALID_PARAMETER", "parameter 'name' must not be empty")
    if changes:
        call.store.update_project(project["project_id"], **changes)
    return project_record(call, get_project(call))


@route("projects/{account}/{project}", "DELETE")
def delete_project(call: Call):
    project = get_project(call, "write")
    call.store.delete_project(project["project_id"])
    call.server.models.forget(project["project_id"])
    return True


# ---- documents --------------------------------------------------------------------------

def validate_doc(item, index: int) -> tuple[dict | None, dict]:
    """(clean document or None, status) for one uploaded item."""
    if not isinstance(item, dict):
        return None, {"error": {"code": "BAD_DOCUMENT", "message": f"document {index} is not "
                                "a JSON object"}}
    text = item.get("text")
    if not isinstance(text, str) or not text.strip():
        return None, {"error": {"code": "NO_TEXT", "message": f"document {index} has no text"}}
    doc, warnings = {"text": text}, []
    for field, value in item.items():
        if field == "text":
            continue
        if field not in DOC_FIELDS:
            warnings.append(f"unknown field {field!r} ignored")
        elif field == "subsets":
            if isinstance(value, list) and all(isinstance(s, str) for s in value):
                doc["subsets"] = value
            else:
                warnings.append("'subsets' must be a list of strings; ignored")
        elif field == "date":
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                doc["date"] = value
            else:
                warnings.append("'date' must be seconds since 1970 (a number); ignored")
        elif isinstance(value, str):
            doc[field] = value
        else:
            warnings.append(f"{field!r} must be a string; ignored")
    doc.setdefault("title", "")
    doc.setdefault("subsets", [])
    status = {"warnings": warnings} if warnings else {}
    return doc, status


@route("projects/{account}/{project}/docs", "POST")
def upload_docs(call: Call):
    project = get_project(call, "write")
    if not isinstance(call.body, list):
        raise ApiError(400, "INVALID_BODY", "the body must be a JSON array of documents")
    valid, statuses = [], []
    for index, item in enumerate(call.body):
        doc, status = validate_doc(item, index)
        if doc is not None:
            doc["_id"] = status["_id"] = auth.random_id(8) + "-" + auth.random_id(8)
            valid.append(doc)
        statuses.append(status)
    call.store.add_docs(project["project_id"], valid)
    bad = [i for i, status in enumerate(statuses) if "error" in status]
    if bad:
        raise ApiError(400, "BAD_DOCUMENTS",
                       f"document(s) {bad} were rejected (see statuses); the other "
                       f"{len(valid)} document(s) were stored", statuses=statuses)
    return statuses


@route("projects/{account}/{project}/docs", "GET")
def list_docs(call: Call):
    project = get_project(call)
    limit = call.params.integer("limit", 100, minimum=0, maximum=25000)
    offset = call.params.integer("offset", 0, minimum=0)
    fields = call.params.string_list("doc_fields")
    model = call.server.models.get(project)
    return [doc_record(model, doc, fields)
            for doc in call.store.docs(project["project_id"], limit, offset)]


@route("projects/{account}/{project}/docs/id/{doc}", "GET")
def get_doc(call: Call):
    project = get_project(call)
    doc = call.store.docs_by_id(project["project_id"], [call.path["doc"]]).get(call.path["doc"])
    if doc is None:
        raise ApiError(404, "NOT_FOUND", f"no document {call.path['doc']!r} in this project")
    return doc_record(call.server.models.get(project), doc)


@route("projects/{account}/{project}/docs/recalculate", "POST")
def recalculate(call: Call):
    project = get_project(call, "write")
    if call.store.doc_count(project["project_id"]) == 0:
        raise ApiError(400, "NO_DOCUMENTS", "upload documents before recalculating")
    return call.server.recalculator.submit(project["project_id"])


@route("projects/{account}/{project}/jobs", "GET")
def list_jobs(call: Call):
    project = get_project(call)
    return call.store.jobs(project["project_id"], running_only=not call.params.boolean("verbose"))


@route("projects/{account}/{project}/jobs/id/{job}", "GET")
def get_job(call: Call):
    project = get_project(call)
    job = None
    if call.path["job"].isdigit():
        job = call.store.job(project["project_id"], int(call.path["job"]))
    if job is None:
        raise ApiError(404, "NOT_FOUND", f"no job {call.path['job']!r} in this project")
    return job


# ---- searches ---------------------------------------------------------------------------

def ignored_terms(call: Call, project) -> set[str]:
    return set(call.store.ignorelist(project["project_id"])["fullstring"])


def search_vector(call: Call, project, model: Model, allow_topic: bool):
    """The vector a search asks about, and the terms it names exactly."""
    params = call.params
    if "text" in params:
        text = params.string("text")
        indices = [index for index, _, _ in model.text_terms(text)]
        return model.vector_for_terms(indices), indices
    if "terms" in params:
        terms = params.string_list("terms")
        for term in terms:
            try:
                untag(term)
            except ValueError as exc:
                raise ApiError(400, "INVALID_PARAMETER", str(exc)) from None
        indices = [model.term_index[t] for t in terms if t in model.term_index]
        return model.vector_for_terms(indices), indices
    if allow_topic and "topic" in params:
        topic = get_topic(call, project, params.string("topic"))
        indices = [index for index, _, _ in model.text_terms(topic["text"])]
        return model.vector_for_terms(indices), indices
    if "vector" in params:
        try:
            vector = packing.unpack(params.string("vector"))
        except (ValueError, UnicodeError) as exc:
            raise ApiError(400, "INVALID_PARAMETER", f"parameter 'vector': {exc}") from None
        if vector.shape != (model.dimensions,):
            raise ApiError(400, "INVALID_PARAMETER", f"parameter 'vector' must have "
                           f"{model.dimensions} dimensions, not {vector.shape[0]}")
        return vector.astype(np.float32), []
    choices = "text, terms, topic or vector" if allow_topic else "text, terms or vector"
    raise ApiError(400, "MISSING_PARAMETER", f"give one of {choices}")


@route("projects/{account}/{project}/terms", "GET")
def top_terms(call: Call):
    project = get_project(call)
    model = get_model(call, project)
    wanted = call.params.string_list("terms")
    if wanted is not None:
        return [term_record(model, model.term_index[t]) for t in wanted if t in model.term_index]
    limit = call.params.integer("limit", 50, minimum=0, maximum=50000)
    subset = call.params.string("subset")
    check_subset(model, subset)
    indices = query.top_terms(model, limit, ignored_terms(call, project), subset)
    return [term_record(model, i) for i in indices]


@route("projects/{account}/{project}/terms/search", "GET")
def search_terms(call: Call):
    project = get_project(call)
    model = get_model(call, project)
    limit = call.params.integer("limit", 10, minimum=0, maximum=50000)
    vector, _ = search_vector(call, project, model, allow_topic=True)
    results = query.related_terms(model, vector, limit, ignored_terms(call, project))
    return {"search_results": [[term_record(model, i), score] for i, score in results],
            "search_vector": pack(vector)}


@route("projects/{account}/{project}/terms/ignorelist", "GET")
def get_ignorelist(call: Call):
    return call.store.ignorelist(get_project(call)["project_id"])


@route("projects/{account}/{project}/terms/ignorelist", "PUT", "DELETE")
def change_ignorelist(call: Call):
    project = get_project(call, "write")
    term = call.params.string("term", required=True)
    try:
        untag(term)
    except ValueError as exc:
        raise ApiError(400, "INVALID_PARAMETER", f"{exc} (give the term form, not text)") from None
    kind = "substring" if call.params.boolean("substring") else "fullstring"
    call.store.set_ignored(project["project_id"], term, kind, ignored=call.method == "PUT")
    return call.store.ignorelist(project["project_id"])


@route("projects/{account}/{project}/docs/search", "GET")
def search_docs(call: Call):
    project = get_project(call)
    model = get_model(call, project)
    limit = call.params.integer("limit", 10, minimum=0, maximum=10000)
    subset = call.params.string("subset")
    check_subset(model, subset)
    vector, exact = search_vector(call, project, model, allow_topic=False)
    if exact:
        vector = query.expand_query(model, vector)
    found, n_exact, n_related = query.search_docs(
        model, vector, exact, limit, subset, call.params.boolean("exact_only"))
    docs = call.store.docs_by_id(project["project_id"], [model.doc_ids[i] for i, _ in found])
    exact_set = set(exact)
    results = []
    for index, score in found:
        doc = docs.get(model.doc_ids[index])
        if doc is None:  # deleted since the last recalculation
            continue
        exact_spans, conceptual = query.match_spans(model, doc["text"], vector, exact_set)
        results.append([{"document": doc_record(model, doc), "exact_indices": exact_spans,
                         "conceptual_indices": conceptual}, score])
    related = query.related_terms(model, vector, 10, ignored_terms(call, project))
    return {
        "search_results": results,
        "exact_terms": [model.terms[i] for i in dict.fromkeys(exact)],
        "related_terms": [[model.terms[i], score] for i, score in related],
        "num_exact_matches": n_exact,
        "num_related_matches": n_related,
        "search_vector": pack(vector),
    }


@route("projects/{account}/{project}/docs/vectors", "POST")
def doc_vectors(call: Call):
    project = get_project(call)
    model = get_model(call, project)
    if not isinstance(call.body, list):
        raise ApiError(400, "INVALID_BODY", "the body must be a JSON array of {\"text\": ...}")
    results = []
    for index, item in enumerate(call.body):
        if not isinstance(item, dict) or not isinstance(item.get("text"), str):
            raise ApiError(400, "NO_TEXT", f"item {index} has no 'text' string")
        spans = model.text_terms(item["text"])
        vector = model.vector_for_terms(i for i, _, _ in spans)
        results.append({"text": item["text"],
                        "terms": [{"term": model.terms[i], "start": s, "end": e} for i, s, e in spans],
                        "vector": pack(vector)})
    return results


@route("projects/{account}/{project}/docs/correlations", "GET")
def doc_correlations(call: Call):
    project = get_project(call)
    model = get_model(call, project)
    limit = call.params.integer("limit", None, minimum=0)
    offset = call.params.integer("offset", 0, minimum=0)
    topics = call.store.topics(project["project_id"])
    if not topics:
        return {}
    matrix = np.stack([topic_vector(model, t) for t in topics])
    end = None if limit is None else offset + limit
    ids = model.doc_ids[offset:end]
    correlations = model.doc_vectors[offset:offset + len(ids)] @ matrix.T
    return {doc_id: {t["_id"]: float(c) for t, c in zip(topics, row)}
            for doc_id, row in zip(ids, correlations)}


# ---- topics -----------------------------------------------------------------------------

@route("projects/{account}/{project}/topics", "GET")
def list_topics(call: Call):
    project = get_project(call)
    model = call.server.models.get(project)
    return [topic_record(model, t) for t in call.store.topics(project["project_id"])]


def topic_fields(call: Call, required: bool) -> dict:
    fields = {}
    for field in ("name", "text", "color"):
        value = call.params.string(field, required=required and field != "color")
        if value is not None:
            fields[field] = value
    if required and not fields["text"].strip():
        raise ApiError(400, "INVALID_PARAMETER", "parameter 'text' must not be empty")
    return fields


@route("projects/{account}/{project}/topics", "POST")
def create_topic(call: Call):
    project = get_project(call, "write")
    fields = topic_fields(call, required=True)
    topic_id = call.store.add_topic(project["project_id"], fields["name"], fields["text"],
                                    fields.get("color"))
    return topic_record(call.server.models.get(project), get_topic(call, project, topic_id))


@route("projects/{account}/{project}/topics/id/{topic}", "GET")
def read_topic(call: Call):
    project = get_project(call)
    return topic_record(call.server.models.get(project), get_topic(call, project))


@route("projects/{account}/{project}/topics/id/{topic}", "PUT", "PATCH")
def update_topic(call: Call):
    project = get_project(call, "write")
    get_topic(call, project)
    fields = topic_fields(call, required=False)
    if fields:
        call.store.update_topic(project["project_id"], call.path["topic"], **fields)
    return topic_record(call.server.models.get(project), get_topic(call, project))


@route("projects/{account}/{project}/topics/id/{topic}", "DELETE")
def delete_topic(call: Call):
    project = get_project(call, "write")
    get_topic(call, project)
    call.store.delete_topic(project["project_id"], call.path["topic"])
    return True


@route("projects/{account}/{project}/topics/stats", "GET")
def topics_stats(call: Call):
    project = get_project(call)
    model = get_model(call, project)
    topics = call.store.topics(project["project_id"])
    vectors = {t["_id"]: topic_vector(model, t) for t in topics}
    stats = query.topic_stats(model, vectors)
    result = {t["_id"]: {"name": t["name"], **stats[t["_id"]]} for t in topics}
    if topics:
        combined = packing.normalize(np.mean(list(vectors.values()), axis=0))[0]
        result[".all"] = {"name": ".all", **query.topic_stats(model, {".all": combined})[".all"]}
    return result


@route("projects/{account}/{project}/topics/text_correlation", "PUT", "GET", "POST")
def text_correlation(call: Call):
    project = get_project(call)
    model = get_model(call, project)
    vector = model.vector_for_text(call.params.string("text", required=True))
    return {t["_id"]: float(topic_vector(model, t) @ vector)
            for t in call.store.topics(project["project_id"])}


def matrix_answer(call: Call, row_ids, row_names, column_ids, column_names, values):
    """A correlation matrix as JSON ({row_id: {column_id: value}}), csv or xlsx."""
    file_format = call.params.string("format", "json").lower()
    if file_format == "json":
        return {r: {c: float(v) for c, v in zip(column_ids, row)} for r, row in zip(row_ids, values)}
    if file_format not in FILE_TYPES:
        raise ApiError(400, "INVALID_PARAMETER", "parameter 'format' must be json, csv or xlsx")
    table = [["", *column_names]] + [[name, *map(float, row)] for name, row in zip(row_names, values)]
    if file_format == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(table)
        return Raw(out.getvalue(), FILE_TYPES["csv"])
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "correlations"
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return Raw(out.getvalue(), FILE_TYPES["xlsx"])


def topic_matrix(call: Call):
    """Topic ids, names, their vectors as rows, and the model they come from."""
    project = get_project(call)
    model = get_model(call, project)
    topics = call.store.topics(project["project_id"])
    matrix = (np.stack([topic_vector(model, t) for t in topics]) if topics
              else np.zeros((0, model.dimensions)))
    return [t["_id"] for t in topics], [t["name"] for t in topics], matrix, model


@route("projects/{account}/{project}/topics/correlation", "GET")
def topic_correlation(call: Call):
    ids, names, matrix, _ = topic_matrix(call)
    return matrix_answer(call, ids, names, ids, names, matrix @ matrix.T)


@route("projects/{account}/{project}/topics/subset_correlation", "GET")
def subset_correlation(call: Call):
    ids, names, matrix, model = topic_matrix(call)
    values = matrix @ model.subset_means.T
    return matrix_answer(call, ids, names, model.subset_names, model.subset_names, values)


@route("projects/{account}/{project}/subsets/stats", "GET")
def subset_stats(call: Call):
    project = get_project(call)
    model = get_model(call, project)
    means = packing.pack_many(model.subset_means.astype(np.float64))
    return [{"subset": name, "count": int(count), "mean": mean}
            for name, count, mean in zip(model.subset_names, model.subset_counts, means)]


# ---- the ASGI application ------------------------------------------------------------------

class ApiServer:
    """State shared by all requests of one server: store, models, recalculator."""

    def __init__(self, store: Store, max_body: int = DEFAULT_MAX_BODY):
        self.store = store
        self.max_body = max_body
        self.models = ModelCache(store)
        store.fail_interrupted_jobs()
        self.recalculator = Recalculator(store, self.models)

    def close(self):
        self.recalculator.stop()

    async def read_body(self, request: Request) -> bytes:
        declared = request.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > self.max_body:
            raise ApiError(413, "TOO_LARGE", f"the request body is larger than {self.max_body} bytes")
        chunks, size = [], 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > self.max_body:
                raise ApiError(413, "TOO_LARGE", f"the request body is larger than {self.max_body} bytes")
            chunks.append(chunk)
        return b"".join(chunks)

    async def parse(self, request: Request) -> tuple[Params, object]:
        """Parameters from query string and body, plus a JSON array body if any."""
        values: dict = dict(request.query_params)
        body = await self.read_body(request)
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        bulk = None
        if body and content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            async def replay():
                return {"type": "http.request", "body": body, "more_body": False}
            form = await Request(request.scope, replay).form()
            values.update({k: v for k, v in form.items() if isinstance(v, str)})
        elif body and (content_type == "application/json" or body.lstrip()[:1] in (b"[", b"{")):
            try:
                parsed = json.loads(body)
            except ValueError as exc:
                raise ApiError(400, "INVALID_JSON", f"the request body is not valid JSON: {exc}") from None
            if isinstance(parsed, dict):
                values.update(parsed)
            else:
                bulk = parsed
        return Params(values), bulk

    def authenticate(self, request: Request) -> tuple[str, str]:
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "token" or not token.strip():
            raise ApiError(401, "AUTH_REQUIRED",
                           "send an 'Authorization: Token <token>' header (POST user/login/ gives one)")
        username = self.store.token_user(token.strip())
        if username is None:
            raise ApiError(401, "AUTH_TOKEN_INVALID", "the token is unknown, expired or revoked")
        return username, token.strip()

    async def handle(self, request: Request) -> Response:
        try:
            result, status = await self.dispatch(request), 200
        except ApiError as error:
            return JSONResponse({"result": None, "error": error.body()}, status_code=error.status)
        if isinstance(result, Raw):
            return Response(result.body, status_code=status, media_type=result.media_type)
        return JSONResponse({"result": result, "error": None}, status_code=status)

    async def dispatch(self, request: Request):
        path = request.url.path
        if not (path == API_ROOT or path.startswith(API_ROOT + "/")):
            raise ApiError(404, "NOT_FOUND", f"no such path {path!r}; the API lives under {API_ROOT}/")
        segments = [s for s in path[len(API_ROOT):].split("/") if s]
        found = match_route(segments)
        if found is None:
            raise ApiError(404, "NOT_FOUND", f"no endpoint {path!r}; GET {API_ROOT}/ lists them")
        handlers, path_values, public = found
        handler = handlers.get(request.method)
        if handler is None:
            raise ApiError(405, "METHOD_NOT_ALLOWED",
                           f"{request.method} is not allowed here; use {', '.join(sorted(handlers))}")
        username = token = None
        if not public:
            username, token = self.authenticate(request)
        params, body = await self.parse(request)
        call = Call(self, username, token, params, body, path_values, request.method)
        account = path_values.get("account")
        try:
            result = await run_in_threadpool(handler, call)
        except ApiError:
            if account and username:
                self.count(account, "failed")
            raise
        except Exception:
            log.exception("error in %s %s", request.method, path)
            raise ApiError(500, "SERVER_ERROR", "the server failed to answer; see its log") from None
        if account and username:
            big = handler in (upload_docs, recalculate)
            self.count(account, "big" if big else "regular")
        return result

    def count(self, account_id: str, kind: str) -> None:
        if self.store.account(account_id) is None:
            return
        self.store.count_call(account_id, kind)
        if kind != "failed":
            self.store.count_call(account_id, "billable")


def create_app(store: Store, max_body: int = DEFAULT_MAX_BODY) -> Starlette:
    server = ApiServer(store, max_body)

    async def endpoint(request: Request) -> Response:
        return await server.handle(request)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        server.close()

    methods = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    app = Starlette(routes=[Route("/{path:path}", endpoint, methods=methods)], lifespan=lifespan)
    app.state.api = server
    return app
