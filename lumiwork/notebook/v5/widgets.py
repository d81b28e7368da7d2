"""ipywidgets panels for API v5: the analyst picks a filter, a concept selector
and (for drivers) a score field; each change re-calls frames and plots.

Each builder returns a Panel (notebook/panel.py) that keeps its latest `frame`
and `figure`, so tests and users can read what is shown."""
from __future__ import annotations

import ipywidgets as widgets

from ...client.v5 import V5Client
from ..panel import Panel
from . import frames, plots

NO_FILTER = "(all documents)"


class FilterControls:
    """Two dropdowns: a string field, then one of its values; `filter()` is the
    API filter they mean (None for all documents)."""

    def __init__(self, project: V5Client, field: str | None = None, value: str | None = None):
        self.project = project
        fields = frames.metadata_fields(project)
        names = [n for n, t in zip(fields["name"], fields["type"]) if t == "string"]
        self.field = widgets.Dropdown(options=[NO_FILTER, *names], value=field if field in names else NO_FILTER,
                                      description="Filter by")
        self.value = widgets.Dropdown(options=[], description="value")
        self._fill(value)
        self.field.observe(lambda change: self._fill(None), names="value")

    def _fill(self, value: str | None) -> None:
        if self.field.value == NO_FILTER:
            self.value.options, self.value.disabled = [], True
            return
        values = [str(v) for v in frames.metadata_values(self.project, self.field.value)["value"].head(200)]
        self.value.options = values
        self.value.disabled = False
        self.value.value = value if value in values else (values[0] if values else None)

    def filter(self) -> list | None:
        if self.field.value == NO_FILTER or self.value.value is None:
            return None
        return frames.where(self.field.value, self.value.value)

    @property
    def controls(self) -> list:
        return [self.field, self.value]

    def label(self) -> str:
        return "" if self.filter() is None else f" — {self.field.value}: {self.value.value}"


def selector_dropdown(project: V5Client, default: str) -> widgets.Dropdown:
    """The ways of picking concepts, plus the project's saved concept lists."""
    lists = sorted({name for name in frames.concept_lists(project)["list"]})
    options = [*frames.SELECTOR_CHOICES, *(f"list: {name}" for name in lists)]
    return widgets.Dropdown(options=options, value=default if default in options else options[0],
                            description="Concepts")


def chosen_selector(choice: str, limit: int, score_field: str | None = None) -> dict:
    if choice.startswith("list: "):
        return {"type": "concept_list", "name": choice.removeprefix("list: ")}
    chosen: dict = {**frames.SELECTOR_CHOICES[choice]}
    if chosen["type"] == "suggested":
        return {**chosen, "num_clusters": max(1, limit // 4), "num_cluster_concepts": 4}
    if chosen["type"] == "drivers_suggested":
        chosen["score_field"] = score_field
    return {**chosen, "limit": limit}


def _count_slider(limit: int) -> widgets.IntSlider:
    return widgets.IntSlider(value=limit, min=4, max=60, step=4, description="How many", continuous_update=False)


def score_drivers_panel(project: V5Client, score_field: str | None = None, filter_field: str | None = None,
                        filter_value: str | None = None, limit: int = 20) -> Panel:
    """Score drivers: which concepts raise or lower a score field, in a filter."""
    fields = frames.score_fields(project)
    if not fields:
        raise ValueError("the project has no score or number field: score drivers need one")
    score = widgets.Dropdown(options=fields, value=score_field if score_field in fields else fields[0],
                             description="Score")
    filtering = FilterControls(project, filter_field, filter_value)
    choice = selector_dropdown(project, "suggested by score")
    count = _count_slider(limit)

    def render():
        frame = frames.score_drivers(project, score.value, chosen_selector(choice.value, count.value, score.value),
                                     filtering.filter())
        figure = plots.score_drivers_chart(frame, f"What drives {score.value}{filtering.label()}")
        return frame, figure, None

    return Panel([score, *filtering.controls, choice, count], render)


def sentiment_panel(project: V5Client, filter_field: str | None = None, filter_value: str | None = None,
                    limit: int = 20) -> Panel:
    """The positive, neutral and negative share of each concept's documents, in a filter."""
    filtering = FilterControls(project, filter_field, filter_value)
    choice = selector_dropdown(project, "suggested by sentiment")
    count = _count_slider(limit)

    def render():
        frame = frames.sentiment(project, chosen_selector(choice.value, count.value), filtering.filter())
        return frame, plots.sentiment_share_chart(frame, f"Sentiment by concept{filtering.label()}"), None

    return Panel([*filtering.controls, choice, count], render)


def match_counts_panel(project: V5Client, field: str | None = None, limit: int = 12) -> Panel:
    """How often each concept comes up within each value of a string field."""
    metadata = frames.metadata_fields(project)
    names = [n for n, t in zip(metadata["name"], metadata["type"]) if t == "string"]
    if not names:
        raise ValueError("the project has no string field to break the counts down by")
    across = widgets.Dropdown(options=names, value=field if field in names else names[0], description="Across")
    choice = selector_dropdown(project, "most relevant")
    count = _count_slider(limit)

    def render():
        selected = frames.concepts_selector_from(project, chosen_selector(choice.value, count.value), None)
        frame = frames.match_counts_by(project, across.value, selected)
        return frame, plots.match_counts_across(frame, across.value), None

    return Panel([across, choice, count], render)


__all__ = ["FilterControls", "Panel", "chosen_selector", "match_counts_panel", "score_drivers_panel",
           "selector_dropdown", "sentiment_panel"]
