"""Typed document metadata (API v5): checking an upload's entries, and a
column store of a project's metadata that answers filters with numpy.

A document's metadata is a list of entries ``{"type", "name", "value"}``:

- ``string``: text; a document may hold several values of one string field
  (a filter matches if any of them is asked for);
- ``number`` and ``score``: a finite number, one per document and field
  (``score`` marks a field score drivers can explain);
- ``date``: seconds since 1970 (UTC), given as a number or an ISO 8601 string,
  one per document and field.

A field's type is fixed by its first use in a project. No HTTP, no database.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..wire.dates import parse_time

FIELD_TYPES = ("string", "number", "score", "date")
NUMERIC_TYPES = ("number", "score", "date")
#: Longest field name and string value, in characters. A string entry is also
#: API v4 subset "name: value", whose limit is 500 characters.
MAX_NAME = 200
MAX_STRING_VALUE = 500
MAX_ENTRIES = 100


class MetadataError(ValueError):
    """An entry, a filter or a field that cannot be used; the message says why."""


def check_entries(entries: object, known_types: dict[str, str] | None = None) -> list[dict]:
    """An upload's metadata as stored: ``[{"type", "name", "value"}]``, dates as
    seconds since 1970. `known_types` (field -> type) are the project's fields
    so far: an entry of another type is refused, as is a number, score or date
    field given twice in one document. Raises MetadataError naming the entry."""
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise MetadataError("metadata must be a list of {\"type\", \"name\", \"value\"} objects")
    if len(entries) > MAX_ENTRIES:
        raise MetadataError(f"metadata has {len(entries)} entries; at most {MAX_ENTRIES} per document")
    checked: list[dict] = []
    single: set[str] = set()
    for position, entry in enumerate(entries):
        where = f"metadata entry {position}"
        if not isinstance(entry, dict):
            raise MetadataError(f"{where} is not an object {{\"type\", \"name\", \"value\"}}")
        kind, name, value = entry.get("type"), entry.get("name"), entry.get("value")
        if kind not in FIELD_TYPES:
            raise MetadataError(f"{where} has type {str(kind)[:30]!r}; use one of {', '.join(FIELD_TYPES)}")
        if not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
            raise MetadataError(f"{where} needs a name: a non-empty string of at most {MAX_NAME} characters")
        expected = (known_types or {}).get(name)
        if expected is not None and expected != kind:
            raise MetadataError(f"{where}: field {name!r} is a {expected} field in this project, not {kind}")
        if kind in NUMERIC_TYPES:
            if name in single:
                raise MetadataError(f"{where}: a document holds one value of the {kind} field {name!r}")
            single.add(name)
        checked.append({"type": kind, "name": name, "value": _entry_value(kind, value, where)})
    return checked


def _entry_value(kind: str, value: object, where: str) -> str | int | float:
    if kind == "string":
        if not isinstance(value, str) or len(value) > MAX_STRING_VALUE:
            raise MetadataError(f"{where}: a string value is text of at most {MAX_STRING_VALUE} characters")
        return value
    if kind == "date":
        try:
            return parse_time(value)
        except ValueError as exc:
            raise MetadataError(f"{where}: {exc}") from None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise MetadataError(f"{where}: a {kind} value is a finite number")
    return value


# ---- filters ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Condition:
    """One entry of a filter: documents whose field `name` holds one of
    `values`, or lies within [minimum, maximum] (either bound may be None)."""

    name: str
    values: tuple | None = None
    minimum: float | None = None
    maximum: float | None = None


def parse_filter(value: object) -> list[Condition]:
    """A filter as the API takes it: a list of conditions that must all hold,
    each ``{"name", "values": [...]}`` or ``{"name", "minimum"?, "maximum"?}``
    (None or [] for no filter). Raises MetadataError."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise MetadataError("filter must be a list of conditions like "
                            "[{\"name\": \"product\", \"values\": [\"A\"]}]")
    conditions = []
    for position, item in enumerate(value):
        where = f"filter condition {position}"
        if not isinstance(item, dict):
            raise MetadataError(f"{where} is not an object")
        if "special" in item:
            raise MetadataError(f"{where}: special filters ({str(item['special'])[:30]!r}) are not supported")
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise MetadataError(f"{where} needs the name of a metadata field")
        unknown = sorted(set(item) - {"name", "values", "minimum", "maximum"})
        if unknown:
            raise MetadataError(f"{where} has unknown key(s) {unknown[:5]}; use values, or minimum and maximum")
        if "values" in item:
            values = item["values"]
            if not isinstance(values, list) or not all(isinstance(v, (str, int, float)) and not isinstance(v, bool)
                                                       for v in values):
                raise MetadataError(f"{where}: values must be a list of strings or numbers")
            if "minimum" in item or "maximum" in item:
                raise MetadataError(f"{where}: give values, or minimum and maximum, not both")
            conditions.append(Condition(name, tuple(values)))
        elif "minimum" in item or "maximum" in item:
            conditions.append(Condition(name, None, _bound(item.get("minimum"), where),
                                        _bound(item.get("maximum"), where)))
        else:
            raise MetadataError(f"{where} needs values, or minimum and/or maximum")
    return conditions


def _bound(value: object, where: str) -> float | None:
    """A bound: a number, or a date as seconds or an ISO 8601 string."""
    if value is None:
        return None
    try:
        return parse_time(value) if isinstance(value, str) else _finite(value)
    except ValueError as exc:
        raise MetadataError(f"{where}: bound {str(value)[:40]!r} is neither a number nor a date ({exc})") from None


def _finite(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError("not a finite number")
    return float(value)


# ---- the column store ---------------------------------------------------------------------

@dataclass
class StringColumn:
    """A string field: its distinct values (most frequent first) and, for each,
    the sorted positions of the documents holding it."""

    values: list[str]
    positions: list[np.ndarray]


class MetadataTable:
    """The metadata of n documents (in the project's stored order), by field.

    numbers[name]: (n,) float64, NaN where a document has no value (number,
    score and date fields); strings[name]: a StringColumn. Filters and score
    lookups are array operations: answering one over 100,000 documents takes
    well under a millisecond.
    """

    def __init__(self, doc_ids: Sequence[str], metadata: Sequence[Sequence[dict]], version: object = None):
        self.version = version  # what the table was made from (the store's project version)
        self.doc_ids = list(doc_ids)
        self.index = {doc_id: i for i, doc_id in enumerate(self.doc_ids)}
        n = len(self.doc_ids)
        self.types: dict[str, str] = {}
        self.numbers: dict[str, np.ndarray] = {}
        holders: dict[str, dict[str, list[int]]] = {}
        for position, entries in enumerate(metadata):
            for entry in entries:
                name, kind = entry["name"], entry["type"]
                if self.types.setdefault(name, kind) != kind:
                    continue  # stored under another type: uploads refuse this, so it is old data
                if kind == "string":
                    holders.setdefault(name, {}).setdefault(entry["value"], []).append(position)
                else:
                    column = self.numbers.get(name)
                    if column is None:
                        column = self.numbers[name] = np.full(n, np.nan)
                    if math.isnan(column[position]):
                        column[position] = float(entry["value"])
        self.strings: dict[str, StringColumn] = {}
        for name, by_value in holders.items():
            ranked = sorted(by_value.items(), key=lambda item: (-len(set(item[1])), item[0]))
            self.strings[name] = StringColumn([value for value, _ in ranked],
                                              [np.unique(np.array(docs, dtype=np.int64)) for _, docs in ranked])

    def __len__(self) -> int:
        return len(self.doc_ids)

    def mask(self, conditions: Sequence[Condition]) -> np.ndarray | None:
        """(n,) bool of the documents passing every condition; None for no
        condition (every document). MetadataError names a condition that does
        not fit the project's fields."""
        if not conditions:
            return None
        passing = np.ones(len(self), dtype=bool)
        for condition in conditions:
            passing &= self._condition_mask(condition)
        return passing

    def _condition_mask(self, condition: Condition) -> np.ndarray:
        kind = self.types.get(condition.name)
        if kind is None:
            known = ", ".join(repr(name) for name in sorted(self.types)[:20]) or "none"
            raise MetadataError(f"no metadata field {condition.name!r} in this project (fields: {known})")
        mask = np.zeros(len(self), dtype=bool)
        if kind == "string":
            if condition.values is None:
                raise MetadataError(f"{condition.name!r} is a string field: filter it by values, "
                                    "not minimum and maximum")
            column = self.strings.get(condition.name)
            asked = {str(v) for v in condition.values}
            if column is not None:
                for value, positions in zip(column.values, column.positions):
                    if value in asked:
                        mask[positions] = True
            return mask
        numbers = self.numbers[condition.name]
        if condition.values is not None:
            try:
                wanted = [parse_time(v) if kind == "date" else _finite(v) if not isinstance(v, str)
                          else float(v) for v in condition.values]
            except ValueError:
                raise MetadataError(f"{condition.name!r} is a {kind} field: its values are "
                                    f"{'dates' if kind == 'date' else 'numbers'}") from None
            return np.isin(numbers, np.array(wanted, dtype=np.float64))
        with np.errstate(invalid="ignore"):
            mask = ~np.isnan(numbers)
            if condition.minimum is not None:
                mask &= numbers >= condition.minimum
            if condition.maximum is not None:
                mask &= numbers <= condition.maximum
        return mask

    def score(self, name: str) -> np.ndarray:
        """(n,) float64 values of a number or score field (NaN where missing).
        MetadataError if there is no such numeric field."""
        kind = self.types.get(name)
        if kind not in ("number", "score"):
            numeric = sorted(field for field, field_kind in self.types.items() if field_kind in ("number", "score"))
            what = "no such field" if kind is None else f"a {kind} field"
            raise MetadataError(f"{name!r} is {what}; score fields here: {numeric or 'none'}")
        return self.numbers[name]

    def fields(self, most_values: int) -> list[dict]:
        """Each field: name, type, document count, and its most frequent values
        with their document counts (at most `most_values`; `value_count` is how
        many distinct values there are); numeric fields also minimum and maximum."""
        described = []
        for name in sorted(self.types):
            kind = self.types[name]
            field: dict = {"name": name, "type": kind}
            if kind == "string":
                column = self.strings[name]
                field["values"] = [{"value": value, "count": int(len(positions))}
                                   for value, positions in zip(column.values[:most_values],
                                                               column.positions[:most_values])]
                field["value_count"] = len(column.values)
                field["document_count"] = int(len(np.unique(np.concatenate(column.positions)))
                                              if column.positions else 0)
            else:
                numbers = self.numbers[name]
                present = numbers[~np.isnan(numbers)]
                field["document_count"] = int(len(present))
                field["minimum"] = float(present.min()) if len(present) else None
                field["maximum"] = float(present.max()) if len(present) else None
                distinct, counts = np.unique(present, return_counts=True)
                field["value_count"] = int(len(distinct))
                if kind != "date":
                    order = np.lexsort((distinct, -counts))[:most_values]
                    field["values"] = [{"value": _number(distinct[i]), "count": int(counts[i])} for i in order]
            described.append(field)
        return described


def _number(value: float) -> int | float:
    """A stored number as it was probably given: 5.0 as 5."""
    return int(value) if float(value).is_integer() and abs(value) < 2**53 else float(value)
