"""API results as tidy pandas DataFrames: one function per cookbook question,
one row per thing. Functions that can return vectors take ``with_vectors=True``
and then return ``(frame, matrix)``, the matrix's rows aligned with the frame's."""
from __future__ import annotations

import re
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from json import loads as json_loads
from typing import NamedTuple

import numpy as np
import pandas as pd

from ...client import LuminosoAPIError, LuminosoClient, LuminosoError, UnknownQueryError
from ...wire import pack64 as packing
from ...wire.names import ALL_SUBSET
from .. import vectors
from ..tables import natural_key


def _with(frame: pd.DataFrame, packed, with_vectors: bool):
    if not with_vectors:
        return frame
    return frame, vectors.stack(list(packed))


def _epoch(values) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype="float64"), unit="s", utc=True)


def projects(client: LuminosoClient, name: str | None = None) -> pd.DataFrame:
    """Projects you can read (from any client), newest update last.

    Columns: project_id, name, owner, description, document_count (int),
    creation_date, last_update, last_build_time (UTC datetimes), days_since_update (int).
    """
    params = {"name": name} if name else {}
    records = client.change_path("/").get("projects", **params)
    frame = pd.DataFrame({
        "project_id": pd.Series([r["project_id"] for r in records], dtype="string"),
        "name": pd.Series([r["name"] for r in records], dtype="string"),
        "owner": pd.Series([r["owner"] for r in records], dtype="string"),
        "description": pd.Series([r.get("description", "") for r in records], dtype="string"),
        "document_count": pd.Series([r.get("document_count", r.get("counts", {}).get(ALL_SUBSET, 0))
                                     for r in records], dtype="int64"),
        "creation_date": _epoch([r["creation_date"] for r in records]),
        "last_update": _epoch([r["last_update"] for r in records]),
        "last_build_time": _epoch([r.get("last_build_time") for r in records]),
    })
    now = pd.Timestamp.now(tz="UTC")
    frame["days_since_update"] = (now - frame["last_update"]).dt.days.astype("int64")
    return frame.sort_values("last_update", ignore_index=True)


def topics(project: LuminosoClient, with_vectors: bool = False):
    """Columns: topic_id, name, text, color."""
    records = project.get("topics")
    frame = pd.DataFrame({
        "topic_id": pd.Series([t["_id"] for t in records], dtype="string"),
        "name": pd.Series([t["name"] for t in records], dtype="string"),
        "text": pd.Series([t["text"] for t in records], dtype="string"),
        "color": pd.Series([t["color"] for t in records], dtype="string"),
    })
    return _with(frame, (t.get("vector") for t in records), with_vectors)


def _term_frame(terms: list[dict]) -> pd.DataFrame:
    return pd.DataFrame({
        "term": pd.Series([t["term"] for t in terms], dtype="string"),
        "text": pd.Series([t["text"] for t in terms], dtype="string"),
        "score": pd.Series([t["score"] for t in terms], dtype="float64"),
        "distinct_doc_count": pd.Series([t["distinct_doc_count"] for t in terms], dtype="int64"),
        "total_doc_count": pd.Series([t["total_doc_count"] for t in terms], dtype="int64"),
    })


def top_terms(project: LuminosoClient, limit: int = 20, subset: str | None = None,
              with_vectors: bool = False):
    """Most relevant terms. Columns: term, text, score, distinct_doc_count, total_doc_count."""
    params: dict[str, int | str] = {"limit": limit}
    if subset:
        params["subset"] = subset
    records = project.get("terms", **params)
    return _with(_term_frame(records), (t["vector"] for t in records), with_vectors)


def _query(text, terms, topic, vector) -> dict:
    given = {k: v for k, v in {"text": text, "terms": terms, "topic": topic,
                               "vector": vector}.items() if v is not None}
    if len(given) != 1:
        raise ValueError("give exactly one of text, terms, topic or vector")
    if "text" in given and not str(given["text"]).strip():
        raise UnknownQueryError([""], "the search text")
    if "terms" in given and not given["terms"]:
        raise UnknownQueryError([], "the list of terms")
    if "vector" in given and not isinstance(given["vector"], str):
        given["vector"] = packing.pack(np.asarray(given["vector"], dtype=np.float64))
    return given


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text) or [text]


def _is_zero(packed) -> bool:
    return packed is None or not np.any(packing.unpack(packed))


# What an answer's "evidence" says when a text query found nothing to search for.
NOTHING_KNOWN = ("stopwords", "unknown", "empty")


def _check_known(query: dict, answer: dict, exact_terms=()) -> None:
    """Raise UnknownQueryError when nothing in a text or terms query was known.

    lumiwork's server says why in the answer's "evidence" (stopwords only,
    words nobody knows); another server's answer tells by having no exact
    term, no word only general knowledge knows, and a zero search vector."""
    if "vector" in query or "topic" in query:
        return
    evidence = answer.get("evidence")
    if evidence is not None:
        if evidence.get("basis") in NOTHING_KNOWN:
            raise UnknownQueryError(_words(query["text"]), reason=evidence.get("message"))
        return
    if exact_terms or answer.get("background_terms") or not _is_zero(answer.get("search_vector")):
        return
    if "text" in query:
        raise UnknownQueryError(_words(query["text"]))
    raise UnknownQueryError(list(query["terms"]))


def _evidence_note(frame: pd.DataFrame, answer: dict) -> None:
    """Put the answer's evidence message ("'bicycle' is not in this project:
    the answer comes from general knowledge only ...") where panels show it."""
    message = (answer.get("evidence") or {}).get("message")
    if message:
        frame.attrs["note"] = message


def related_terms(project: LuminosoClient, text: str | None = None, terms: list[str] | None = None,
                  topic: str | None = None, vector=None, limit: int = 10,
                  with_vectors: bool = False):
    """Terms nearest a text, terms, topic id or vector (numpy or pack64).

    Columns: term, text, correlation, score, distinct_doc_count, total_doc_count.
    ``frame.attrs["note"]`` says when the answer rests on general knowledge
    only, or on nothing above noise.
    """
    query = _query(text, terms, topic, vector)
    found = project.get("terms/search", limit=limit, **query)
    _check_known(query, found)
    results = found["search_results"]
    frame = _term_frame([term for term, _ in results])
    frame.insert(2, "correlation", pd.Series([c for _, c in results], dtype="float64"))
    _evidence_note(frame, found)
    return _with(frame, (term["vector"] for term, _ in results), with_vectors)


def search_documents(project: LuminosoClient, text: str | None = None,
                     terms: list[str] | None = None, vector=None, limit: int = 10,
                     subset: str | None = None, exclude_containing: bool = False,
                     with_vectors: bool = False):
    """Documents ranked by correlation with the query.

    With ``exclude_containing`` and a text query, documents containing the search
    text are dropped (the cookbook's "matches that don't contain the word"),
    so fewer than `limit` rows may come back; ask for more to compensate.
    Columns: doc_id, score, text, title, subsets (list), exact_spans and
    conceptual_spans (lists of [start, end] character offsets), contains_text (bool).
    ``frame.attrs["note"]`` says when the answer rests on general knowledge
    only (and on nothing above noise: then no span is conceptual).
    """
    query = _query(text, terms, None, vector)
    # Without the documents that contain the words, ask for more so that `limit` remain.
    asked = min(10000, max(limit * 5, limit + 50)) if exclude_containing and text else limit
    params = {"limit": asked, **query}
    if subset:
        params["subset"] = subset
    answer = project.get("docs/search", **params)
    _check_known(query, answer, answer.get("exact_terms"))
    results = answer["search_results"]
    docs = [m["document"] for m, _ in results]
    contains = [bool(text) and (text or "").lower() in d["text"].lower() for d in docs]
    frame = pd.DataFrame({
        "doc_id": pd.Series([d["_id"] for d in docs], dtype="string"),
        "score": pd.Series([s for _, s in results], dtype="float64"),
        "text": pd.Series([d["text"] for d in docs], dtype="string"),
        "title": pd.Series([d.get("title", "") for d in docs], dtype="string"),
        "subsets": pd.Series([[s for s in d.get("subsets", []) if s != ALL_SUBSET] for d in docs],
                             dtype="object"),
        "exact_spans": pd.Series([m["exact_indices"] for m, _ in results], dtype="object"),
        "conceptual_spans": pd.Series([m["conceptual_indices"] for m, _ in results], dtype="object"),
        "contains_text": pd.Series(contains, dtype="bool"),
    })
    packed = [d.get("vector") for d in docs]
    if exclude_containing:
        keep = ~frame["contains_text"].to_numpy()
        frame = frame[keep].reset_index(drop=True).head(limit)
        packed = [p for p, k in zip(packed, keep) if k][:limit]
    else:
        frame, packed = frame.head(limit), packed[:limit]
    _evidence_note(frame, answer)
    if exclude_containing and len(frame) < limit:
        shortfall = (f"only {len(frame)} of the {len(docs)} best matches do not contain "
                     f"{text!r}; the others contain it")
        frame.attrs["note"] = "; ".join(filter(None, [frame.attrs.get("note"), shortfall]))
    return _with(frame, packed, with_vectors)


def topic_stats(project: LuminosoClient) -> pd.DataFrame:
    """Columns: topic_id, name, distance, mean, stdev, zscore, n. The ".all"
    row describes all topics together."""
    stats = project.get("topics/stats")
    rows = [{"topic_id": topic_id, "name": s["name"], "distance": s["distance"],
             "mean": s["correlation"]["mean"], "stdev": s["correlation"]["stdev"],
             "zscore": s["correlation"]["Zscore"], "n": s["correlation"]["n"]}
            for topic_id, s in stats.items()]
    frame = pd.DataFrame(rows, columns=["topic_id", "name", "distance", "mean", "stdev",
                                        "zscore", "n"])
    return frame.astype({"topic_id": "string", "name": "string", "distance": "float64",
                         "mean": "float64", "stdev": "float64", "zscore": "float64", "n": "int64"})


def text_correlation(project: LuminosoClient, text: str) -> pd.DataFrame:
    """Correlation of a text with each topic, highest first.
    Columns: topic_id, name, correlation."""
    if not text.strip():
        raise UnknownQueryError([""], "the text")
    correlations = project.put("topics/text_correlation", text=text)
    if correlations and not any(correlations.values()):
        document_vectors(project, [text])  # all zeros: raises if no word of the text is known
    names = _topic_names(project) if correlations else {}
    frame = pd.DataFrame({
        "topic_id": pd.Series(list(correlations), dtype="string"),
        "name": pd.Series([names.get(t, t) for t in correlations], dtype="string"),
        "correlation": pd.Series(list(correlations.values()), dtype="float64"),
    })
    return frame.sort_values("correlation", ascending=False, ignore_index=True)


def _topic_names(project: LuminosoClient) -> dict[str, str]:
    return {t["_id"]: t["name"] for t in project.get("topics")}


def _matrix(result: dict, row_names: dict, column_names: dict | None = None) -> pd.DataFrame:
    frame = pd.DataFrame.from_dict(result, orient="index").astype("float64")
    frame.index = [row_names.get(i, i) for i in frame.index]
    if column_names:
        frame.columns = [column_names.get(c, c) for c in frame.columns]
    return frame


def topic_correlation(project: LuminosoClient) -> pd.DataFrame:
    """Topic x topic correlations, rows and columns named by topic name."""
    names = _topic_names(project)
    return _matrix(project.get("topics/correlation", format="json"), names, names)


def topic_subset_correlation(project: LuminosoClient) -> pd.DataFrame:
    """Topic x subset correlations; rows are topic names, columns subsets in
    natural order ("Chapter 2" before "Chapter 10"), ``__all__`` first."""
    names = _topic_names(project)
    frame = _matrix(project.get("topics/subset_correlation", format="json"), names)
    return frame[sorted(frame.columns, key=natural_key)]


def subset_stats(project: LuminosoClient, with_vectors: bool = False):
    """Subsets in natural order with their document counts (``__all__`` first).
    Columns: subset, count. Vectors: the plain mean document vector of each."""
    stats = sorted(project.get("subsets/stats"), key=lambda s: natural_key(s["subset"]))
    frame = pd.DataFrame({
        "subset": pd.Series([s["subset"] for s in stats], dtype="string"),
        "count": pd.Series([s["count"] for s in stats], dtype="int64"),
    })
    return _with(frame, (s["mean"] for s in stats), with_vectors)


def document_vectors(project: LuminosoClient, texts: list[str], require_known: bool = True):
    """Vectors for new texts: (frame with text, terms (list), n_terms,
    background_terms (words only general knowledge knows), evidence (the
    server's sentence on what the vector rests on, "" when the project knows
    the text); matrix).

    With `require_known`, a text none of whose words is known (to the project or
    to general knowledge; its vector would be all zeros) raises UnknownQueryError.
    """
    results = project.upload("docs/vectors", [{"text": t} for t in texts])
    if require_known:
        unknown = [r for r in results if _nothing_known(r)]
        if unknown:
            reasons = [r["evidence"]["message"] for r in unknown
                       if r.get("evidence") and r["evidence"].get("basis") != "empty"]
            raise UnknownQueryError([w for r in unknown for w in _words(r["text"])],
                                    reason="; ".join(reasons) or None)
    frame = pd.DataFrame({
        "text": pd.Series([r["text"] for r in results], dtype="string"),
        "terms": pd.Series([[t["term"] for t in r["terms"]] for r in results], dtype="object"),
    })
    frame["n_terms"] = frame["terms"].map(len).astype("int64")
    frame["background_terms"] = pd.Series([[t["term"] for t in r.get("background_terms", [])]
                                           for r in results], dtype="object")
    frame["evidence"] = pd.Series([(r.get("evidence") or {}).get("message", "") for r in results],
                                  dtype="string")
    return frame, packing.unpack_many([r["vector"] for r in results])


def _nothing_known(result: dict) -> bool:
    """Whether a docs/vectors result's text had no word anyone knows."""
    evidence = result.get("evidence")
    if evidence is not None:
        return evidence.get("basis") in NOTHING_KNOWN
    return not result["terms"] and not result.get("background_terms") and _is_zero(result["vector"])


def ignore_list(project: LuminosoClient) -> pd.DataFrame:
    """Columns: term, kind ("fullstring" or "substring")."""
    listing = project.get("terms/ignorelist")
    rows = [(term, kind) for kind in ("fullstring", "substring") for term in listing.get(kind, [])]
    return pd.DataFrame(rows, columns=["term", "kind"]).astype("string")


def accounts(client: LuminosoClient) -> pd.DataFrame:
    """Columns: account_id, account_name, permissions (list), is_default (bool)."""
    info = client.change_path("/").get("accounts")
    frame = pd.DataFrame({
        "account_id": pd.Series([a["account_id"] for a in info["accounts"]], dtype="string"),
        "account_name": pd.Series([a["account_name"] for a in info["accounts"]], dtype="string"),
        "permissions": pd.Series([a["permissions"] for a in info["accounts"]], dtype="object"),
    })
    frame["is_default"] = (frame["account_id"] == info["default_account"]).astype("bool")
    return frame


def account_users(client: LuminosoClient, account_id: str) -> pd.DataFrame:
    """Who may use an account. Columns: user, role ("member" or "guest"),
    permissions (comma-separated, e.g. "create, read, write")."""
    result = client.change_path("/").get(f"accounts/{account_id}/users")
    rows = [(user, role, ", ".join(sorted(perms)))
            for role, key in (("member", "members"), ("guest", "guests"))
            for user, perms in sorted(result.get(key, {}).items())]
    return pd.DataFrame(rows, columns=["user", "role", "permissions"]).astype("string")


def usage(client: LuminosoClient, account_id: str, year: int, month: int) -> pd.DataFrame:
    """API calls of one billing month. Columns: kind, count."""
    result = client.change_path("/").get(f"accounts/{account_id}/usage",
                                         billing_period=[year, month])
    counts = result["call_counts"]
    return pd.DataFrame({"kind": pd.Series(list(counts), dtype="string"),
                         "count": pd.Series(list(counts.values()), dtype="int64")})


MAX_PAGE = 25000  # the most documents GET docs/ returns at once (API v4's limit)
_ID_AND_VECTOR = ["_id", "vector"]


class DocVectors(NamedTuple):
    """Document ids in the project's order, and their vectors as the rows of `matrix`."""

    ids: list[str]
    matrix: np.ndarray


# Pages requested ahead of the one being decoded: two keep both of a 2-core
# server's reading threads busy while the client decodes.
PAGES_AHEAD = 2


def doc_vectors(project: LuminosoClient, page_size: int = MAX_PAGE) -> DocVectors:
    """Every document's id and vector: `matrix` is (documents, 150) float64, row i
    the vector of `ids[i]`, bit-identical to `pack64.unpack64` of what the server
    sent; a document added since the last recalculation has a row of NaN.

    Pages through the standard `GET docs/` with `doc_fields=["_id", "vector"]`
    (so it works on any v4 server), requesting the next two pages while it reads and
    decodes the current one into a matrix sized from the project's document count.
    """
    if not 1 <= page_size <= MAX_PAGE:
        raise ValueError(f"page_size must be from 1 to {MAX_PAGE}")

    def fetch(offset: int) -> bytes:
        return project.get_bytes("docs", doc_fields=_ID_AND_VECTOR, limit=page_size, offset=offset)

    ids: list[str] = []
    with ThreadPoolExecutor(max_workers=1 + PAGES_AHEAD) as pool:
        rows = _Rows(pool.submit(_document_count, project))
        ahead = deque(pool.submit(fetch, page * page_size) for page in range(PAGES_AHEAD))
        while True:
            body = ahead.popleft().result()
            # most likely needed: ask now, so the server renders it while this page decodes
            ahead.append(pool.submit(fetch, len(ids) + PAGES_AHEAD * page_size))
            page_ids, matrix = _read_page(body, rows.slot)
            ids += page_ids
            rows.add(matrix)
            if len(page_ids) < page_size:
                break
    return DocVectors(ids, rows.matrix())


def _document_count(project: LuminosoClient) -> int | None:
    try:
        count = project.get().get("document_count")
    except LuminosoError:  # only a hint
        return None
    return count if isinstance(count, int) else None


class _Rows:
    """Pages of vectors gathered into one matrix, allocated once from the
    project's document count (a hint: a count that turns out wrong costs a copy)."""

    def __init__(self, count: Future[int | None]):
        self.count = count
        self.whole: np.ndarray | None = None
        self.blocks: list[np.ndarray] = []
        self.rows = 0

    def slot(self, rows: int, dims: int) -> np.ndarray | None:
        """Where the next page's `rows` vectors should be decoded, if anywhere."""
        if self.rows == 0 and self.whole is None:
            expected = self.count.result()
            if expected is not None and expected >= rows:
                self.whole = np.empty((expected, dims))
        if self.whole is None or self.whole.shape[1] != dims or self.rows + rows > len(self.whole):
            return None
        return self.whole[self.rows:self.rows + rows]

    def add(self, matrix: np.ndarray) -> None:
        self.blocks.append(matrix)
        self.rows += len(matrix)

    def matrix(self) -> np.ndarray:
        # The empty page that shows the end was decoded into no slot: it must not
        # send a whole project's rows through a copy (120 MB at 100,000 documents,
        # a fresh allocation whose page faults at times stalled the copy).
        blocks = [block for block in self.blocks if len(block)]
        if self.whole is not None and blocks and all(block.base is self.whole for block in blocks):
            return self.whole[:self.rows]
        blocks = blocks or self.blocks[:1]
        return blocks[0] if len(blocks) == 1 else np.concatenate(blocks)


def _no_slot(rows: int, dims: int) -> np.ndarray | None:
    return None


def _read_page(body: bytes, slot: Callable[[int, int], np.ndarray | None] = _no_slot
               ) -> tuple[list[str], np.ndarray]:
    """Ids and vectors of one `GET docs/` answer; the vectors are decoded into
    `slot(rows, dims)` when that gives an array."""
    fixed = _read_fixed_page(body, slot)
    if fixed is not None:
        return fixed
    answer = json_loads(body)
    if not isinstance(answer, dict) or answer.get("error") or not isinstance(answer.get("result"), list):
        raise LuminosoAPIError(answer.get("error") if isinstance(answer, dict) else answer)
    page = answer["result"]
    matrix = vectors.stack([doc.get("vector") for doc in page])
    out = slot(*matrix.shape) if len(page) else None
    if out is not None:
        out[...] = matrix
        matrix = out
    return [doc["_id"] for doc in page], matrix


_PAGE_START, _PAGE_END = b'{"result":[', b'],"error":null}'
_ID_KEY, _VECTOR_KEY, _ITEM_END = b'{"_id":"', b'","vector":"', b'"}'


def _constant(table: np.ndarray, start: int, text: bytes) -> bool:
    return bool((table[:, start:start + len(text)] == np.frombuffer(text, dtype=np.uint8)).all())


def _read_fixed_page(body: bytes, slot: Callable[[int, int], np.ndarray | None]
                     ) -> tuple[list[str], np.ndarray] | None:
    """A page in the compact layout lumiwork's server writes, with ids of one
    length and vectors of one length, read straight from the bytes: every item
    sits at a fixed stride, so the checks and the decoding are whole-array
    operations instead of a JSON parse. None for any other page (then it is
    parsed as JSON): this path accepts only bodies that JSON reads the same way.
    """
    start, end = len(_PAGE_START), len(body) - len(_PAGE_END)
    if not (body.startswith(_PAGE_START) and body.endswith(_PAGE_END) and body.startswith(_ID_KEY, start)):
        return None
    id_start = len(_ID_KEY)
    id_length = body.find(b'"', start + id_start) - start - id_start
    vector_start = id_start + id_length + len(_VECTOR_KEY)
    width = body.find(b'"', start + vector_start) - start - vector_start
    item = vector_start + width + len(_ITEM_END)
    if id_length < 1 or width < 1 or (end - start + 1) % (item + 1):
        return None
    rows, stride = (end - start + 1) // (item + 1), item + 1
    table = np.ndarray((rows, item), dtype=np.uint8, buffer=body, offset=start, strides=(stride, 1))
    commas = np.ndarray((rows - 1,), dtype=np.uint8, buffer=body, offset=start + item, strides=(stride,))
    id_bytes = table[:, id_start:id_start + id_length]
    if not (_constant(table, 0, _ID_KEY) and _constant(table, id_start + id_length, _VECTOR_KEY)
            and _constant(table, item - len(_ITEM_END), _ITEM_END) and (commas == ord(",")).all()
            # ids written as they are: no quote, backslash (escape) or control character
            and id_bytes.min(initial=255) >= 0x20 and not (id_bytes == ord('"')).any()
            and not (id_bytes == ord("\\")).any()):
        return None
    try:
        matrix = packing.unpack_buffer(body, start + vector_start, stride, rows, width,
                                       out=slot(rows, width // 3))
        ids = np.ndarray((rows,), dtype=f"S{id_length}", buffer=body, offset=start + id_start,
                         strides=(stride,))
        try:
            return ids.astype(f"U{id_length}").tolist(), matrix  # ASCII ids, all at once
        except UnicodeDecodeError:
            return [doc_id.decode("utf-8") for doc_id in ids.tolist()], matrix
    except (ValueError, UnicodeDecodeError):  # not pack64, or not UTF-8: let JSON say what is wrong
        return None


__all__ = [
    'DocVectors', 'MAX_PAGE', 'PAGES_AHEAD', 'account_users', 'accounts', 'doc_vectors',
    'document_vectors', 'ignore_list', 'projects', 'related_terms', 'search_documents',
    'subset_stats', 'text_correlation', 'top_terms', 'topic_correlation', 'topic_stats',
    'topic_subset_correlation', 'topics', 'usage'
]
