"""A dashboard run without a browser: the export of one run, in its own folder.

`python -m lumiwork.tools.headless NOTEBOOK FORMAT FOLDER` runs a copy of the
dashboard's notebook in FOLDER through the report machinery (report.py) and
leaves there what FORMAT asks for:

- html: the report (dashboard.html), which is also the dashboard's snapshot;
- pdf: the report and its PDF (dashboard.pdf);
- png: one image per figure (figure-1.png, ...), drawn by kaleido with Debian's Chromium;
- csv: one file per table (table-1.csv, ...), from the tables the notebook showed.

It prints the files made, one a line, after a line `files:`. The server runs
it as a child process with the dashboard's own token and project in its
environment (server/sharing/runs.py).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path

from .report import ReportError, build_report, find_chromium

FORMATS = ("html", "pdf", "png", "csv")
PLOTLY = "application/vnd.plotly.v1+json"
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def _outputs_in_order(nb) -> list[dict]:
    """Every output of the executed notebook in reading order, those inside
    widgets (a panel's Output, a box's children) where the widget is."""
    state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
    found: list[dict] = []

    def widget(model_id: str, seen: set[str]) -> None:
        if model_id in seen or model_id not in state:
            return
        seen.add(model_id)
        model = state[model_id].get("state", {})
        for output in model.get("outputs", []) or []:
            visit(output, seen)
        for child in model.get("children", []) or []:
            if isinstance(child, str) and child.startswith("IPY_MODEL_"):
                widget(child[len("IPY_MODEL_"):], seen)
        if "_widget_data" in model:  # a plotly FigureWidget
            found.append({"data": {PLOTLY: {"data": model.get("_widget_data", []),
                                            "layout": model.get("_widget_layout", {})}}})

    def visit(output: dict, seen: set[str]) -> None:
        data = output.get("data", {})
        if WIDGET_VIEW in data:
            widget(data[WIDGET_VIEW].get("model_id", ""), seen)
        else:
            found.append(output)

    for cell in nb.cells:
        for output in cell.get("outputs", []):
            visit(output, set())
    return found


_NEW_PLOT = re.compile(r"Plotly\.newPlot\(\s*\"[^\"]+\",\s*")


def _figures_in_html(text: str) -> list[dict]:
    """Figures drawn by plotly's own HTML (a panel's static view: plotly.io.to_html),
    read from the data and layout it passes to Plotly.newPlot."""
    decoder, figures = json.JSONDecoder(), []
    for match in _NEW_PLOT.finditer(text):
        try:
            data, end = decoder.raw_decode(text, match.end())
            layout, _ = decoder.raw_decode(text, re.compile(r",\s*").match(text, end).end())  # type: ignore[union-attr]
        except (ValueError, AttributeError):
            continue
        figures.append({"data": data, "layout": layout})
    return figures


def figures_of(nb) -> list:
    """The plotly figures the executed notebook showed, in order: figure
    outputs, and the charts of widget panels (as their static HTML has them)."""
    import plotly.graph_objects as go

    figures = []
    for output in _outputs_in_order(nb):
        data = output.get("data", {})
        if PLOTLY in data:
            figures.append(go.Figure(data[PLOTLY]))
        elif "Plotly.newPlot" in str(data.get("text/html", "")):
            figures.extend(go.Figure(figure) for figure in _figures_in_html(str(data["text/html"])))
    return figures


def tables_of(nb) -> list[str]:
    """The CSV of each table the executed notebook showed, in order."""
    return [output["data"]["text/csv"] for output in _outputs_in_order(nb) if "text/csv" in output.get("data", {})]


def run(notebook: Path, format: str, folder: Path) -> list[str]:
    """Run the dashboard's notebook in `folder` and write `format`; returns the files' names."""
    if format not in FORMATS:
        raise ReportError(f"unknown format {format!r}: one of {', '.join(FORMATS)}")
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / "dashboard.ipynb"
    shutil.copyfile(notebook, copy)
    executed: dict = {}
    try:
        build_report(copy, folder / "dashboard.html", pdf=format == "pdf", progress=None,
                     executed=lambda nb: executed.setdefault("nb", nb))
    finally:
        copy.unlink(missing_ok=True)
    files = ["dashboard.html"] + (["dashboard.pdf"] if format == "pdf" else [])
    if format == "png":
        chromium = find_chromium()
        if chromium:
            os.environ.setdefault("BROWSER_PATH", chromium)  # kaleido's Chromium
        for number, figure in enumerate(figures_of(executed["nb"]), start=1):
            name = f"figure-{number}.png"
            (folder / name).write_bytes(figure.to_image(format="png", width=1000, height=figure.layout.height or 500,
                                                        scale=2))
            files.append(name)
    if format == "csv":
        for number, text in enumerate(tables_of(executed["nb"]), start=1):
            name = f"table-{number}.csv"
            (folder / name).write_text(text, encoding="utf-8")
            files.append(name)
    return files


def main(argv: list[str]) -> int:
    notebook, format, folder = Path(argv[0]), argv[1], Path(argv[2])
    try:
        files = run(notebook, format, folder)
    except ReportError as exc:
        print(f"error: {exc}", flush=True)
        return 1
    print("files:")
    for name in files:
        print(name)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

__all__ = ["FORMATS", "figures_of", "run", "tables_of"]
