"""Records as API v4 answers them: projects, terms, topics and documents."""
from __future__ import annotations

from json.encoder import encode_basestring  # the C one when available

import numpy as np

from ...engine import Model
from ...engine.evidence import STOPWORD, UNKNOWN, query_evidence
from ...wire import pack64 as packing
from ...wire.names import ALL_SUBSET
from ..db import Store


def pack(vector) -> str:
    return packing.pack(np.asarray(vector, dtype=np.float64))


def project_record(store: Store, username: str, project) -> dict:
    counts = store.docs.subset_counts(project["project_id"])
    return {
        "project_id": project["project_id"],
        "name": project["name"],
        "owner": project["account_id"],
        "account_id": project["account_id"],
        "description": project["description"],
        "language": project["language"],
        "creator": project["creator"],
        "creation_date": project["creation_date"],
        "last_update": project["last_update"],
        "last_build_time": project["last_build"],
        "document_count": counts.get(ALL_SUBSET, 0),
        "counts": counts,
        "permissions": store.accounts.permissions(username, project["account_id"]),
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
        "background": bool(model.from_background is not None and model.from_background[index]),
    }


def background_terms(words: list[tuple[str, int, int]], language: str) -> list[dict]:
    """Words of a text the project never saw whose vectors came from general
    knowledge, from its `Model.background_words` (or `read_text`'s), tagged
    with the project's language."""
    return [{"term": f"{lemma}|{language}", "start": start, "end": end} for lemma, start, end in words]


def evidence_record(model: Model, text: str) -> dict:
    """What the answer to a query text rests on (engine.evidence.query_evidence)."""
    evidence = query_evidence(model, text)
    return {
        "basis": evidence.basis,
        "supported": evidence.supported,
        "support": evidence.support,
        "nearest": evidence.nearest,
        # the floor `support` (or a term's correlation) is measured against; none without either
        "noise_floor": evidence.noise_floor if evidence.basis in ("terms", "background") else None,
        "message": evidence.message,
        "stopwords": evidence.of_kind(STOPWORD),
        "unknown": evidence.of_kind(UNKNOWN),
    }


def topic_vector(model: Model | None, topic: dict):
    return None if model is None else model.vector_for_text(topic["text"])


def topic_record(model: Model | None, topic: dict) -> dict:
    vector = topic_vector(model, topic)
    return {**topic, "vector": None if vector is None else pack(vector)}


def term_spans(model: Model | None, text: str, spans: list[tuple[int, int, int]] | None = None) -> list[dict]:
    if model is None:
        return []
    return [{"term": model.terms[index], "start": start, "end": end}
            for index, start, end in (model.text_terms(text) if spans is None else spans)]


def doc_record(model: Model | None, doc: dict, fields: list[str] | None = None,
               spans: list[tuple[int, int, int]] | None = None, packed_vector: str | None = None) -> dict:
    """A document as v4 gives it; `spans` are its text's terms and
    `packed_vector` its vector if already found."""
    record = dict(doc)
    record["subsets"] = [ALL_SUBSET, *[s for s in record.get("subsets", []) if s != ALL_SUBSET]]
    if not fields or "vector" in fields:
        if packed_vector is None:
            position = model.doc_index.get(doc["_id"]) if model else None
            packed_vector = None if model is None or position is None else pack(model.doc_vectors[position])
        record["vector"] = packed_vector
    if not fields or "terms" in fields:  # finding the terms of a text is the costly part
        record["terms"] = term_spans(model, doc["text"], spans)
    if fields:
        record = {k: v for k, v in record.items() if k in fields or k == "_id"}
    return record


def doc_records(model: Model | None, docs: list[dict], fields: list[str] | None = None,
                spans: list[list[tuple[int, int, int]]] | None = None) -> list[dict]:
    """doc_record of each document, with their vectors packed in one call
    (packing ten took as long as packing one)."""
    packed: dict[str, str] = {}
    if model is not None and (not fields or "vector" in fields):
        positions = {doc["_id"]: model.doc_index.get(doc["_id"]) for doc in docs}
        known = {doc_id: position for doc_id, position in positions.items() if position is not None}
        if known:
            rows = model.doc_vectors[list(known.values())].astype(np.float64)
            packed = dict(zip(known, packing.pack_many(rows)))
    return [doc_record(model, doc, fields, None if spans is None else spans[i], packed.get(doc["_id"]))
            for i, doc in enumerate(docs)]


def id_vector_page(model: Model | None, doc_ids: list[str], with_vectors: bool) -> bytes:
    """`{"result": [{"_id", "vector"}, ...], "error": null}` for these documents,
    as doc_record and the envelope render it (a document the model lacks gets a
    null vector), but from items rendered once per model: a 25,000-document page
    is a join, not 25,000 records packed and encoded one by one."""
    items = _id_vector_items(model) if with_vectors and model is not None else {}
    suffix = b',"vector":null}' if with_vectors else b"}"
    page = [items.get(doc_id) or b'{"_id":' + encode_basestring(doc_id).encode("utf-8") + suffix
            for doc_id in doc_ids]
    if not page:
        return b'{"result":[],"error":null}'
    # One join makes the body: the envelope goes on the first and last item (a
    # 12 MB page is then copied once, not three times).
    page[0] = b'{"result":[' + page[0]
    page[-1] = page[-1] + b'],"error":null}'
    return b",".join(page)


def _id_vector_items(model: Model) -> dict[str, bytes]:
    """{doc_id: b'{"_id":...,"vector":"..."}'}, made once per model and kept with it."""
    def render() -> dict[str, bytes]:
        packed = packing.pack_many(model.doc_vectors)  # float32 packs as its float64 values do
        return {doc_id: f'{{"_id":{encode_basestring(doc_id)},"vector":"{vector}"}}'.encode()
                for doc_id, vector in zip(model.doc_ids, packed)}

    return model.memo(("id and vector items",), render, keep=True)
