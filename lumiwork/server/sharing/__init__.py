"""The sharing API (dashboards, share links, exports, schedules), mounted at
/api/sharing: one module per resource, plain JSON in lumiwork's auth."""
from __future__ import annotations

from starlette.routing import Route

from ..core.dialect import Answer
from ..core.pipeline import Call, endpoint
from . import dashboards, exports, schedules, shares
from .address import share_base_url
from .apidoc import DOCUMENTATION


def documentation(call: Call) -> Answer:
    share_url = share_base_url(call.store.dashboards_dir, call.server.settings)
    return Answer(DOCUMENTATION.format(share_url=share_url),
                  media_type="text/plain; charset=utf-8")


routes = [Route("/", endpoint(documentation, public=True), methods=["GET"]),
          *dashboards.routes, *shares.routes, *exports.routes, *schedules.routes]
