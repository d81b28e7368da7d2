"""Lookups and permission checks shared by the API v5 routes: each raises
ApiError (403/404/400) naming what is missing."""
from __future__ import annotations

import sqlite3

import numpy as np

from ...engine import Model
from ...engine.metadata import MetadataError, MetadataTable, parse_filter
from ..core.errors import ApiError
from ..core.pipeline import Call
from ..v4.lookups import loaded_model  # which model answers for a project: one rule for every API


def get_project(call: Call, permission: str = "read") -> sqlite3.Row:
    """The project of the path; 404 if the user cannot read it (or it does not
    exist), 403 if they can read it but lack `permission` on its workspace."""
    project_id = call.path["project"]
    project = call.store.projects.by_id(project_id)
    held = call.store.accounts.permissions(call.username, project["account_id"]) if project else []
    if project is None or "read" not in held:
        raise ApiError(404, "NOT_FOUND", f"no project {project_id[:100]!r} that you can read")
    if permission not in held:
        raise ApiError(403, "FORBIDDEN", f"user {call.username!r} lacks {permission!r} permission on "
                       f"workspace {project['account_id']!r}")
    return project


def get_model(call: Call, project) -> Model:
    model = loaded_model(call, project)
    if model is None:
        raise ApiError(400, "PROJECT_NOT_BUILT", f"project {project['project_id']!r} has not been built yet: "
                       "POST build/ and wait for last_build_info to show success")
    return model


def require_workspace(call: Call, workspace_id: str, permission: str) -> None:
    if call.store.accounts.get(workspace_id) is None or "read" not in call.store.accounts.permissions(
            call.username, workspace_id):
        raise ApiError(404, "NOT_FOUND", f"no workspace {workspace_id[:100]!r} that you can read")
    if permission not in call.store.accounts.permissions(call.username, workspace_id):
        raise ApiError(403, "FORBIDDEN", f"user {call.username!r} lacks {permission!r} permission on "
                       f"workspace {workspace_id!r}")


def metadata_filter(call: Call, table: MetadataTable) -> np.ndarray | None:
    """The request's `filter` as a mask over the table's documents (None: no filter)."""
    try:
        return table.mask(parse_filter(call.params.json_value("filter")))
    except MetadataError as exc:
        raise ApiError(400, "INVALID_FILTER", str(exc), parameters=["filter"]) from None


def ignored_terms(call: Call, project) -> frozenset[str]:
    return frozenset(call.store.ignorelist.get(project["project_id"])["fullstring"])


def document_rows(model: Model, table: MetadataTable) -> np.ndarray:
    """(docs,) int64: the metadata table row of each of the model's documents,
    -1 for a document deleted since the build."""
    return model.memo(("v5 rows", table.version),
                      lambda: np.array([table.index.get(doc_id, -1) for doc_id in model.doc_ids], dtype=np.int64))


class Documents:
    """The model's documents as a request sees them: which are still stored, at
    which row of the metadata table each is, and which pass the filter."""

    def __init__(self, call: Call, project, model: Model):
        self.table = call.store.metadata.table(project["project_id"])
        table = self.table
        self.rows = document_rows(model, table)
        self.stored = self.rows >= 0
        passing = metadata_filter(call, table)
        self.filtered = passing is not None
        self.usable = self.stored if passing is None else self.stored & passing[np.maximum(self.rows, 0)]

    def numbers(self, values: np.ndarray) -> np.ndarray:
        """A table column (table rows) as values per model document (NaN for documents no longer stored)."""
        if not len(values):
            return np.full(len(self.rows), np.nan)
        return np.where(self.stored, values[np.maximum(self.rows, 0)], np.nan)
