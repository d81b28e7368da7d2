"""API v5 answers as tidy pandas DataFrames: one function per question, one row
per thing (a concept, a document, a field, a concept in one group). Every
function takes a project client (`V5Client.project(...)`) and sends the
request any API v5 server understands, lumiwork's or Luminoso's."""
from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd

from ...client.v5 import V5Client

#: What each selector is called in the panels, and the selector it sends.
SELECTOR_CHOICES = {
    "most relevant": {"type": "top"},
    "suggested by sentiment": {"type": "sentiment_suggested"},
    "suggested by score": {"type": "drivers_suggested"},
    "suggested clusters": {"type": "suggested"},
}
#: Columns of a concept, whatever endpoint gave it.
CONCEPT_COLUMNS = ("name", "texts", "relevance", "exact_term_ids")
EXTRA_COLUMNS = ("match_score", "cluster_label", "shared_concept_id", "color", "unique_score")


def selector(kind: str = "top", limit: int = 20, **options) -> dict:
    """A concept_selector: selector("top", 10), selector("specified", concepts=[...]),
    selector("concept_list", name="aspects"), ..."""
    found = {"type": kind, **options}
    if kind in ("top", "related", "sentiment_suggested", "drivers_suggested", "unique_to_filter"):
        found.setdefault("limit", limit)
    return found


def specified(*texts: str | Sequence[str]) -> dict:
    """A selector of exactly these concepts: specified("battery", ["screen", "display"])."""
    return {"type": "specified", "concepts": [{"texts": [t] if isinstance(t, str) else list(t)} for t in texts]}


def where(field: str, *values, minimum=None, maximum=None) -> list[dict]:
    """A one-condition filter: where("product", "A", "B"), where("rating", minimum=2)."""
    if values:
        return [{"name": field, "values": list(values)}]
    condition: dict = {"name": field}
    if minimum is not None:
        condition["minimum"] = minimum
    if maximum is not None:
        condition["maximum"] = maximum
    return [condition]


def _options(concept_selector: dict | None, filter: list | None) -> dict:
    options: dict = {}
    if concept_selector is not None:
        options["concept_selector"] = concept_selector
    if filter:
        options["filter"] = filter
    return options


def _concept_frame(records: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame({
        "name": pd.Series([r["name"] for r in records], dtype="string"),
        "texts": pd.Series([list(r.get("texts", [])) for r in records], dtype="object"),
        "relevance": pd.Series([r.get("relevance") for r in records], dtype="float64"),
        "exact_term_ids": pd.Series([list(r.get("exact_term_ids", [])) for r in records], dtype="object"),
    })
    for column in EXTRA_COLUMNS:
        if any(column in r for r in records):
            values = [r.get(column) for r in records]
            kind = "float64" if column in ("match_score", "unique_score") else "string"
            frame[column] = pd.Series(values, dtype=kind)
    return frame


# ---- projects and metadata -------------------------------------------------------------------

def projects(client: V5Client) -> pd.DataFrame:
    """Projects you can read. Columns: project_id, name, workspace_id, language,
    document_count, creation_date, last_successful_build_time (UTC datetimes), built (bool)."""
    records = client.client_for_path("/").get("projects")
    return pd.DataFrame({
        "project_id": pd.Series([r["project_id"] for r in records], dtype="string"),
        "name": pd.Series([r["name"] for r in records], dtype="string"),
        "workspace_id": pd.Series([r.get("workspace_id") for r in records], dtype="string"),
        "language": pd.Series([r.get("language") for r in records], dtype="string"),
        "document_count": pd.Series([r.get("document_count", 0) for r in records], dtype="int64"),
        "creation_date": pd.to_datetime(pd.Series([r.get("creation_date") for r in records], dtype="float64"),
                                        unit="s", utc=True),
        "last_successful_build_time": pd.to_datetime(
            pd.Series([r.get("last_successful_build_time") for r in records], dtype="float64"), unit="s", utc=True),
        "built": pd.Series([bool((r.get("last_build_info") or {}).get("success")) for r in records], dtype="bool"),
    })


def metadata_fields(project: V5Client) -> pd.DataFrame:
    """The project's metadata fields. Columns: name, type (string, number, score,
    date), document_count, value_count, minimum, maximum (numbers; dates as text)."""
    fields = project.get("metadata")["result"]
    return pd.DataFrame({
        "name": pd.Series([f["name"] for f in fields], dtype="string"),
        "type": pd.Series([f["type"] for f in fields], dtype="string"),
        "document_count": pd.Series([f.get("document_count") for f in fields], dtype="Int64"),
        "value_count": pd.Series([f.get("value_count", len(f.get("values", []))) for f in fields], dtype="Int64"),
        "minimum": pd.Series([f.get("minimum") for f in fields], dtype="object"),
        "maximum": pd.Series([f.get("maximum") for f in fields], dtype="object"),
    })


def metadata_values(project: V5Client, field: str) -> pd.DataFrame:
    """The values of one string, number or score field, most frequent first. Columns: value, count."""
    for found in project.get("metadata")["result"]:
        if found["name"] == field:
            values = found.get("values", [])
            return pd.DataFrame({"value": pd.Series([v["value"] for v in values], dtype="object"),
                                 "count": pd.Series([v["count"] for v in values], dtype="int64")})
    raise ValueError(f"the project has no metadata field {field!r}")


def score_fields(project: V5Client) -> list[str]:
    """The fields score drivers can explain: score fields first, then number fields."""
    fields = project.get("metadata")["result"]
    return ([f["name"] for f in fields if f["type"] == "score"] + [f["name"] for f in fields if f["type"] == "number"])


# ---- concepts ----------------------------------------------------------------------------------

def concepts(project: V5Client, concept_selector: dict | None = None, filter: list | None = None) -> pd.DataFrame:
    """Concepts a selector picks. Columns: name, texts (list), relevance,
    exact_term_ids (list), and what the selector adds (match_score,
    cluster_label, shared_concept_id, color, unique_score)."""
    return _concept_frame(project.get("concepts", **_options(concept_selector, filter))["result"])


def match_counts(project: V5Client, concept_selector: dict | None = None, filter: list | None = None) -> pd.DataFrame:
    """How many documents match each concept. Columns: name, exact_match_count,
    conceptual_match_count, match_count, share (match_count / filter_count).
    attrs: total_count, filter_count."""
    answer = project.get("concepts/match_counts", **_options(concept_selector, filter))
    records = answer["match_counts"]
    frame = _concept_frame(records)[["name", "texts"]]
    exact = np.array([r["exact_match_count"] for r in records], dtype=np.int64)
    total = np.array([r["match_count"] for r in records], dtype=np.int64)
    frame["exact_match_count"] = exact
    frame["conceptual_match_count"] = total - exact
    frame["match_count"] = total
    frame["share"] = total / answer["filter_count"] if answer["filter_count"] else 0.0
    frame.attrs.update(total_count=answer.get("total_count"), filter_count=answer["filter_count"])
    return frame


def match_counts_by(project: V5Client, field: str, concept_selector: dict | None = None,
                    values: Sequence | None = None, filter: list | None = None) -> pd.DataFrame:
    """Match counts of the same concepts within each value of a string field
    (its 10 most frequent values unless `values` are given), one request per value.
    Columns: value, name, match_count, exact_match_count, filter_count (documents
    with that value), share (match_count / filter_count)."""
    if values is None:
        values = metadata_values(project, field)["value"].head(10).tolist()
    chosen = concept_selector or concepts_selector_from(project, concept_selector, filter)
    parts = []
    for value in values:
        counts = match_counts(project, chosen, (filter or []) + where(field, value))
        parts.append(pd.DataFrame({"value": value, "name": counts["name"], "match_count": counts["match_count"],
                                   "exact_match_count": counts["exact_match_count"],
                                   "filter_count": counts.attrs["filter_count"], "share": counts["share"]}))
    return _stack(parts, ["value", "name", "match_count", "exact_match_count", "filter_count", "share"])


def match_counts_over_time(project: V5Client, date_field: str, concept_selector: dict | None = None,
                           periods: int = 12, filter: list | None = None) -> pd.DataFrame:
    """Match counts of the same concepts in `periods` equal spans of a date field,
    from its first date to its last, one request per span. Columns: start, end
    (UTC datetimes), name, match_count, filter_count (documents in the span), share."""
    fields = {f["name"]: f for f in project.get("metadata")["result"]}
    found = fields.get(date_field)
    if found is None or found["type"] != "date":
        dates = sorted(name for name, f in fields.items() if f["type"] == "date")
        raise ValueError(f"{date_field!r} is not a date field of the project (date fields: {dates or 'none'})")
    first, last = pd.Timestamp(found["minimum"]), pd.Timestamp(found["maximum"])
    edges = pd.date_range(first, last, periods=periods + 1) if last > first else pd.DatetimeIndex([first, first])
    chosen = concepts_selector_from(project, concept_selector, filter)
    parts = []
    for index, (start, end) in enumerate(zip(edges[:-1], edges[1:])):
        span = [{"name": date_field, "minimum": start.timestamp(),
                 # the last span ends at the last date; the others just before their end
                 "maximum": end.timestamp() if index == len(edges) - 2 else math.nextafter(end.timestamp(), 0)}]
        counts = match_counts(project, chosen, (filter or []) + span)
        parts.append(pd.DataFrame({"start": start, "end": end, "name": counts["name"],
                                   "match_count": counts["match_count"],
                                   "filter_count": counts.attrs["filter_count"], "share": counts["share"]}))
    return _stack(parts, ["start", "end", "name", "match_count", "filter_count", "share"])


def concepts_selector_from(project: V5Client, concept_selector: dict | None, filter: list | None) -> dict:
    """A selector naming fixed concepts: `concept_selector` if it already does
    (specified, concept_list), else the concepts it picks now, so that every
    group of a breakdown counts the same concepts."""
    if concept_selector is not None and concept_selector.get("type") in ("specified", "concept_list"):
        return concept_selector
    picked = concepts(project, concept_selector, filter)
    return {"type": "specified", "concepts": [{"texts": list(t), "name": n} for n, t in zip(picked["name"],
                                                                                          picked["texts"])]}


def _stack(parts: list[pd.DataFrame], columns: list[str]) -> pd.DataFrame:
    if not parts:
        return pd.DataFrame({column: pd.Series(dtype="object") for column in columns})
    return pd.concat(parts, ignore_index=True)


def sentiment(project: V5Client, concept_selector: dict | None = None, filter: list | None = None) -> pd.DataFrame:
    """Sentiment of the documents matching each concept. Columns: name,
    match_count, positive, neutral, negative (document counts), positive_share,
    neutral_share, negative_share (each count / match_count)."""
    answer = project.get("concepts/sentiment", **_options(concept_selector, filter))
    records = answer["match_counts"]
    frame = _concept_frame(records)[["name", "texts"]]
    frame["match_count"] = pd.Series([r["match_count"] for r in records], dtype="int64")
    for label in ("positive", "neutral", "negative"):
        frame[label] = pd.Series([r["sentiment_counts"][label] for r in records], dtype="int64")
    for label in ("positive", "neutral", "negative"):
        frame[f"{label}_share"] = pd.Series([r["sentiment_share"][label] for r in records], dtype="float64")
    frame.attrs.update(filter_count=answer.get("filter_count"))
    return frame


def score_drivers(project: V5Client, score_field: str, concept_selector: dict | None = None,
                  filter: list | None = None, limit: int = 20) -> pd.DataFrame:
    """How much each concept moves a score. Columns: name, impact, confidence,
    importance, average_score, baseline, match_count, exact_match_count,
    ci_low, ci_high (impact +- 1.96 * |impact / confidence|: a 95% interval),
    significant (|confidence| >= 1.96). Sorted by impact, lowest first."""
    options = _options(concept_selector, filter)
    if concept_selector is None:
        options["limit"] = limit
    records = project.get("concepts/score_drivers", score_field=score_field, **options)
    frame = _concept_frame(records)[["name", "texts"]]
    for column in ("impact", "confidence", "importance", "average_score", "baseline"):
        frame[column] = pd.Series([r.get(column) for r in records], dtype="float64")
    for column in ("match_count", "exact_match_count"):
        frame[column] = pd.Series([r.get(column, 0) for r in records], dtype="int64")
    with np.errstate(divide="ignore", invalid="ignore"):
        error = np.where(frame["confidence"] != 0, np.abs(frame["impact"] / frame["confidence"]), np.nan)
    frame["ci_low"] = frame["impact"] - 1.96 * error
    frame["ci_high"] = frame["impact"] + 1.96 * error
    frame["significant"] = frame["confidence"].abs() >= 1.96
    return frame.sort_values(["impact", "name"], ignore_index=True)


def associations(project: V5Client, concept_selector: dict | None = None, filter: list | None = None) -> pd.DataFrame:
    """How close the picked concepts are to each other. Columns: name, other, association_score."""
    records = project.get("concepts/concept_associations", **_options(concept_selector, filter))
    rows = [(r["name"], a["name"], a["association_score"]) for r in records for a in r["associations"]]
    return pd.DataFrame({"name": pd.Series([r[0] for r in rows], dtype="string"),
                         "other": pd.Series([r[1] for r in rows], dtype="string"),
                         "association_score": pd.Series([r[2] for r in rows], dtype="float64")})


def concept_lists(project: V5Client) -> pd.DataFrame:
    """Saved concept lists, one row per concept. Columns: concept_list_id, list,
    shared_concept_id, name, texts (list), color."""
    rows = [(found["concept_list_id"], found["name"], c["shared_concept_id"], c["name"], c["texts"], c.get("color"))
            for found in project.get("concept_lists") for c in found["concepts"]]
    columns = ["concept_list_id", "list", "shared_concept_id", "name", "texts", "color"]
    return pd.DataFrame({column: pd.Series([row[i] for row in rows], dtype="object" if column == "texts" else "string")
                         for i, column in enumerate(columns)})


def save_concept_list(project: V5Client, name: str, concepts: Sequence[str | Sequence[str]],
                      overwrite: bool = True) -> str:
    """Save a concept list (each concept a text or a list of texts); its id."""
    given = [{"texts": [c] if isinstance(c, str) else list(c)} for c in concepts]
    return project.post("concept_lists", name=name, concepts=given, overwrite=overwrite)["concept_list_id"]


# ---- documents ---------------------------------------------------------------------------------

def documents(project: V5Client, filter: list | None = None, search: str | Sequence[str] | None = None,
              match_type: str = "both", limit: int = 100, offset: int = 0) -> pd.DataFrame:
    """Documents passing a filter, or matching a search concept (best first).
    Columns: doc_id, title, text, match_score (NaN without a search), then one
    column per metadata field (several values of a string field joined by "; ";
    dates as UTC datetimes). attrs: total_count, filter_count."""
    options: dict = {"limit": limit, "offset": offset, "fields": ["doc_id", "title", "text", "metadata",
                                                                  "match_score"]}
    if filter:
        options["filter"] = filter
    if search is not None:
        options["search"] = {"texts": [search] if isinstance(search, str) else list(search)}
        options["match_type"] = match_type
    answer = project.get("docs", **options)
    docs = answer["result"]
    frame = pd.DataFrame({
        "doc_id": pd.Series([d["doc_id"] for d in docs], dtype="string"),
        "title": pd.Series([d.get("title", "") for d in docs], dtype="string"),
        "text": pd.Series([d["text"] for d in docs], dtype="string"),
        "match_score": pd.Series([d.get("match_score") for d in docs], dtype="float64"),
    })
    kinds: dict[str, str] = {}
    values: dict[str, list] = {}
    for position, doc in enumerate(docs):
        for entry in doc.get("metadata", []):
            kinds.setdefault(entry["name"], entry["type"])
            column = values.setdefault(entry["name"], [None] * len(docs))
            if entry["type"] == "string" and column[position] is not None:
                column[position] = f"{column[position]}; {entry['value']}"
            else:
                column[position] = entry["value"]
    for name, column in values.items():
        if kinds[name] == "date":
            frame[name] = pd.to_datetime(pd.Series(column, dtype="object"), utc=True, format="ISO8601")
        elif kinds[name] in ("number", "score"):
            frame[name] = pd.Series(column, dtype="float64")
        else:
            frame[name] = pd.Series(column, dtype="string")
    frame.attrs.update(total_count=answer["total_count"], filter_count=answer["filter_count"])
    return frame


__all__ = [
    "SELECTOR_CHOICES", "associations", "concept_lists", "concepts", "concepts_selector_from", "documents",
    "match_counts", "match_counts_by", "match_counts_over_time", "metadata_fields", "metadata_values", "projects",
    "save_concept_list", "score_drivers", "score_fields", "selector", "sentiment", "specified", "where",
]
