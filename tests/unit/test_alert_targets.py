"""The documents an alert on an API v5 concept counts in a window: still
stored, passing the target's filter, and dated in (after, until] by the
target's date field, compared with a document-by-document reading."""
from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from lumiwork.engine.metadata import MetadataTable
from lumiwork.server.notify.targets import V5Concept

MOMENTS = st.integers(min_value=0, max_value=20).map(float)  # few values: boundaries are hit often


@st.composite
def stored_documents(draw):
    """A metadata table (dates may be missing) and the model's rows into it."""
    count = draw(st.integers(min_value=0, max_value=12))
    dates = draw(st.lists(st.none() | MOMENTS, min_size=count, max_size=count))
    sources = draw(st.lists(st.sampled_from(["web", "store"]), min_size=count, max_size=count))
    metadata = [[{"type": "string", "name": "source", "value": source}]
                + ([] if date is None else [{"type": "date", "name": "posted", "value": date}])
                for date, source in zip(dates, sources)]
    table = MetadataTable([f"d{i}" for i in range(count)], metadata)
    rows = draw(st.lists(st.integers(min_value=-1, max_value=count - 1), max_size=12))
    return table, dates, sources, np.array(rows, dtype=np.int64)


@given(documents=stored_documents(), after=MOMENTS, span=MOMENTS, web_only=st.booleans())
def test_a_document_counts_when_stored_filtered_and_dated_inside_the_window(documents, after, span, web_only):
    table, dates, sources, rows = documents
    until = after + span
    target = {"date_field": "posted", **({"filter": [{"name": "source", "values": ["web"]}]} if web_only else {})}
    counted = V5Concept.dated(table, target, after, until, rows)
    expected = [row >= 0 and dates[row] is not None and after < dates[row] <= until
                and (not web_only or sources[row] == "web") for row in rows]
    assert counted.tolist() == expected
