"""The plain-text documentation served at GET /api/manage/: the conventions,
then each resource's own section (its module's DOC)."""
from __future__ import annotations

from ...wire.webhooks import TOLERANCE_SECONDS

CONVENTIONS = f"""\
lumiwork management API
=======================

lumiwork's own resources, beside Luminoso's APIs: channels (where notifications go),
alerts (rules on Compass topics) and their deliveries. Every path is under /api/manage/
and may end with or without a slash. Authentication: 'Authorization: Token <token>', the
tokens of API v4 and Compass (the same users, accounts and permissions: read to see,
write to create and delete). Parameters: GET/DELETE in the query string; POST as a JSON
body or form fields. Answers: the object itself, 201 on create, 204 on delete, lists as
JSON arrays; errors as {{"error": CODE, "message": "...", "fields": {{...}}}} (fields for
field errors). Times are ISO 8601 in UTC; durations are seconds or 30s, 5m, 1h, 1h30m, 2d.

Webhooks: each notification is a POST of JSON {{"id", "event", "time", ...}} with headers
webhook-id (the event id, the same on every retry; also sent as Idempotency-Key),
webhook-timestamp (seconds since 1970 of the attempt) and webhook-signature
("v1,<base64 HMAC-SHA256 of '<id>.<timestamp>.<body>'>", the key being the base64-decoded
part of a whsec_ secret, else the secret's UTF-8 bytes): Standard Webhooks' convention.
Receivers should refuse a timestamp more than {TOLERANCE_SECONDS // 60} minutes away and drop an id already seen.
A 2xx answer is a delivery; 5xx, 408, 409, 425, 429 and no answer are retried with
exponential backoff (5 s doubling to 1 h, +-20 %, for up to 3 days, Retry-After honoured);
a redirect or another 4xx fails the delivery at once.
"""


def documentation(sections: list[str]) -> str:
    return CONVENTIONS + "".join("\n" + section for section in sections)
