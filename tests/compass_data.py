"""The Compass test sets of tests/data/: the classifier of Siddhartha's themes, the
held-out on-topic sentences and the off-domain texts (each fixed before the
topic-based calibration was chosen on the *-tuning sets)."""
from __future__ import annotations

from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def rows(name: str) -> list[list[str]]:
    """A tab-separated file's rows, without comments and blank lines."""
    lines = (DATA / name).read_text(encoding="utf-8").splitlines()
    return [line.split("\t") for line in lines if line and not line.startswith("#")]


THEMES = [{"title": title, "info": info} for kind, title, info in rows("classify-topics.tsv") if kind == "topic"]
OFF_DOMAIN = {name: [text for _, text in rows(name)] for name in ("compass-off-domain.tsv", "compass-off-domain-2.tsv")}
ON_TOPIC = ([(text, title) for kind, title, text in rows("classify-topics.tsv") if kind == "text"]
            + [(text, title) for _, title, text in rows("classify-topics-heldout-2.tsv")]
            + [(text, title) for _, title, text in rows("classify-topics-heldout-3.tsv")])
