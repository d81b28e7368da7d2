"""concepts/ and what is asked of concepts: match_counts/, sentiment/,
score_drivers/, concept_associations/, and concepts/manage/ (the ignore list
API v4 also edits). Every endpoint picks its concepts with a concept_selector
and counts only the documents of the last build that are still stored and
pass the request's filter."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from starlette.routing import Route

from ...engine import Model
from ...engine import concepts as engine
from ...engine.classify import doc_sentiment
from ...engine.concepts import Concept
from ...engine.metadata import MetadataError
from ...engine.text import tag, tokenize
from ..core.errors import ApiError, bad_parameter
from ..core.params import parse_integer
from ..core.pipeline import Call, endpoint
from ..db import Store
from .lookups import Documents, get_model, get_project, ignored_terms
from .serializers import concept_record

DEFAULT_LIMIT = 20
MAX_LIMIT = 50_000
MAX_SPECIFIED = 1_000  # concepts in a specified selector
MAX_TEXTS = 100        # texts in one concept
DEFAULT_CLUSTERS, DEFAULT_CLUSTER_CONCEPTS, MAX_CLUSTERS = 7, 4, 50
SELECTOR_TYPES = ("top", "specified", "related", "suggested", "concept_list", "sentiment_suggested",
                  "drivers_suggested", "unique_to_filter")


def selector_error(message: str) -> ApiError:
    return ApiError(400, "INVALID_SELECTOR", f"concept_selector {message}", parameters=["concept_selector"])


def _number(selector: dict, key: str, default: int, most: int) -> int:
    value = selector.get(key)
    if value is None:
        return default
    try:
        number = parse_integer(value)
    except ValueError as exc:
        raise selector_error(f"{key} {exc}") from None
    if not 0 <= number <= most:
        raise selector_error(f"{key} must be from 0 to {most}")
    return number


def concept_texts(value: object, where: str) -> tuple[list[str], str | None]:
    """The texts and name of a concept given as {"texts": [...], "name"?}."""
    if not isinstance(value, dict):
        raise selector_error(f"{where} must be an object {{\"texts\": [...]}}")
    texts, name = value.get("texts"), value.get("name")
    if (not isinstance(texts, list) or not texts or len(texts) > MAX_TEXTS
            or not all(isinstance(t, str) and t.strip() and len(t) <= 1000 for t in texts)):
        raise selector_error(f"{where} needs texts: a list of 1 to {MAX_TEXTS} non-empty strings "
                             "of at most 1,000 characters")
    if name is not None and (not isinstance(name, str) or len(name) > 1000):
        raise selector_error(f"{where} has a name that is not a string")
    return texts, name


@dataclass
class Context:
    """What every concept endpoint reads: the project, its model, its documents
    (stored, filtered) and what the ignore list hides."""

    call: Call
    project: object
    model: Model
    documents: Documents
    ignored: frozenset[str]

    @property
    def hidden(self) -> frozenset[int]:
        return frozenset(self.model.term_index[t] for t in self.ignored if t in self.model.term_index)

    def labels(self) -> np.ndarray:
        return sentiment_labels(self.call.store, self.project, self.model)

    def scores(self, field: str) -> np.ndarray:
        try:
            return self.documents.numbers(self.documents.table.score(field))
        except MetadataError as exc:
            raise ApiError(400, "INVALID_SCORE_FIELD", str(exc), parameters=["score_field"]) from None


def context(call: Call) -> Context:
    project = get_project(call)
    model = get_model(call, project)
    return Context(call, project, model, Documents(call, project, model), ignored_terms(call, project))


def sentiment_labels(store: Store, project, model: Model) -> np.ndarray:
    """(docs,) int8 sentiment label of each of the model's documents (from the
    build's compounds; a model built before they were kept is scored once here)."""
    def compute() -> np.ndarray:
        compound = model.doc_sentiment
        if compound is None:
            bodies = store.docs.by_ids(project["project_id"], model.doc_ids)
            compound = doc_sentiment.compounds(model, [bodies[d]["text"] if d in bodies else "" for d in model.doc_ids])
        return doc_sentiment.labels(compound)

    return model.memo(("v5 sentiment labels",), compute, keep=True)


def select(ctx: Context, default: dict) -> tuple[list[Concept], Concept | None]:
    """The concepts a request's concept_selector (else `default`) picks, and the
    search concept of a `related` selector."""
    selector = ctx.call.params.json_value("concept_selector")
    if selector is None:
        selector = default
    if not isinstance(selector, dict):
        raise selector_error("must be an object like {\"type\": \"top\", \"limit\": 20}")
    kind = selector.get("type")
    model = ctx.model
    if kind == "top":
        return engine.top_concepts(model, _number(selector, "limit", DEFAULT_LIMIT, MAX_LIMIT), ctx.ignored), None
    if kind == "specified":
        given = selector.get("concepts")
        if not isinstance(given, list) or len(given) > MAX_SPECIFIED:
            raise selector_error(f"of type specified needs concepts: a list of at most {MAX_SPECIFIED}")
        found = []
        for position, item in enumerate(given):
            texts, name = concept_texts(item, f"concepts[{position}]")
            found.append(engine.text_concept(model, texts, name))
        return found, None
    if kind == "related":
        texts, name = concept_texts(selector.get("search_concept"), "search_concept")
        search = engine.text_concept(model, texts, name)
        limit = _number(selector, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        return engine.related_concepts(model, search, limit, ctx.hidden), search
    if kind == "suggested":
        clusters = _number(selector, "num_clusters", DEFAULT_CLUSTERS, MAX_CLUSTERS)
        per_cluster = _number(selector, "num_cluster_concepts", DEFAULT_CLUSTER_CONCEPTS, MAX_CLUSTERS)
        return engine.suggested_concepts(model, clusters, per_cluster, ctx.ignored), None
    if kind == "concept_list":
        return list_concepts(ctx, selector), None
    if kind == "sentiment_suggested":
        limit = _number(selector, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        return engine.sentiment_suggested(model, ctx.labels(), ctx.documents.usable, limit,
                                          doc_sentiment.sentiment_lemmas(model.language), ctx.ignored), None
    if kind == "drivers_suggested":
        field = selector.get("score_field") or ctx.call.params.string("score_field")
        if not isinstance(field, str) or not field:
            raise selector_error("of type drivers_suggested needs a score_field")
        limit = _number(selector, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        return engine.drivers_suggested(model, ctx.scores(field), ctx.documents.usable, limit,
                                        doc_sentiment.sentiment_lemmas(model.language), ctx.ignored), None
    if kind == "unique_to_filter":
        if not ctx.documents.filtered:
            raise selector_error("of type unique_to_filter needs a filter: the documents it compares with the rest")
        limit = _number(selector, "limit", DEFAULT_LIMIT, MAX_LIMIT)
        return engine.unique_to_filter(model, ctx.documents.stored, ctx.documents.usable, limit, ctx.ignored), None
    raise selector_error(f"type {str(kind)[:40]!r} is not one of {', '.join(SELECTOR_TYPES)}")


def list_concepts(ctx: Context, selector: dict) -> list[Concept]:
    """The concepts of a saved concept list (by concept_list_id or name)."""
    project_id = ctx.project["project_id"]  # type: ignore[index]
    list_id, name = selector.get("concept_list_id"), selector.get("name")
    found = None
    if isinstance(list_id, str):
        found = ctx.call.store.concept_lists.get(project_id, list_id)
    elif isinstance(name, str):
        found = ctx.call.store.concept_lists.by_name(project_id, name)
    else:
        raise selector_error("of type concept_list needs a concept_list_id or a name")
    if found is None:
        raise ApiError(404, "NOT_FOUND", f"no concept list {str(list_id or name)[:100]!r} in this project")
    concepts = []
    for item in found["concepts"]:
        concept = engine.text_concept(ctx.model, item["texts"], item["name"])
        concept.extra.update(shared_concept_id=item["shared_concept_id"], color=item["color"])
        concepts.append(concept)
    return concepts


def _matches(ctx: Context, concepts: list[Concept]) -> engine.Matches:
    return engine.match(ctx.model, concepts, engine.related_terms_many(ctx.model, concepts, ctx.hidden))


# ---- endpoints ---------------------------------------------------------------------------

TOP = {"type": "top", "limit": DEFAULT_LIMIT}


def get_concepts(call: Call) -> dict:
    ctx = context(call)
    concepts, search = select(ctx, TOP)
    answer: dict = {"result": [concept_record(ctx.model, c) for c in concepts]}
    if search is not None:
        answer["search"] = concept_record(ctx.model, search)
    return answer


def match_counts(call: Call) -> dict:
    ctx = context(call)
    concepts, _ = select(ctx, TOP)
    counts = engine.match_counts(_matches(ctx, concepts), ctx.documents.usable)
    return {"match_counts": [{**concept_record(ctx.model, c), "exact_match_count": exact, "match_count": total}
                             for c, (exact, total) in zip(concepts, counts)],
            "total_count": int(np.count_nonzero(ctx.documents.stored)),
            "filter_count": int(np.count_nonzero(ctx.documents.usable))}


def sentiment(call: Call) -> dict:
    ctx = context(call)
    concepts, _ = select(ctx, {"type": "sentiment_suggested", "limit": DEFAULT_LIMIT})
    matches = _matches(ctx, concepts)
    counts = engine.match_counts(matches, ctx.documents.usable)
    shares = engine.sentiment_counts(matches, ctx.labels(), ctx.documents.usable)
    return {"match_counts": [{**concept_record(ctx.model, c), "exact_match_count": exact, "match_count": total,
                              **share} for c, (exact, total), share in zip(concepts, counts, shares)],
            "filter_count": int(np.count_nonzero(ctx.documents.usable))}


def score_drivers(call: Call) -> list[dict]:
    ctx = context(call)
    field = call.params.string("score_field", required=True, limit="project name")
    scores = ctx.scores(field)
    limit = call.params.integer("limit", DEFAULT_LIMIT, minimum=0, maximum=MAX_LIMIT)
    concepts, _ = select(ctx, {"type": "drivers_suggested", "score_field": field, "limit": limit})
    matches = _matches(ctx, concepts)
    counts = engine.match_counts(matches, ctx.documents.usable)
    found = engine.drivers(matches, scores, ctx.documents.usable)
    return [{**concept_record(ctx.model, c), "exact_match_count": exact, "match_count": total,
             "impact": d.impact, "confidence": d.confidence, "importance": d.importance,
             "average_score": d.average_score, "baseline": d.baseline}
            for c, (exact, total), d in zip(concepts, counts, found)]


def concept_associations(call: Call) -> list[dict]:
    ctx = context(call)
    concepts, _ = select(ctx, TOP)
    scores = engine.associations(concepts)
    answer = []
    for i, concept in enumerate(concepts):
        others = sorted((j for j in range(len(concepts)) if j != i), key=lambda j: (-scores[i, j], j))
        answer.append({**concept_record(ctx.model, concept), "associations": [
            {"name": concepts[j].name, "texts": concepts[j].texts, "relevance": concepts[j].relevance,
             "association_score": float(scores[i, j]),
             "exact_term_ids": [ctx.model.terms[t] for t in concepts[j].exact_terms]} for j in others]})
    return answer


# ---- concepts/manage: the ignore list -------------------------------------------------------

MANAGEMENT = ("ignore", "notice", "collocate", "merge")


def _ignore_record(term: str) -> dict:
    text = " ".join(part.rpartition("|")[0] for part in term.split(" "))
    return {"name": text, "texts": [text], "exact_term_ids": [term]}


def _management(call: Call, project) -> dict:
    ignored = call.store.ignorelist.get(project["project_id"])["fullstring"]
    current = {"ignore": [_ignore_record(term) for term in ignored], "notice": [], "collocate": [], "merge": []}
    return {"current_build": current, "next_build": current}


def get_management(call: Call) -> dict:
    """What is ignored. lumiwork applies the ignore list at once (no build
    needed), so the current and the next build's lists are the same."""
    return _management(call, get_project(call))


def set_management(call: Call) -> dict:
    project = get_project(call, "write")
    given = call.params.json_value("concept_management")
    if not isinstance(given, dict):
        raise bad_parameter("concept_management", "must be an object {\"ignore\": [{\"texts\": [...]}]}")
    unknown = sorted(set(given) - set(MANAGEMENT))
    if unknown:
        raise bad_parameter("concept_management", f"has unknown key(s) {unknown[:5]}; known: {', '.join(MANAGEMENT)}")
    unsupported = [key for key in ("notice", "collocate", "merge") if given.get(key)]
    if unsupported:
        raise ApiError(400, "UNSUPPORTED", f"lumiwork manages concepts by ignoring them only, not by "
                       f"{', '.join(unsupported)}", parameters=["concept_management"])
    items = given.get("ignore") or []
    if not isinstance(items, list):
        raise bad_parameter("concept_management", "ignore must be a list of concepts")
    language = project["language"]
    terms = []
    for position, item in enumerate(items):
        texts, _ = concept_texts(item, f"ignore[{position}]")
        for text in texts:
            lemmas = [token.lemma for token in tokenize(text, language)]
            if not lemmas:
                raise bad_parameter("concept_management", f"ignore[{position}] has a text without words")
            term = tag(lemmas, language)
            if len(term) > 500:
                raise bad_parameter("concept_management", f"ignore[{position}] has a text longer than a term may be")
            terms.append(term)
    project_id = project["project_id"]
    with call.store.db.transaction():
        if call.params.boolean("overwrite"):
            for term in call.store.ignorelist.get(project_id)["fullstring"]:
                if term not in terms:
                    call.store.ignorelist.set(project_id, term, "fullstring", ignored=False)
        for term in terms:
            call.store.ignorelist.set(project_id, term, "fullstring", ignored=True)
    return _management(call, project)


P = "/projects/{project}/concepts/"
routes = [
    Route(P, endpoint(get_concepts), methods=["GET", "POST"]),
    Route(P + "match_counts/", endpoint(match_counts), methods=["GET", "POST"]),
    Route(P + "sentiment/", endpoint(sentiment), methods=["GET", "POST"]),
    Route(P + "score_drivers/", endpoint(score_drivers), methods=["GET", "POST"]),
    Route(P + "concept_associations/", endpoint(concept_associations), methods=["GET", "POST"]),
    Route(P + "manage/", endpoint(get_management), methods=["GET"]),
    Route(P + "manage/", endpoint(set_management), methods=["PUT", "POST"]),
]
