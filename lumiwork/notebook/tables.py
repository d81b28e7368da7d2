"""Tables for people: frames' DataFrames made readable (ids hidden, numbers
rounded, dates as dates, subsets in natural order) and shown as sortable,
searchable DataTables (itables, offline: its JavaScript is embedded once per
notebook by `init_offline()`, so exported reports need no network), with CSV
and Excel download buttons. Export files are offered as links."""
from __future__ import annotations

import html
import os
import re
from pathlib import Path
from urllib.parse import quote

import pandas as pd

from ..wire.names import ALL_SUBSET
from .labels import readable_name

ID_COLUMNS = ("doc_id", "topic_id", "project_id", "account_id", "_id")
DOWNLOAD_BUTTONS = ["copyHtml5", "csvHtml5", "excelHtml5"]


def natural_key(name: str):
    """Sort key that orders embedded numbers numerically ("Chapter 2" before
    "Chapter 10"); ``__all__`` first."""
    return (name != ALL_SUBSET,
            [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)])


def is_id_column(name: str) -> bool:
    """Whether a column holds ids rather than something a reader reads: the
    documents', topics', projects' and accounts' ids, and term ids ("river|en")."""
    return name in ID_COLUMNS or name in ("term_id", "term_ids") or name.endswith("_term_ids")


def readable(frame: pd.DataFrame, show_ids: bool = False, digits: int = 3) -> pd.DataFrame:
    """A copy for reading: id columns dropped (unless `show_ids`; `is_id_column`),
    floats rounded to `digits`, datetimes as dates (or minutes, when they differ
    within a day), booleans as yes / no, lists joined with ", ", missing values
    blank, span columns dropped, a `subset` column (or a subset index) in natural
    order ("Chapter 2" before "Chapter 10"), and wire names in cells, column names
    and the index as readers' names (``__all__`` -> "All documents", see labels.py)."""

    out = frame.copy()
    if not show_ids:
        out = out.drop(columns=[c for c in out.columns if is_id_column(str(c))])
    out = out.drop(columns=[c for c in out.columns if str(c).endswith("_spans")])
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            naive = values.dt.tz_localize(None) if values.dt.tz is not None else values
            whole_days = (naive.dropna() == naive.dropna().dt.normalize()).all()
            out[column] = naive.dt.strftime("%Y-%m-%d" if whole_days else "%Y-%m-%d %H:%M")
        elif pd.api.types.is_bool_dtype(values):
            out[column] = values.map({True: "yes", False: "no"})
        elif pd.api.types.is_float_dtype(values):
            out[column] = values.round(digits)
        elif values.dtype == object and values.map(lambda v: isinstance(v, (list, tuple))).any():
            out[column] = values.map(lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
        if out[column].isna().any():  # a reader sees a blank cell, not NaN or None
            out[column] = out[column].astype(object).where(out[column].notna(), "")
    if "subset" in out.columns:
        out = out.iloc[sorted(range(len(out)), key=lambda i: natural_key(str(out["subset"].iloc[i])))]
        out = out.reset_index(drop=True)
    elif out.index.dtype == object and all(isinstance(i, str) for i in out.index):
        if any(str(i).startswith("Chapter") for i in out.index):
            out = out.loc[sorted(out.index, key=natural_key)]
    return _with_readable_names(out)


def _with_readable_names(frame: pd.DataFrame) -> pd.DataFrame:
    for column in frame.columns:
        values = frame[column]
        if values.dtype == object or pd.api.types.is_string_dtype(values):
            frame[column] = values.map(readable_name)
    frame.columns = pd.Index([readable_name(c) for c in frame.columns], name=frame.columns.name)
    if frame.index.inferred_type in ("string", "mixed"):
        frame.index = pd.Index([readable_name(i) for i in frame.index], name=frame.index.name)
    return frame


def init_offline() -> None:
    """Embed DataTables (itables' offline bundle) in this notebook, once; later
    `show()` tables work without a network, in JupyterLab and in reports."""
    import itables

    itables.init_notebook_mode(all_interactive=False, connected=False)


class Table:
    """A readable, sortable, searchable table; displays as a DataTable."""

    def __init__(self, frame: pd.DataFrame, caption: str | None = None, show_index: bool = False,
                 page_length: int = 15):
        self.frame = frame
        self.caption = caption
        self.show_index = show_index
        self.page_length = page_length

    def _repr_html_(self) -> str:
        from itables import to_html_datatable

        return to_html_datatable(self.frame, caption=self.caption, connected=False,
                                 showIndex=self.show_index, buttons=DOWNLOAD_BUTTONS,
                                 pageLength=self.page_length, maxBytes=0, classes="display compact",
                                 columnDefs=[{"className": "dt-left", "targets": self.text_columns()}])

    def text_columns(self) -> list[int]:
        """Positions (the index first, when shown) of the columns that hold text:
        read from the left, as text is; JupyterLab's style right-aligns every cell."""
        kinds = ([self.frame.index.dtype] if self.show_index else []) + list(self.frame.dtypes)
        return [i for i, kind in enumerate(kinds)
                if not (pd.api.types.is_numeric_dtype(kind) or pd.api.types.is_bool_dtype(kind))]

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        """In a dashboard's run, the table's data as CSV too (what a CSV export
        saves); elsewhere nothing more than the HTML table."""
        from ..settings import Settings

        if Settings.from_environment().dashboard is None:
            return {}
        return {"text/csv": self.frame.to_csv(index=self.show_index)}

    def __repr__(self) -> str:
        return self.frame.to_string(max_rows=20)


def show(frame: pd.DataFrame, caption: str | None = None, show_ids: bool = False,
         digits: int = 3, page_length: int = 15) -> Table:
    """`readable(frame)` as a Table: sortable, searchable, with copy / CSV /
    Excel buttons. A named index (e.g. topic names) is shown as a column."""
    table = readable(frame, show_ids=show_ids, digits=digits)
    show_index = not isinstance(table.index, pd.RangeIndex)
    return Table(table, caption=caption, show_index=show_index, page_length=page_length)


class Links:
    """Links to files written by a notebook, relative to its folder (where
    JupyterLab resolves them). `lumiwork report` copies the files beside the
    report it writes and points the links there (it finds them by the
    `lumiwork-download` class)."""

    def __init__(self, paths, base: str | Path | None = None):
        self.paths = [Path(p) for p in paths]
        self.base = Path(base) if base else Path.cwd()

    def _repr_html_(self) -> str:
        items = []
        for path in self.paths:
            relative = os.path.relpath(path.resolve(), self.base.resolve())
            href = html.escape(quote(Path(relative).as_posix()), quote=True)  # a name may hold # or spaces
            size = f" ({path.stat().st_size:,} bytes)" if path.is_file() else " (missing)"
            items.append(f"<li><a class='lumiwork-download' href='{href}' download>"
                         f"{html.escape(path.name)}</a>{size}</li>")
        return "<ul class='lumiwork-downloads'>" + "".join(items) + "</ul>"

    def __repr__(self) -> str:
        return "\n".join(str(p) for p in self.paths)


def download_links(*paths, base: str | Path | None = None) -> Links:
    """Links to exported files, e.g. `download_links("exports/a.csv", "exports/a.xlsx")`."""
    return Links(paths, base)


__all__ = [
    'DOWNLOAD_BUTTONS', 'ID_COLUMNS', 'Links', 'Table', 'download_links', 'init_offline', 'readable',
    'show'
]
