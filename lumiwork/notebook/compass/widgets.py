"""Compass panels: controls whose callbacks re-call the Compass frames."""
from __future__ import annotations

import ipywidgets as widgets

from ...client import CompassClient
from ..panel import Panel
from ..tables import Table, readable
from . import frames


def topic_matcher(project: CompassClient, topic: str = "river OR water", limit: int = 10) -> Panel:
    """A text box for a boolean topic and a threshold slider (applied on
    release) over the messages that match, best first, with each operand's
    score (why a message matches). No match shows a line saying so, not an empty
    table. A topic with a syntax error, or a server that is down, clears the
    table and shows one line saying so."""
    text = widgets.Text(value=topic, description="topic", continuous_update=False,
                        layout=widgets.Layout(width="60%"))
    threshold = widgets.FloatSlider(value=0.4, min=0, max=1, step=0.05, description="threshold",
                                    continuous_update=False)

    def render():
        frame = frames.topic_matches(project, text.value, threshold.value, limit)
        count = frame.attrs["count"]
        if count == 0:
            caption = f"No message matches “{text.value}” at a threshold of {threshold.value:g}"
        else:
            caption = (f"{count} matching message{'s' if count != 1 else ''}"
                       + (f"; the best {len(frame)}" if count > len(frame) else ""))
            last = frame["score"].iloc[-1]
            if frame.attrs["tied"] > (frame["score"] == last).sum():  # the shown ones are a choice
                caption += (f" ({frame.attrs['tied']} score {last:.2f}: those matching more of the"
                            " topic first, then the newest)")
        note = frame.attrs.get("note")
        frame.attrs["note"] = f"{caption}. {note}" if note else caption
        table = Table(readable(frame.drop(columns=["message_id"]))) if len(frame) else None
        return frame, None, table

    return Panel([text, threshold], render)


__all__ = [
    'topic_matcher'
]
