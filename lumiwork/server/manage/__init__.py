"""lumiwork's management API, mounted at /api/manage: lumiwork's own
resources beside Luminoso's APIs, one module per resource, each with the
section of GET /api/manage/ that documents it (its DOC)."""
from __future__ import annotations

from starlette.routing import Route

from ..core.dialect import Answer
from ..core.pipeline import Call, endpoint
from . import alerts, channels, deliveries
from .apidoc import documentation

RESOURCES = (channels, alerts, deliveries)
DOCUMENTATION = documentation([resource.DOC for resource in RESOURCES])


def read_documentation(call: Call) -> Answer:
    return Answer(DOCUMENTATION, media_type="text/plain; charset=utf-8")


routes = [Route("/", endpoint(read_documentation, public=True), methods=["GET"]),
          *(route for resource in RESOURCES for route in resource.routes)]
