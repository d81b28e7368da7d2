"""terms/ and docs/search/: top terms, related terms, the ignore list and
document search."""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from starlette.routing import Route

from ...engine import Model, query
from ...engine.text import untag
from ...wire import pack64 as packing
from ..core.errors import ApiError, bad_parameter
from ..core.pipeline import Call, endpoint
from .lookups import check_subset, get_model, get_project, get_topic, ignored_terms
from .serializers import background_terms, doc_records, evidence_record, pack, term_record


def _term_list(call: Call) -> list[str]:
    terms = call.params.string_list("terms") or []
    for term in terms:
        try:
            untag(term)
        except ValueError as exc:
            raise bad_parameter("terms", f"holds {term!r}: {exc}") from None
    return terms


def _vector_parameter(call: Call, model: Model) -> np.ndarray:
    packed = call.params.string("vector", required=True)
    try:
        vector = packing.unpack(packed)
    except (ValueError, UnicodeError, IndexError, KeyError) as exc:
        raise bad_parameter("vector", f"is not a pack64 vector: {exc}") from None
    if vector.shape != (model.dimensions,):
        raise bad_parameter("vector", f"must have {model.dimensions} dimensions, "
                            f"not {vector.shape[0]}")
    if not np.all(np.isfinite(vector)):
        raise bad_parameter("vector", "holds values out of range")
    return vector.astype(np.float32)


@dataclass
class SearchQuery:
    """What a search asks about: its vector, the indices of the terms it names,
    the words only the background knows, and its text when it was given as one
    (text= or topic=; None for terms= and vector=)."""

    vector: np.ndarray
    term_indices: list[int]
    unseen: list[dict] = field(default_factory=list)
    text: str | None = None

    @property
    def meaningful(self) -> bool:
        """False for an all-zero vector (no word anyone knows): it ranks nothing."""
        return bool(np.any(self.vector))

    def evidence(self, model: Model) -> dict | None:
        return None if self.text is None else evidence_record(model, self.text)


def _read(model: Model, text: str) -> SearchQuery:
    vector, spans, unseen = model.read_text(text)
    return SearchQuery(vector, [index for index, _, _ in spans], background_terms(unseen, model.language), text)


def search_vector(call: Call, project, model: Model, allow_topic: bool) -> SearchQuery:
    """The query a search's parameters give."""
    params = call.params
    if "text" in params:
        return _read(model, params.string("text", "", limit="query text", multiline=True))
    if params.given("terms"):
        indices = [model.term_index[t] for t in _term_list(call) if t in model.term_index]
        return SearchQuery(model.vector_for_terms(indices), indices)
    if allow_topic and params.given("topic"):
        return _read(model, get_topic(call, project, params.string("topic") or "")["text"])
    if "vector" in params:
        return SearchQuery(_vector_parameter(call, model), [])
    choices = "text, terms, topic or vector" if allow_topic else "text, terms or vector"
    raise ApiError(400, "MISSING_PARAMETER", f"give one of {choices}")


def top_terms(call: Call) -> list[dict]:
    project = get_project(call)
    model = get_model(call, project)
    if call.params.given("terms"):
        return [term_record(model, model.term_index[t]) for t in _term_list(call)
                if t in model.term_index]
    limit = call.params.integer("limit", 50, minimum=0, maximum=50000)
    subset = call.params.string("subset")
    check_subset(model, subset)
    indices = query.top_terms(model, limit, ignored_terms(call, project), subset)
    return [term_record(model, i) for i in indices]


def search_terms(call: Call) -> dict:
    project = get_project(call)
    model = get_model(call, project)
    limit = call.params.integer("limit", 10, minimum=0, maximum=50000)
    asked = search_vector(call, project, model, allow_topic=True)
    # a text's own phrases ("river laugh" for "river") only repeat it; terms= asks for them
    repeats = asked.term_indices if asked.text is not None else ()
    results = (query.related_terms(model, asked.vector, limit, ignored_terms(call, project),
                                   without_phrases_of=repeats) if asked.meaningful else [])
    answer = {"search_results": [[term_record(model, i), score] for i, score in results],
              "search_vector": pack(asked.vector), "background_terms": asked.unseen}
    return _with_evidence(answer, asked.evidence(model))


def _with_evidence(answer: dict, evidence: dict | None) -> dict:
    return answer if evidence is None else {**answer, "evidence": evidence}


def get_ignorelist(call: Call) -> dict:
    return call.store.ignorelist.get(get_project(call)["project_id"])


def change_ignorelist(call: Call) -> dict:
    project = get_project(call, "write")
    term = call.params.string("term", required=True, limit="term")
    try:
        untag(term)
    except ValueError as exc:
        raise bad_parameter("term", f"{exc} (give the term form, like 'rt|en', not text)") from None
    kind = "substring" if call.params.boolean("substring") else "fullstring"
    call.store.ignorelist.set(project["project_id"], term, kind, ignored=call.method == "PUT")
    return call.store.ignorelist.get(project["project_id"])


def search_docs(call: Call) -> dict:
    project = get_project(call)
    model = get_model(call, project)
    limit = call.params.integer("limit", 10, minimum=0, maximum=10000)
    subset = call.params.string("subset")
    check_subset(model, subset)
    exact_only = call.params.boolean("exact_only")
    asked = search_vector(call, project, model, allow_topic=False)
    exact, vector = asked.term_indices, asked.vector
    if exact or asked.unseen:
        vector = query.expand_query(model, vector)
    found, n_exact, n_related = (query.search_docs(model, vector, exact, limit, subset, exact_only)
                                 if asked.meaningful else ([], 0, 0))
    evidence = asked.evidence(model)
    # general knowledge that relates nothing in the project clearly: the ranking is noise, no match is conceptual
    noise = bool(evidence and evidence["basis"] == "background" and not evidence["supported"])
    docs = call.store.docs.by_ids(project["project_id"], [model.doc_ids[i] for i, _ in found])
    # a document deleted since the last recalculation is left out
    hits = [(docs[model.doc_ids[index]], score) for index, score in found if model.doc_ids[index] in docs]
    spans = [model.text_terms(doc["text"]) for doc, _ in hits]  # once, for the records and the matches
    records = doc_records(model, [doc for doc, _ in hits], spans=spans)
    matches = query.match_spans(model, spans, vector, set(exact))
    if noise:
        matches, n_related = [(exact_spans, []) for exact_spans, _ in matches], 0
    results = [[{"document": record, "exact_indices": exact_spans, "conceptual_indices": conceptual}, score]
               for record, (exact_spans, conceptual), (_, score) in zip(records, matches, hits)]
    related = (query.related_terms(model, vector, 10, ignored_terms(call, project),
                                   without_phrases_of=exact if asked.text is not None else ())
               if asked.meaningful else [])
    return _with_evidence({
        "search_results": results,
        "exact_terms": [model.terms[i] for i in dict.fromkeys(exact)],
        "related_terms": [[model.terms[i], score] for i, score in related],
        "num_exact_matches": n_exact,
        "num_related_matches": n_related,
        "search_vector": pack(vector),
        "background_terms": asked.unseen,
    }, evidence)


# At most this many results keep a search quick enough for the event loop.
QUICK_LIMIT = 100


def quick_search(call: Call, query: dict[str, str]) -> bool:
    """Whether a search is quick enough to run on an idle server's event loop
    (see core.pipeline.endpoint): its project's model is loaded, and it asks
    for at most QUICK_LIMIT results."""
    limit = query.get("limit", "").strip()
    small = not limit or (limit.isascii() and limit.isdigit() and len(limit) <= 4 and int(limit) <= QUICK_LIMIT)
    return small and call.path["project"] in call.server.models


P = "/projects/{account}/{project}/"
routes = [
    Route(P + "terms/", endpoint(top_terms), methods=["GET"]),
    Route(P + "terms/search/", endpoint(search_terms, quick_when_idle=quick_search), methods=["GET"]),
    Route(P + "terms/ignorelist/", endpoint(get_ignorelist), methods=["GET"]),
    Route(P + "terms/ignorelist/", endpoint(change_ignorelist), methods=["PUT", "DELETE"]),
    Route(P + "docs/search/", endpoint(search_docs, quick_when_idle=quick_search), methods=["GET"]),
]
