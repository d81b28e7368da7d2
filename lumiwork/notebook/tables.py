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

import pandas as pd

from ..wire.names import ALL_SUBSET

ID_COLUMNS = ("doc_id", "topic_id", "project_id", "account_id", "_id")
DOWNLOAD_BUTTONS = ["copyHtml5", "csvHtml5", "excelHtml5"]


def natural_key(name: str):
    """Sort key that orders embedded numbers numerically ("Chapter 2" before
    "Chapter 10"); ``__all__`` first."""
    return (name != ALL_SUBSET,
            [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", name)])


def readable(frame: pd.DataFrame, show_ids: bool = False, digits: int = 3) -> pd.DataFrame:
    """A copy for reading: id columns dropped (unless `show_ids`), floats rounded
    to `digits`, datetimes as dates (or minutes, when they differ within a day),
    lists joined with ", ", span columns dropped, and a `subset` column (or a
    subset index) in natural order ("Chapter 2" before "Chapter 10")."""

    out = frame.copy()
    if not show_ids:
        out = out.drop(columns=[c for c in out.columns if str(c) in ID_COLUMNS])
    out = out.drop(columns=[c for c in out.columns if str(c).endswith("_spans")])
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_datetime64_any_dtype(values):
            naive = values.dt.tz_localize(None) if values.dt.tz is not None else values
            whole_days = (naive.dropna() == naive.dropna().dt.normalize()).all()
            out[column] = naive.dt.strftime("%Y-%m-%d" if whole_days else "%Y-%m-%d %H:%M")
        elif pd.api.types.is_float_dtype(values):
            out[column] = values.round(digits)
        elif values.dtype == object and values.map(lambda v: isinstance(v, (list, tuple))).any():
            out[column] = values.map(lambda v: ", ".join(map(str, v)) if isinstance(v, (list, tuple)) else v)
    if "subset" in out.columns:
        out = out.iloc[sorted(range(len(out)), key=lambda i: natural_key(str(out["subset"].iloc[i])))]
        out = out.reset_index(drop=True)
    elif out.index.dtype == object and all(isinstance(i, str) for i in out.index):
        if any(str(i).startswith("Chapter") for i in out.index):
            out = out.loc[sorted(out.index, key=natural_key)]
    return out


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
                                 pageLength=self.page_length, maxBytes=0, classes="display compact")

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
    """Links to files written by a notebook, relative to its folder (so they
    also work beside an exported report)."""

    def __init__(self, paths, base: str | Path | None = None):
        self.paths = [Path(p) for p in paths]
        self.base = Path(base) if base else Path.cwd()

    def _repr_html_(self) -> str:
        items = []
        for path in self.paths:
            relative = os.path.relpath(path.resolve(), self.base.resolve())
            href = html.escape(Path(relative).as_posix(), quote=True)
            size = f" ({path.stat().st_size:,} bytes)" if path.is_file() else " (missing)"
            items.append(f"<li><a href='{href}' download>{html.escape(path.name)}</a>{size}</li>")
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
