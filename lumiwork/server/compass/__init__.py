"""The Compass API (classifiers and message streams), mounted at /compass/api:
one module per resource, Django-REST conventions (see http.py)."""
from __future__ import annotations

from starlette.responses import PlainTextResponse
from starlette.routing import Route

from . import classifiers, messages, projects, stats, tokens, topics, users
from .apidoc import DOCUMENTATION


async def documentation(request) -> PlainTextResponse:
    return PlainTextResponse(DOCUMENTATION)


routes = [Route("/", documentation, methods=["GET"]), *tokens.routes, *users.routes, *projects.routes,
          *classifiers.routes, *messages.routes, *topics.routes, *stats.routes]
