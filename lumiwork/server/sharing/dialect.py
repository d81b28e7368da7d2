"""The sharing API's dialect: plain JSON results, errors as {"error", "message"}."""
from __future__ import annotations

from ..core.dialect import Dialect

ROOT = "/api/sharing"


class SharingDialect(Dialect):
    name = "sharing"
    root = ROOT
