"""The Compass API (classifiers and message streams), mounted at /compass/api:
one module per resource, Django-REST conventions (see http.py)."""
from __future__ import annotations

from . import classifiers, messages, projects, stats, tokens, topics, users

routes = [*tokens.routes, *users.routes, *projects.routes, *classifiers.routes, *messages.routes,
          *topics.routes, *stats.routes]
