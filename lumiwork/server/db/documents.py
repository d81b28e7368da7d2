"""API v4 documents, and the per-subset counts kept up to date with them."""
from __future__ import annotations

import json
import threading

import orjson

from ...wire.names import ALL_SUBSET
from .database import Database
from .projects import ProjectRepository

ID_CACHE = 8  # projects whose ordered document ids are kept (as the server keeps 8 models)


def load_body(raw: str) -> dict:
    """A stored document: orjson reads one several times faster than json (a
    search reads ten); json takes what orjson refuses (a lone surrogate, kept
    as \\udxxx)."""
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return json.loads(raw)


class DocumentRepository:
    def __init__(self, db: Database, projects: ProjectRepository):
        self.db = db
        self.projects = projects
        self._ids: dict[str, tuple[float | None, list[str]]] = {}  # see `ids`
        self._ids_lock = threading.Lock()

    def add(self, project_id: str, docs: list[dict]) -> list[str]:
        """Store documents (each with its `_id`) in one transaction."""
        with self.db.transaction() as tx:
            seq = tx.execute("SELECT COALESCE(MAX(seq), 0) FROM docs WHERE project_id = ?",
                             (project_id,)).fetchone()[0]
            added: dict[str, int] = {}
            rows = []
            for doc in docs:
                seq += 1
                rows.append((project_id, seq, doc["_id"], json.dumps(doc)))
                for subset in {ALL_SUBSET, *doc.get("subsets", ())}:
                    added[subset] = added.get(subset, 0) + 1
            tx.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)", rows)
            tx.executemany("INSERT INTO subset_counts VALUES (?, ?, ?) ON CONFLICT "
                           "(project_id, subset) DO UPDATE SET count = count + excluded.count",
                           [(project_id, subset, n) for subset, n in added.items()])
            self.projects.touch(project_id)
        return [doc["_id"] for doc in docs]

    def delete(self, project_id: str, doc_ids: list[str]) -> list[str]:
        """Delete documents by id in one transaction; returns the ids that did not
        exist, in which case nothing is deleted."""
        with self.db.transaction() as tx:
            bodies = {}
            for doc_id in dict.fromkeys(doc_ids):
                row = tx.execute("SELECT body FROM docs WHERE project_id = ? AND doc_id = ?",
                                 (project_id, doc_id)).fetchone()
                if row is not None:
                    bodies[doc_id] = load_body(row["body"])
            missing = [doc_id for doc_id in doc_ids if doc_id not in bodies]
            if missing:
                return missing
            removed: dict[str, int] = {}
            for doc_id, doc in bodies.items():
                tx.execute("DELETE FROM docs WHERE project_id = ? AND doc_id = ?", (project_id, doc_id))
                for subset in {ALL_SUBSET, *doc.get("subsets", ())}:
                    removed[subset] = removed.get(subset, 0) + 1
            tx.executemany("UPDATE subset_counts SET count = count - ? WHERE project_id = ? AND subset = ?",
                           [(n, project_id, subset) for subset, n in removed.items()])
            tx.execute("DELETE FROM subset_counts WHERE project_id = ? AND count <= 0 AND subset != ?",
                       (project_id, ALL_SUBSET))
            self.projects.touch(project_id)
        return []

    def page(self, project_id: str, limit: int | None = None, offset: int = 0) -> list[dict]:
        rows = self.db.read("SELECT body FROM docs WHERE project_id = ? ORDER BY seq LIMIT ? OFFSET ?",
                            (project_id, -1 if limit is None else limit, offset))
        return [load_body(r["body"]) for r in rows]

    def ids(self, project_id: str, limit: int | None = None, offset: int = 0) -> list[str]:
        """The ids of `page(project_id, limit, offset)`, in that order, without reading
        the bodies. A project's whole list is kept until its `last_update` changes
        (every added or deleted document changes it), so paging through 100,000
        documents reads it once."""
        with self.db.snapshot() as snapshot:  # no write lands between the two reads
            row = snapshot.execute("SELECT last_update FROM projects WHERE project_id = ?",
                                   (project_id,)).fetchone()
            version = row["last_update"] if row else None
            with self._ids_lock:
                cached = self._ids.get(project_id)
            if cached is None or cached[0] != version:
                ids = [r[0] for r in snapshot.execute("SELECT doc_id FROM docs WHERE project_id = ? ORDER BY seq",
                                                      (project_id,))]
                cached = (version, ids)
                with self._ids_lock:
                    self._ids[project_id] = cached
                    while len(self._ids) > ID_CACHE:
                        self._ids.pop(next(iter(self._ids)))
        return cached[1][offset:None if limit is None else offset + limit]

    def by_ids(self, project_id: str, doc_ids: list[str]) -> dict[str, dict]:
        found = {}
        for start in range(0, len(doc_ids), 500):
            chunk = doc_ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.read(f"SELECT body FROM docs WHERE project_id = ? AND doc_id IN ({marks})",
                                    (project_id, *chunk)):
                doc = load_body(row["body"])
                found[doc["_id"]] = doc
        return found

    def count(self, project_id: str) -> int:
        """How many documents a project holds (from the upkept counts: no scan)."""
        row = self.db.read_one("SELECT count FROM subset_counts WHERE project_id = ? AND subset = ?",
                               (project_id, ALL_SUBSET))
        return row["count"] if row else 0

    def subset_counts(self, project_id: str) -> dict[str, int]:
        """Documents per subset, ``__all__`` included (kept up to date on upload,
        so listing projects never reads the documents)."""
        rows = self.db.read("SELECT subset, count FROM subset_counts WHERE project_id = ? ORDER BY subset",
                            (project_id,))
        return {r["subset"]: r["count"] for r in rows}

    def space(self, project_id: str) -> int:
        """Characters the project's stored documents take."""
        row = self.db.read_one("SELECT COALESCE(SUM(LENGTH(body)), 0) AS size FROM docs WHERE project_id = ?",
                               (project_id,))
        return int(row["size"]) if row else 0

    def for_build(self, project_id: str) -> list[dict]:
        """A project's documents as a build needs them (``_id``, ``text``,
        ``subsets``): SQLite picks the two fields out of each stored body, which
        is faster than parsing whole bodies."""
        rows = self.db.read("SELECT doc_id, json_extract(body, '$.text'), json_extract(body, '$.subsets') "
                            "FROM docs WHERE project_id = ? ORDER BY seq", (project_id,))
        parsed: dict[str, tuple] = {}  # documents share a few subset lists: each is parsed once

        def subsets_of(raw: str | None) -> tuple:
            if raw is None:
                return ()
            found = parsed.get(raw)
            if found is None:
                found = parsed[raw] = tuple(json.loads(raw))
            return found

        return [{"_id": doc_id, "text": text, "subsets": subsets_of(subsets)} for doc_id, text, subsets in rows]

    def delete_project(self, project_id: str) -> None:
        with self.db.transaction() as tx:
            tx.execute("DELETE FROM docs WHERE project_id = ?", (project_id,))
            tx.execute("DELETE FROM subset_counts WHERE project_id = ?", (project_id,))
        with self._ids_lock:
            self._ids.pop(project_id, None)
