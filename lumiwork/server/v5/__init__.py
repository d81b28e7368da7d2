"""API v5 (Luminoso Daylight's), mounted at /api/v5: one module per resource,
answers as they are and errors as {"error", "message"} (dialect.py)."""
from __future__ import annotations

from starlette.routing import Route

from ..core.dialect import Answer
from ..core.pipeline import Call, endpoint
from . import concept_lists, concepts, docs, projects, users
from .apidoc import documentation_text


def documentation(call: Call) -> Answer:
    return Answer(documentation_text(), media_type="text/plain; charset=utf-8")


routes = [
    Route("/", endpoint(documentation, public=True), methods=["GET"]),
    *concepts.routes, *docs.routes, *concept_lists.routes, *projects.routes, *users.routes,
]
