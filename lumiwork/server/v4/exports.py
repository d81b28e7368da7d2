"""Correlation matrices as JSON, CSV or XLSX files."""
from __future__ import annotations

import csv
import io

from ..core.dialect import Answer
from ..core.errors import ApiError
from ..core.jsonstrict import CONTROL_CHARACTERS

FILE_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
# Spreadsheets run a cell that starts with one of these as a formula.
_FORMULA_START = ("=", "+", "-", "@")


def safe_cell(text: str) -> str:
    """A label as a spreadsheet shows it literally: no control characters
    (xlsx cannot hold them) and no formula (a name like "=HYPERLINK(...)")."""
    text = CONTROL_CHARACTERS.sub(" ", text)
    return "'" + text if text.startswith(_FORMULA_START) else text


def matrix_answer(file_format: str, row_ids, row_names, column_ids, column_names, values):
    """A matrix as JSON ({row_id: {column_id: value}}), or a csv / xlsx file."""
    file_format = file_format.lower()
    if file_format == "json":
        return {r: {c: float(v) for c, v in zip(column_ids, row)} for r, row in zip(row_ids, values)}
    if file_format not in FILE_TYPES:
        raise ApiError(400, "INVALID_PARAMETER", "parameter 'format' must be json, csv or xlsx")
    table: list[list[str | float]] = [["", *map(safe_cell, column_names)]]
    table += [[safe_cell(name), *map(float, row)] for name, row in zip(row_names, values)]
    if file_format == "csv":
        out = io.StringIO()
        csv.writer(out).writerows(table)
        return Answer(out.getvalue(), media_type=FILE_TYPES["csv"])
    return Answer(_xlsx(table), media_type=FILE_TYPES["xlsx"])


def _xlsx(table: list[list[str | float]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "correlations"
    for row in table:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
