"""API v5 metadata of stored documents, whichever API stored them, and each
project's metadata as a column store (engine.metadata.MetadataTable).

A document uploaded through API v5 keeps its typed entries in its body
(``metadata``), beside the API v4 subsets its string entries make
(``"name: value"``; a field named ``subset`` gives its value alone). A
document uploaded through API v4 has none: its subsets read as a string field
``subset`` and its date as a date field ``date``.
"""
from __future__ import annotations

import json
import threading
from typing import Any

import orjson

from ...engine.metadata import MetadataTable
from ...wire.names import ALL_SUBSET
from .database import Database

#: The field API v4 subsets appear as, and whose values become subsets as they are.
SUBSET_FIELD = "subset"
#: The field an API v4 document's date appears as.
DATE_FIELD = "date"
#: Fields whose type API v4 documents fix, in every project.
RESERVED_TYPES = {SUBSET_FIELD: "string", DATE_FIELD: "date"}
TABLE_CACHE = 8  # projects whose tables are kept (as the server keeps 8 models)


def doc_metadata(body: dict) -> list[dict]:
    """A stored document's metadata entries ({"type", "name", "value"}; dates in
    seconds since 1970)."""
    entries = body.get("metadata")
    if entries is not None:
        return entries
    return _from_v4(body.get("subsets"), body.get("date"))


def _from_v4(subsets, date) -> list[dict]:
    found = [{"type": "string", "name": SUBSET_FIELD, "value": subset}
             for subset in subsets or () if subset != ALL_SUBSET]
    if date is not None:
        found.append({"type": "date", "name": DATE_FIELD, "value": date})
    return found


def subsets_of(entries: list[dict]) -> list[str]:
    """The API v4 subsets of a v5 document's entries: one per string value."""
    found = [entry["value"] if entry["name"] == SUBSET_FIELD else f"{entry['name']}: {entry['value']}"
             for entry in entries if entry["type"] == "string"]
    return list(dict.fromkeys(found))


def _json(raw: str) -> Any:
    """orjson, else json for what orjson refuses (a lone surrogate kept as \\udxxx)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


class MetadataRepository:
    def __init__(self, db: Database):
        self.db = db
        self._tables: dict[str, tuple[float | None, MetadataTable]] = {}
        self._lock = threading.Lock()

    def field_types(self, project_id: str) -> dict[str, str]:
        """Each metadata field's type: the reserved ones, and those API v5 uploads fixed."""
        rows = self.db.read("SELECT name, type FROM metadata_fields WHERE project_id = ?", (project_id,))
        return {**RESERVED_TYPES, **{row["name"]: row["type"] for row in rows}}

    def register(self, project_id: str, types: dict[str, str]) -> None:
        """Record the types of new fields (in the caller's transaction, with the documents)."""
        with self.db.transaction() as tx:
            tx.executemany("INSERT OR IGNORE INTO metadata_fields VALUES (?, ?, ?)",
                           [(project_id, name, kind) for name, kind in types.items()])

    def delete_project(self, project_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM metadata_fields WHERE project_id = ?", (project_id,))
        self.forget(project_id)

    def table(self, project_id: str) -> MetadataTable:
        """The project's metadata, documents in stored order. Kept until the
        project's `last_update` changes (every added or deleted document changes it)."""
        with self.db.snapshot() as snapshot:
            row = snapshot.execute("SELECT last_update FROM projects WHERE project_id = ?",
                                   (project_id,)).fetchone()
            version = row["last_update"] if row else None
            with self._lock:
                cached = self._tables.get(project_id)
            if cached is not None and cached[0] == version:
                return cached[1]
            rows = snapshot.execute(
                "SELECT doc_id, json_extract(body, '$.metadata'), json_extract(body, '$.subsets'), "
                "json_extract(body, '$.date') FROM docs WHERE project_id = ? ORDER BY seq", (project_id,))
            ids: list[str] = []
            metadata: list[list[dict]] = []
            parsed: dict[str, list] = {}  # documents share a few subset lists: each is parsed once
            for doc_id, entries, subsets, date in rows:
                ids.append(doc_id)
                if entries is not None:
                    metadata.append(_json(entries))
                    continue
                listed = parsed.get(subsets) if subsets is not None else None
                if listed is None and subsets is not None:
                    listed = parsed[subsets] = _json(subsets)
                metadata.append(_from_v4(listed, date))
        table = MetadataTable(ids, metadata, version)
        with self._lock:
            self._tables[project_id] = (version, table)
            while len(self._tables) > TABLE_CACHE:
                self._tables.pop(next(iter(self._tables)))
        return table

    def forget(self, project_id: str) -> None:
        with self._lock:
            self._tables.pop(project_id, None)
