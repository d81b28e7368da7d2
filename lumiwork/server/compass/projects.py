"""projects/ and projects/<id>/p/documents/."""
from __future__ import annotations

from starlette.routing import Route

from ...engine.text import SUPPORTED_LANGUAGES
from ...wire.dates import iso
from ..core.dialect import Answer
from ..core.errors import field_errors
from ..core.params import FieldErrors, text_field
from ..core.pipeline import Call, endpoint
from .access import readable_accounts, require_level
from .dialect import absolute, bulk_items, not_found, page

STATUSES = ("active", "inactive")


def project_record(call: Call, project: dict | None) -> dict:
    if project is None:  # deleted meanwhile
        raise not_found()
    return {"url": absolute(call, f"projects/{project['project_id']}/"), "id": project["project_id"],
            "name": project["name"], "account": project["account_id"],
            "description": project["description"], "language": project["language"],
            "status": project["status"], "creator": project["creator"], "created": iso(project["created"])}


def get_project(call: Call, needed: str = "read") -> dict:
    """The project of the path, or 404 if it does not exist or the user cannot see it."""
    project = call.store.compass_projects.get(call.path["project_id"])
    if project is None:
        raise not_found()
    require_level(call, project["account_id"], needed)
    return project


def list_projects(call: Call) -> dict:
    readable = readable_accounts(call)  # None: every account (a site admin)
    wanted = call.params.string("account")
    accounts = readable
    if wanted:
        accounts = [wanted] if readable is None or wanted in readable else []
    projects = call.store.compass_projects.find(accounts, call.params.string("status"))
    return page(call, projects, lambda p: project_record(call, p))


def create_project(call: Call) -> Answer:
    errors = FieldErrors()
    values = call.params.values
    name = text_field(errors, values, "name", required=True, limit="project name")
    account_id = text_field(errors, values, "account", required=True)
    language = text_field(errors, values, "language", required=True, choices=SUPPORTED_LANGUAGES)
    description = text_field(errors, values, "description", limit="project description", multiline=True)
    status = text_field(errors, values, "status", choices=STATUSES) or "active"
    if account_id and call.store.accounts.get(account_id) is None:
        errors.add("account", f"Invalid pk '{account_id}' - object does not exist.")
    errors.raise_if_any()
    assert name and account_id and language
    require_level(call, account_id, "readwrite")
    project_id = call.store.compass_projects.create(account_id, name, language, call.username,
                                                   description or "", status)
    return Answer(project_record(call, call.store.compass_projects.get(project_id)), 201)


def read_project(call: Call) -> dict:
    return project_record(call, get_project(call))


def update_project(call: Call) -> dict:
    project = get_project(call, "readwrite")
    errors = FieldErrors()
    values = call.params.values
    changes = {
        "name": text_field(errors, values, "name", limit="project name"),
        "description": text_field(errors, values, "description", limit="project description", multiline=True),
        "status": text_field(errors, values, "status", choices=STATUSES),
    }
    errors.raise_if_any()
    call.store.compass_projects.update(project["project_id"], **{k: v for k, v in changes.items() if v is not None})
    return project_record(call, call.store.compass_projects.get(project["project_id"]))


def delete_project(call: Call) -> Answer:
    project = get_project(call, "readwrite")
    call.server.compass.forget_project(project["project_id"])
    return Answer(status=204)


# ---- documents ---------------------------------------------------------------------------------

def document_record(call: Call, doc: dict) -> dict:
    return {"url": absolute(call, f"projects/{doc['project_id']}/p/documents/{doc['id']}/"), "id": doc["id"],
            "text": doc["text"], "label": doc["label"], "dataset": doc["dataset"], "language": doc["language"]}


def list_documents(call: Call) -> dict:
    project = get_project(call)
    docs = call.store.compass_documents.find(project["project_id"], call.params.string("label"),
                                        call.params.string("dataset"))
    return page(call, docs, lambda d: document_record(call, d))


def add_documents(call: Call) -> Answer:
    """One document object, or a list of them: all are checked before any is
    stored. label and dataset may also come in the query string, for all."""
    project = get_project(call, "readwrite")
    items = bulk_items(call, "documents")
    defaults = {"label": call.params.query_value("label"), "dataset": call.params.query_value("dataset")}
    documents, all_errors = [], []
    for item in items:
        errors = FieldErrors()
        if not isinstance(item, dict):
            all_errors.append({"non_field_errors": ["Expected a document object."]})
            continue
        values = {**{k: v for k, v in defaults.items() if v is not None}, **item}
        text = text_field(errors, values, "text", required=True, limit="document text", multiline=True)
        label = text_field(errors, values, "label", limit="subset name")
        dataset = text_field(errors, values, "dataset", limit="subset name")
        language = text_field(errors, values, "language", choices=SUPPORTED_LANGUAGES) or project["language"]
        all_errors.append(errors.errors)
        documents.append({"text": text, "label": label, "dataset": dataset, "language": language})
    if any(all_errors):
        raise field_errors(all_errors if isinstance(call.body, list) else all_errors[0])
    if not documents:
        raise field_errors({"non_field_errors": ["No documents given."]})
    ids = call.store.compass_documents.add(project["project_id"], documents)
    stored = call.store.compass_documents.find(project["project_id"], ids=ids)
    # the first page, whatever ?page says: a bad ?page must not turn a stored upload into a 4xx
    first = page(call, stored, lambda d: document_record(call, d), number=1)
    # The created documents, not a list to page through: no next or previous page.
    return Answer({**first, "next": None, "previous": None}, 201)


P = "/projects/{project_id}/"
routes = [
    Route("/projects/", endpoint(list_projects), methods=["GET"]),
    Route("/projects/", endpoint(create_project), methods=["POST"]),
    Route(P, endpoint(read_project), methods=["GET"]),
    Route(P, endpoint(update_project), methods=["PUT", "PATCH"]),
    Route(P, endpoint(delete_project), methods=["DELETE"]),
    Route(P + "p/documents/", endpoint(list_documents), methods=["GET"]),
    Route(P + "p/documents/", endpoint(add_documents), methods=["POST"]),
]
