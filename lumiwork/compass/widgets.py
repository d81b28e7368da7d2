"""A panel where an analyst types a boolean topic and sees, live, which messages
match and why (each operand's score)."""
from __future__ import annotations

import html

import ipywidgets as w

from ..client import LuminosoError
from .client import CompassClient


def match_table(answer: dict) -> str:
    """The matching messages as an HTML table: score, then one column per operand."""
    operands = answer["operands"]
    head = "".join(f"<th>{html.escape(op)}</th>" for op in operands)
    rows = []
    for result in answer["results"]:
        cells = "".join(f"<td>{result['operand_scores'][op]:.2f}</td>" for op in operands)
        rows.append(f"<tr><td>{result['score']:.2f}</td>{cells}<td>{html.escape(result['text'])}</td></tr>")
    unknown = answer.get("unknown_operands") or []
    note = (f"<p>The project's space does not know: {html.escape(', '.join(unknown))}.</p>" if unknown else "")
    summary = f"<p>{answer['count']} matching message(s); the best {len(answer['results'])}:</p>"
    return (note + summary + f"<table><tr><th>score</th>{head}<th>message</th></tr>{''.join(rows)}</table>")


def topic_matcher(client: CompassClient, project_id: str, topic: str = "river OR water",
                  limit: int = 10) -> w.VBox:
    """Text box for a topic specification, a threshold slider (applied on release),
    and the matching messages; errors (syntax, server down) replace the old result."""
    text = w.Text(value=topic, description="topic", continuous_update=False,
                  layout=w.Layout(width="60%"))
    threshold = w.FloatSlider(value=0.4, min=0, max=1, step=0.05, description="threshold",
                              continuous_update=False)
    result = w.HTML()
    message = w.HTML()

    def update(_=None) -> None:
        try:
            answer = client.post(client.project_path(project_id) + "match/", topic=text.value,
                                 limit=limit, threshold=threshold.value)
        except LuminosoError as exc:
            result.value = ""
            message.value = f"<b>{html.escape(str(exc))}</b>"
            return
        message.value = ""
        result.value = match_table(answer)

    text.observe(update, "value")
    threshold.observe(update, "value")
    update()
    panel = w.VBox([w.HBox([text, threshold]), message, result])
    panel.update = update  # type: ignore[attr-defined]
    return panel
