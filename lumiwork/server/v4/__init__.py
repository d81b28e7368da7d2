"""The Analytics API v4 routes, one module per resource, mounted at /api/v4."""
from __future__ import annotations

from starlette.routing import Route

from ..core.dialect import Answer
from ..core.pipeline import Call, endpoint
from . import accounts, docs, projects, search, subsets, topics, users
from .apidoc import documentation_text


def documentation(call: Call) -> Answer:
    statuses = "\n".join(f"  {language}: {status}" for language, status in call.server.background.statuses().items())
    return Answer(documentation_text(statuses), media_type="text/plain; charset=utf-8")


def ping(call: Call) -> str:
    return "pong"


# Starlette tries routes in turn: the searches and statistics, asked for most,
# come first (each route tried before the right one costs a regex match). No two
# patterns overlap, so the order changes nothing else.
routes = [
    Route("/", endpoint(documentation, public=True), methods=["GET"]),
    Route("/ping/", endpoint(ping, public=True), methods=["GET", "POST", "PUT", "PATCH", "DELETE"]),
    *search.routes, *topics.routes, *subsets.routes, *docs.routes, *projects.routes,
    *users.routes, *accounts.routes,
]
