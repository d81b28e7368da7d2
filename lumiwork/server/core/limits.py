"""Size limits, documented in each API's GET / and enforced by the pipeline and
the routes."""
from __future__ import annotations

DEFAULT_MAX_BODY = 64 * 1024 * 1024
MAX_JSON_DEPTH = 32
INT64_MAX = 2**63 - 1
INT64_MIN = -(2**63)
#: Longest accepted value, in characters, of each kind of field (and counts per request).
LIMITS = {
    "document text": 500_000,
    "document title": 1_000,
    "subset name": 500,
    "subsets per document": 100,
    "documents per upload": 100_000,
    "query text": 100_000,
    "project name": 200,
    "project description": 10_000,
    "topic name": 200,
    "topic text": 10_000,
    "term": 500,
    "any other parameter": 100_000,
}
