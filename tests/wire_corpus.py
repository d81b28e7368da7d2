"""A recorded corpus of requests and answers over every route of API v4 (/api/v4/)
and Compass (/compass/api/), and the code that records and replays it.

The corpus pins down what the server says on the wire: status, the headers that
matter, and the body, for successes and for the typical errors of each resource
(400 missing or invalid parameter, 401, 403, 404, 405, 413, 429). A replay
against a fresh server must give the same answers, except for what is random or
clock-made (ids, tokens, secrets, times), which `Normalizer` replaces by stable
placeholders. Compass's integer ids (classifiers, classifier and project
topics, messages, documents, permissions) are placeholders too: they are the
store's sequence numbers, and the restructured store numbers topics from one
sequence where the old one had two.

    python -m tests.wire_corpus record      # writes tests/data/wire-corpus.json
    python tests/wire_corpus.py record [PATH]
    python tests/wire_corpus.py replay      # replays and prints the differences
    python tests/wire_corpus.py replay --ignore-changes   # compares every entry to the corpus
    python tests/wire_corpus.py changes     # records the new answers of the changed entries

The corpus is a recording of the server as it was before its restructuring
(one pipeline for API v4 and Compass, one store): a replay on the current code
proves that the move changed nothing it was not meant to. What it was meant to
change is listed in tests/data/wire-corpus-changes.json,

    {"<entry name>": {"reason": "why the answer changed", "answer": <normalized answer>}}

and each listed entry is compared to its answer there instead of the recorded
one (`replay`, and tests/integration/test_wire_corpus.py; `replay
--ignore-changes` compares every entry to the corpus, which the code the corpus
was recorded on must pass). An entry listed with "answer": null is a difference
until `changes` records it: that command replays the sequence on the current
code and writes the answer of each listed entry (reasons stay); it prints every
entry not listed that differs from the corpus, a regression or a change to list
with its reason, and the listed entries that answered as recorded after all.
To change a behaviour on purpose: add its steps to the sequence, record the
corpus on the code before the change (for the restructuring, the lumiwork/ of
commit 783a9ea with this file: `PYTHONPATH=<that checkout> python
tests/wire_corpus.py record`), list the entries with their reason and
"answer": null, and run `changes` on the changed code. Never record the corpus
on the changed code: its answers would become the reference and the difference
would no longer show.

The project is small (90 Siddhartha sentences from three chapters, read at run
time with lumiwork.datasets), so a replay takes well under a minute.

Background knowledge stays on (the server's default): answers then carry
`background` flags and `background_terms`, which a server without it would
not exercise. Its cache goes where LUMIWORK_BACKGROUND_DIR says (tests/conftest.py
points it at one folder per test run, so it is built once, ~3 s); when unset,
the server's data folder holds it. It is built deterministically from GloVe and
WordNet, so the corpus depends on those being installed, as the rest of the
test suite does; GET /api/v4/ names its state, which shows in a diff first.

Waiting is deterministic and never metered: recalculations are awaited by
polling GET /api/v4/projects/ (not counted in an account's usage, unlike the
job endpoints, so GET accounts/<a>/usage/ gives exact call counts), Compass
classifier builds by polling the classifier list until none is "building" (or
one classifier until it is "ready"), and the clustering that posting messages
starts by polling the pending topics.
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests

REPO = Path(__file__).resolve().parents[1]
CORPUS_PATH = REPO / "tests" / "data" / "wire-corpus.json"
CHANGES_PATH = REPO / "tests" / "data" / "wire-corpus-changes.json"
CHANGES_COMMAND = "python tests/wire_corpus.py changes"
SIDDHARTHA = REPO.parent / "shared" / "data" / "siddhartha.txt"
# 2: Compass's integer ids are placeholders too
FORMAT = 2

ADMIN, ADMIN_PASSWORD = "admin@example.com", "wire corpus admin password"
READER, READER_PASSWORD = "reader@example.com", "reader password one"
HELPER, HELPER_PASSWORD = "helper@example.com", "helper password one"
# The server's body limit for the corpus: small enough that a 413 for the body's
# size is cheap to provoke, large enough for every other request here.
MAX_BODY = 1024 * 1024
# API v4 and Compass both refuse more than this many documents, messages or texts a request.
MOST_ITEMS = 100_000
# Failed logins (per user name, and per address) before login answers 429 (GET /api/v4/ says so).
LOGIN_ATTEMPTS = 10
POLL_TIMEOUT = 180.0

# Chapters of the v4 project (one subset each) and the Compass labels of their sentences.
CHAPTERS = {"Chapter 1:": "brahman", "Chapter 6:": "merchant", "Chapter 9:": "ferryman"}
PER_CHAPTER = 30
# Fixed dates: times the script chooses are kept in the corpus (see `near_now`).
DOC_DATE = 1388577600.0          # 2014-01-01T12:00:00Z
MESSAGE_START = 1408276800.0     # 2014-08-17T12:00:00Z
STATS_AT = "2014-08-17T16:00:00+00:00"


# ---- the documents --------------------------------------------------------------------------

def corpus_texts(siddhartha_path: str | os.PathLike) -> dict[str, Any]:
    """The bodies the sequence sends, from the Siddhartha text: the v4 documents (in
    two uploads), the Compass documents and the messages, plus bulk bodies."""
    from lumiwork.datasets import siddhartha

    sentences = siddhartha(siddhartha_path)
    chosen: list[dict] = []
    for prefix in CHAPTERS:
        chosen += [d for d in sentences if d["subsets"][0].startswith(prefix)][:PER_CHAPTER]
    v4_docs = []
    for i, doc in enumerate(chosen):
        item = {"text": doc["text"], "title": doc["title"], "subsets": doc["subsets"]}
        # numbers in the first upload, ISO 8601 strings in the second
        day = DOC_DATE + i * 86400
        item["date"] = day if i < 2 * PER_CHAPTER else datetime.fromtimestamp(day, UTC).isoformat()
        v4_docs.append(item)
    v4_docs[-1]["mood"] = "calm"  # an unknown field: a warning, not an error

    def label(doc: dict) -> str:
        return next(name for prefix, name in CHAPTERS.items() if doc["subsets"][0].startswith(prefix))

    compass_docs = [{"text": d["text"], "label": label(d), "dataset": "book"} for d in chosen]
    river = [d for d in sentences if d["subsets"][0].startswith("Chapter 8:")][:20]
    kamala = [d for d in sentences if d["subsets"][0].startswith("Chapter 5:")][:20]
    messages = [{"text": d["text"], "timestamp": MESSAGE_START + i * 300,
                 "source_id": "river" if i < len(river) else "kamala"}
                for i, d in enumerate(river + kamala)]
    return {
        "v4_docs_a": v4_docs[:2 * PER_CHAPTER],
        "v4_docs_b": v4_docs[2 * PER_CHAPTER:],
        "compass_docs": compass_docs,
        "messages": messages,
        "too_many": [{}] * (MOST_ITEMS + 1),
        "too_large": "x" * (MAX_BODY + 1000),
    }


# ---- the sequence ---------------------------------------------------------------------------

@dataclass
class Poll:
    """Repeat a request until `where` (a dotted path into the JSON answer, "*" for
    every item of a list) meets `test`: "not-null", "!=" (the variable `value`),
    ">" (the number `value`), "is" (equals `value`) or "none" (no item equals `value`)."""

    where: str
    test: str
    value: Any = None


@dataclass
class Step:
    """One request. Strings may name variables as {name} (their text) or, as a whole
    value, {@name} (the object itself). `auth` names the variable holding the token,
    "!<header value>" sends that Authorization header, None sends none. `save` takes
    variables from the answer: {name: "dotted.path"} or {name: ("path", regex)}."""

    name: str
    method: str
    path: str
    auth: str | None = None
    query: dict | None = None
    form: dict | None = None
    json: Any = None
    raw: str | None = None
    content_type: str | None = None
    headers: dict | None = None
    save: dict = field(default_factory=dict)
    poll: Poll | None = None
    # (regex, replacement) applied to the normalized answer: for the few values
    # that depend on timing (a 429's seconds to wait), each with its reason here
    mask: tuple = ()
    failed_login: bool = False


V4, CA = "/api/v4/", "/compass/api/"


def v4(name: str, method: str, path: str, auth: str | None = "admin", **kw) -> Step:
    return Step(f"v4 {name}", method, V4 + path, auth, **kw)


def compass(name: str, method: str, path: str, auth: str | None = "cadmin", **kw) -> Step:
    return Step(f"compass {name}", method, CA + path, auth, **kw)


P = "projects/{account}/{project}/"          # the v4 project
S = "projects/{account}/{scratch}/"          # a v4 project never recalculated, deleted at the end
CP = "projects/{cproj}/p/"                   # the Compass project
WAIT_BUILD = Poll("result.0.last_build_time", "not-null")
COMPASS_IDLE = Poll("results.*.building_state", "none", "building")
RETRY_AFTER_MASK = (
    # The seconds a throttled login waits are counted from the first failure, so they
    # depend on how long the sequence took: ceil(300 - elapsed).
    (r"in \d+ (s|seconds)\b", r"in <n> \1"),
)


def sequence() -> list[Step]:
    """Every request of the corpus, in order."""
    steps = shared_users() + v4_steps() + compass_steps()
    return steps + throttled_logins(sum(step.failed_login for step in steps))


def shared_users() -> list[Step]:
    """Users and accounts are shared by the two APIs: the first user (site admin) logs
    in to both; Compass creates the other users, with temporary passwords."""
    return [
        v4("login", "POST", "user/login/", None, form={"username": ADMIN, "password": ADMIN_PASSWORD},
           save={"admin": "result.token"}),
        v4("accounts", "GET", "accounts/", save={"account": "result.default_account"}),
        compass("login", "POST", "login/", None, json={"username": ADMIN, "password": ADMIN_PASSWORD},
                save={"cadmin": "token"}),
        compass("create reader", "POST", "users/", json={"name": "Reader", "email": READER},
                save={"reader_temporary": "password"}),
        compass("create helper", "POST", "users/", form={"name": "Helper", "email": HELPER,
                                                         "default_account": "{account}"},
                save={"helper_temporary": "password"}),
    ]


def v4_steps() -> list[Step]:
    return (v4_public() + v4_auth() + v4_accounts() + v4_projects() + v4_docs() + v4_after_build()
            + v4_terms() + v4_search() + v4_topics() + v4_second_build() + v4_permissions() + v4_usage()
            + v4_parsing())


def v4_public() -> list[Step]:
    return [
        *[v4(f"ping {method}", method, "ping/", None) for method in ("GET", "POST", "PUT", "PATCH", "DELETE")],
        v4("ping HEAD", "HEAD", "ping/", None),
        v4("ping without the trailing slash", "GET", "ping", None),
        v4("ping OPTIONS is 405", "OPTIONS", "ping/", None),
        v4("unknown endpoint is 404", "GET", "no/such/endpoint/", None),
        v4("documentation POST is 405", "POST", "", None),
        v4("foreign Host is 403", "GET", "ping/", None, headers={"Host": "wire.example.com"}),
    ]


def v4_auth() -> list[Step]:
    return [
        v4("login without password", "POST", "user/login/", None, form={"username": ADMIN}),
        v4("login with a wrong password", "POST", "user/login/", None,
           form={"username": ADMIN, "password": "not the password"}, failed_login=True),
        v4("login of an unknown user", "POST", "user/login/", None,
           form={"username": "nobody@example.com", "password": "whatever"}, failed_login=True),
        v4("login as JSON", "POST", "user/login/", None, json={"username": ADMIN, "password": ADMIN_PASSWORD},
           save={"admin2": "result.token"}),
        v4("login GET is 405", "GET", "user/login/", None),
        v4("accounts without a token", "GET", "accounts/", None),
        v4("accounts with an unknown token", "GET", "accounts/", "!Token not-a-token"),
        v4("accounts with a Basic header", "GET", "accounts/", "!Basic YWRtaW46cGFzcw=="),
        v4("accounts with an empty token", "GET", "accounts/", "!Token "),
        v4("tokens", "GET", "user/tokens/"),
        v4("create a long-lived token", "POST", "user/tokens/",
           save={"long_lived": "result.token", "long_lived_id": "result.token_id"}),
        v4("tokens seen by the long-lived token", "GET", "user/tokens/", "long_lived"),
        v4("tokens PUT is 405", "PUT", "user/tokens/"),
        v4("revoke the long-lived token", "DELETE", "user/tokens/{long_lived_id}/"),
        v4("revoke it again is 404", "DELETE", "user/tokens/{long_lived_id}/"),
        v4("revoked token is refused", "GET", "accounts/", "long_lived"),
        v4("logout", "POST", "user/logout/", "admin2"),
        v4("logged-out token is refused", "GET", "user/tokens/", "admin2"),
        v4("logout GET is 405", "GET", "user/logout/"),
        v4("password change without new_password", "PUT", "user/password/", form={"old_password": "x"}),
        v4("password change with a wrong old password", "PUT", "user/password/",
           form={"old_password": "wrong", "new_password": "long enough password"}),
        v4("password change to a short password", "POST", "user/password/",
           form={"old_password": ADMIN_PASSWORD, "new_password": "short"}),
        # A user Compass created has a temporary password: v4 allows only changing it.
        v4("reader logs in with the temporary password", "POST", "user/login/", None,
           form={"username": READER, "password": "{reader_temporary}"}, save={"reader_first": "result.token"}),
        v4("reader must change the password first", "GET", "accounts/", "reader_first"),
        v4("reader changes the password", "PUT", "user/password/", "reader_first",
           form={"old_password": "{reader_temporary}", "new_password": READER_PASSWORD}),
        v4("reader's old token is refused", "GET", "accounts/", "reader_first"),
        v4("reader logs in", "POST", "user/login/", None, form={"username": READER, "password": READER_PASSWORD},
           save={"reader": "result.token"}),
        v4("reader's accounts (none)", "GET", "accounts/", "reader"),
    ]


def v4_accounts() -> list[Step]:
    return [
        v4("account members", "GET", "accounts/{account}/users/"),
        v4("account members of an unknown account", "GET", "accounts/zzzzzzzz/users/"),
        v4("grant with an unknown permission", "PUT", f"accounts/{{account}}/users/{READER}/",
           form={"permissions": '["read", "fly"]'}),
        v4("grant to an unknown user", "PUT", "accounts/{account}/users/nobody@example.com/",
           form={"permissions": '["read"]'}),
        v4("grant read to the reader", "PUT", f"accounts/{{account}}/users/{READER}/",
           form={"permissions": '["read"]'}),
        v4("grant read and write to the helper", "PUT", f"accounts/{{account}}/users/{HELPER}/",
           form={"permissions": '["read", "write"]'}),
        v4("reset the helper to read", "PUT", f"accounts/{{account}}/users/{HELPER}/",
           form={"permissions": '["read"]', "reset": "true"}),
        v4("reader cannot grant", "PUT", f"accounts/{{account}}/users/{READER}/", "reader",
           form={"permissions": '["read", "write"]'}),
        v4("account members GET by the reader", "GET", "accounts/{account}/users/", "reader"),
        v4("account members POST is 405", "POST", "accounts/{account}/users/"),
    ]


def v4_projects() -> list[Step]:
    name = "Wire corpus"
    return [
        v4("create a project without a name", "POST", "projects/{account}/", form={"description": "no name"}),
        v4("create a project with a blank name", "POST", "projects/{account}/", form={"name": "  "}),
        v4("create a project in an unknown language", "POST", "projects/{account}/",
           form={"name": "Klingon", "language": "tlh"}),
        v4("create a project with a too long name", "POST", "projects/{account}/", form={"name": "n" * 201}),
        v4("create a project with a control character", "POST", "projects/{account}/",
           form={"name": "bad\u0007name"}),
        v4("create a project in an unknown account", "POST", "projects/zzzzzzzz/", form={"name": "Lost"}),
        v4("create the project", "POST", "projects/{account}/",
           form={"name": name, "description": "Ninety sentences of Siddhartha"}, save={"project": "result.project_id"}),
        v4("create the scratch project", "POST", "projects/{account}/", json={"name": "Scratch", "language": "de"},
           save={"scratch": "result.project_id"}),
        v4("all projects", "GET", "projects/"),
        v4("all projects named", "GET", "projects/", query={"name": name}),
        v4("account projects", "GET", "projects/{account}/"),
        v4("account projects named (none)", "GET", "projects/{account}/", query={"name": "No such project"}),
        v4("account projects of an unknown account", "GET", "projects/zzzzzzzz/"),
        v4("read the project", "GET", P),
        v4("describe the project", "PUT", P, form={"description": "Ninety sentences, three chapters"}),
        v4("rename the scratch project", "PATCH", S, form={"name": "Scratch pad"}),
        v4("rename to a blank name", "PUT", P, form={"name": ""}),
        v4("unknown project", "GET", "projects/{account}/zzzzzz/"),
        v4("terms of an unknown project", "GET", "projects/{account}/zzzzzz/terms/"),
        v4("topics of an unknown account", "GET", "projects/zzzzzzzz/{project}/topics/"),
        v4("project without a token", "GET", P, None),
        v4("docs/search with an unknown token", "GET", P + "docs/search/", "!Token not-a-token",
           query={"text": "river"}),
        v4("project POST is 405", "POST", P),
        v4("recalculate the scratch project without documents", "POST", S + "docs/recalculate/"),
        v4("terms of the scratch project before any build", "GET", S + "terms/"),
        v4("topics/stats of the scratch project before any build", "GET", S + "topics/stats/"),
        v4("docs/vectors of the scratch project before any build", "POST", S + "docs/vectors/",
           json=[{"text": "Ein Fluss."}]),
        v4("subsets/stats of the scratch project before any build", "GET", S + "subsets/stats/"),
    ]


def v4_docs() -> list[Step]:
    return [
        v4("upload an object instead of a list", "POST", P + "docs/", json={"text": "one"}),
        v4("upload invalid JSON", "POST", P + "docs/", raw='[{"text": "unfinished"', content_type="application/json"),
        v4("upload NaN", "POST", P + "docs/", raw='[{"text": "x", "date": NaN}]', content_type="application/json"),
        v4("upload a document without text", "POST", P + "docs/",
           json=[{"text": "A fine sentence."}, {"title": "no text"}, {"text": "x", "subsets": "not a list"}]),
        v4("upload too many documents", "POST", P + "docs/", json="{@too_many}"),
        v4("upload a body over the size limit", "POST", P + "docs/", raw="{too_large}",
           content_type="application/json"),
        v4("upload the first documents", "POST", P + "docs/", json="{@v4_docs_a}"),
        v4("upload the rest, one with an unknown field", "POST", P + "docs/", json="{@v4_docs_b}",
           save={"last_doc": "result.29._id"}),
        v4("documents before the first build", "GET", P + "docs/", query={"limit": 2},
           save={"first_doc": "result.0._id"}),
        v4("terms before the first build", "GET", P + "terms/"),
        v4("docs/search before the first build", "GET", P + "docs/search/", query={"text": "river"}),
        v4("recalculate", "POST", P + "docs/recalculate/"),
        v4("wait for the first build", "GET", "projects/", query={"name": "Wire corpus"}, poll=WAIT_BUILD,
           save={"first_build": "result.0.last_build_time"}),
        v4("the first job", "GET", P + "jobs/id/1/"),
        v4("the first job with wait", "GET", P + "jobs/id/1/", query={"wait": "5"}),
        v4("the first job with a bad wait", "GET", P + "jobs/id/1/", query={"wait": "soon"}),
        v4("the first job with too long a wait", "GET", P + "jobs/id/1/", query={"wait": "31"}),
        v4("unknown job", "GET", P + "jobs/id/99/"),
        v4("job id that is not a number", "GET", P + "jobs/id/one/"),
        v4("running jobs", "GET", P + "jobs/"),
        v4("all jobs", "GET", P + "jobs/", query={"verbose": "true"}),
        v4("jobs with a bad verbose", "GET", P + "jobs/", query={"verbose": "maybe"}),
        v4("documentation", "GET", "", None),
    ]


def v4_after_build() -> list[Step]:
    return [
        v4("the project after the build", "GET", P),
        v4("documents (default limit)", "GET", P + "docs/"),
        v4("documents, a page", "GET", P + "docs/", query={"limit": 3, "offset": 30}),
        v4("documents past the end", "GET", P + "docs/", query={"offset": 500}),
        v4("document ids and vectors", "GET", P + "docs/", query={"limit": 4, "doc_fields": '["_id", "vector"]'}),
        v4("document ids only", "GET", P + "docs/", query={"limit": 4, "doc_fields": '["_id"]'}),
        v4("document titles and subsets", "GET", P + "docs/",
           query={"limit": 3, "offset": 60, "doc_fields": '["title", "subsets", "date"]'}),
        v4("documents with a bad limit", "GET", P + "docs/", query={"limit": "many"}),
        v4("documents with a negative offset", "GET", P + "docs/", query={"offset": -1}),
        v4("documents with too high a limit", "GET", P + "docs/", query={"limit": 25001}),
        v4("one document", "GET", P + "docs/id/{first_doc}/"),
        v4("unknown document", "GET", P + "docs/id/nosuchdoc/"),
        v4("docs/vectors", "POST", P + "docs/vectors/",
           json=[{"text": "The river flows past the ferryman's boat."},
                 {"text": "Kamaswami counted coconuts and rice."}, {"text": "Zzyzx qwrtp."}]),
        v4("docs/vectors of an object", "POST", P + "docs/vectors/", json={"text": "one"}),
        v4("docs/vectors without text", "POST", P + "docs/vectors/", json=[{"text": "fine"}, {"title": "x"}]),
        v4("docs/vectors with too many texts", "POST", P + "docs/vectors/", json="{@too_many}"),
        v4("docs/vectors GET is 405", "GET", P + "docs/vectors/"),
        v4("subsets/stats", "GET", P + "subsets/stats/"),
    ]


def v4_terms() -> list[Step]:
    return [
        v4("top terms (default limit)", "GET", P + "terms/"),
        v4("top terms, five", "GET", P + "terms/", query={"limit": 5}),
        v4("top terms of a subset", "GET", P + "terms/", query={"limit": 5, "subset": "Chapter 9: THE FERRYMAN"}),
        v4("top terms of an unknown subset", "GET", P + "terms/", query={"subset": "Chapter 99"}),
        v4("named terms", "GET", P + "terms/", query={"terms": '["river|en", "merchant|en", "unheard|en"]'}),
        v4("named terms, not terms", "GET", P + "terms/", query={"terms": '["river"]'}),
        v4("top terms with a bad limit", "GET", P + "terms/", query={"limit": "1.5"}),
        v4("terms/search by text", "GET", P + "terms/search/", query={"text": "river", "limit": 5},
           save={"river_vector": "result.search_vector"}),
        v4("terms/search by terms", "GET", P + "terms/search/", query={"terms": '["merchant|en"]', "limit": 5}),
        v4("terms/search by vector", "GET", P + "terms/search/", query={"vector": "{river_vector}", "limit": 3}),
        v4("terms/search with a background word", "GET", P + "terms/search/",
           query={"text": "coconut", "limit": 3}),
        v4("terms/search without a query", "GET", P + "terms/search/"),
        v4("terms/search with a bad vector", "GET", P + "terms/search/", query={"vector": "not pack64!"}),
        v4("terms/search with a short vector", "GET", P + "terms/search/", query={"vector": "AAAAAA"}),
        v4("terms/search with an unknown topic", "GET", P + "terms/search/", query={"topic": "nosuchtopic"}),
        v4("ignorelist", "GET", P + "terms/ignorelist/"),
        v4("ignore a term", "PUT", P + "terms/ignorelist/", form={"term": "river|en"}),
        v4("ignore a substring", "PUT", P + "terms/ignorelist/", form={"term": "merchant|en", "substring": "true"}),
        v4("ignore text that is not a term", "PUT", P + "terms/ignorelist/", form={"term": "the river"}),
        v4("ignore without a term", "PUT", P + "terms/ignorelist/"),
        v4("top terms without the ignored term", "GET", P + "terms/", query={"limit": 5}),
        v4("terms/search without the ignored term", "GET", P + "terms/search/", query={"text": "water", "limit": 5}),
        v4("unignore the term", "DELETE", P + "terms/ignorelist/", query={"term": "river|en"}),
        v4("unignore the substring", "DELETE", P + "terms/ignorelist/",
           query={"term": "merchant|en", "substring": "true"}),
        v4("ignorelist again", "GET", P + "terms/ignorelist/"),
        v4("ignorelist POST is 405", "POST", P + "terms/ignorelist/", form={"term": "river|en"}),
    ]


def v4_search() -> list[Step]:
    return [
        v4("docs/search by text", "GET", P + "docs/search/", query={"text": "river", "limit": 3}),
        v4("docs/search by terms, exact only", "GET", P + "docs/search/",
           query={"terms": '["merchant|en"]', "limit": 3, "exact_only": "true"}),
        v4("docs/search by vector", "GET", P + "docs/search/", query={"vector": "{river_vector}", "limit": 2}),
        v4("docs/search in a subset", "GET", P + "docs/search/",
           query={"text": "father", "subset": "Chapter 1: THE SON OF THE BRAHMAN", "limit": 2}),
        v4("docs/search with a background word", "GET", P + "docs/search/", query={"text": "coconut", "limit": 2}),
        v4("docs/search in an unknown subset", "GET", P + "docs/search/", query={"text": "river", "subset": "nope"}),
        v4("docs/search without a query", "GET", P + "docs/search/"),
        v4("docs/search with too high a limit", "GET", P + "docs/search/", query={"text": "river", "limit": 10001}),
        v4("docs/search with a bad exact_only", "GET", P + "docs/search/", query={"text": "river", "exact_only": "2"}),
        v4("docs/search POST is 405", "POST", P + "docs/search/", form={"text": "river"}),
    ]


def v4_topics() -> list[Step]:
    return [
        v4("topics (none)", "GET", P + "topics/"),
        v4("docs/correlations without topics", "GET", P + "docs/correlations/"),
        v4("create a topic", "POST", P + "topics/", form={"name": "Water", "text": "river water boat",
                                                          "color": "#3366cc"}, save={"water": "result._id"}),
        v4("create a second topic", "POST", P + "topics/", form={"name": "Trade", "text": "merchant money business"},
           save={"trade": "result._id"}),
        v4("create a third topic", "POST", P + "topics/", json={"name": "Teaching", "text": "Brahman teaching"},
           save={"teaching": "result._id"}),
        v4("create a topic without text", "POST", P + "topics/", form={"name": "Empty"}),
        v4("create a topic with a blank name", "POST", P + "topics/", form={"name": " ", "text": "river"}),
        v4("topics", "GET", P + "topics/"),
        v4("one topic", "GET", P + "topics/id/{water}/"),
        v4("recolor a topic", "PUT", P + "topics/id/{water}/", form={"color": "#0000ff"}),
        v4("retext a topic", "PATCH", P + "topics/id/{teaching}/", form={"text": "Brahman father teaching"}),
        v4("update a topic with a blank text", "PUT", P + "topics/id/{water}/", form={"text": ""}),
        v4("unknown topic", "GET", P + "topics/id/nosuchtopic/"),
        v4("topic POST is 405", "POST", P + "topics/id/{water}/"),
        v4("terms/search by topic", "GET", P + "terms/search/", query={"topic": "{trade}", "limit": 3}),
        v4("topics/stats", "GET", P + "topics/stats/"),
        v4("topics/text_correlation PUT", "PUT", P + "topics/text_correlation/",
           form={"text": "He sat by the river with the ferryman."}),
        v4("topics/text_correlation GET", "GET", P + "topics/text_correlation/", query={"text": "money and trade"}),
        v4("topics/text_correlation POST", "POST", P + "topics/text_correlation/", json={"text": "the teacher"}),
        v4("topics/text_correlation without text", "PUT", P + "topics/text_correlation/"),
        v4("topics/correlation", "GET", P + "topics/correlation/"),
        v4("topics/correlation csv", "GET", P + "topics/correlation/", query={"format": "csv"}),
        v4("topics/correlation xlsx", "GET", P + "topics/correlation/", query={"format": "xlsx"}),
        v4("topics/correlation pdf", "GET", P + "topics/correlation/", query={"format": "pdf"}),
        v4("topics/subset_correlation", "GET", P + "topics/subset_correlation/", query={"format": "json"}),
        v4("topics/subset_correlation csv", "GET", P + "topics/subset_correlation/", query={"format": "CSV"}),
        v4("topics/subset_correlation xlsx", "GET", P + "topics/subset_correlation/", query={"format": "xlsx"}),
        v4("docs/correlations", "GET", P + "docs/correlations/"),
        v4("docs/correlations, a page", "GET", P + "docs/correlations/", query={"limit": 3, "offset": 87}),
        v4("docs/correlations with a bad offset", "GET", P + "docs/correlations/", query={"offset": "x"}),
        v4("delete a topic", "DELETE", P + "topics/id/{teaching}/"),
        v4("delete it again", "DELETE", P + "topics/id/{teaching}/"),
        v4("topics after the deletion", "GET", P + "topics/"),
    ]


def v4_second_build() -> list[Step]:
    return [
        v4("delete documents without ids", "POST", P + "docs/delete/"),
        v4("delete an unknown document", "POST", P + "docs/delete/", form={"ids": '["{last_doc}", "nosuchdoc"]'}),
        v4("delete a document", "POST", P + "docs/delete/", form={"ids": '["{last_doc}"]'}),
        v4("the deleted document", "GET", P + "docs/id/{last_doc}/"),
        v4("docs/search skips the deleted document", "GET", P + "docs/search/", query={"text": "river", "limit": 3}),
        v4("recalculate again", "POST", P + "docs/recalculate/", form={}),
        v4("wait for the second build", "GET", "projects/", query={"name": "Wire corpus"},
           poll=Poll("result.0.last_build_time", "!=", "first_build")),
        v4("the second job", "GET", P + "jobs/id/2/"),
        v4("the project after the second build", "GET", P),
        v4("subsets/stats after the second build", "GET", P + "subsets/stats/"),
        v4("topics/stats after the second build", "GET", P + "topics/stats/"),
        v4("docs/correlations after the second build", "GET", P + "docs/correlations/", query={"limit": 2}),
    ]


def v4_permissions() -> list[Step]:
    """The reader has read permission only; the helper's temporary password is unchanged."""
    return [
        v4("reader's accounts", "GET", "accounts/", "reader"),
        v4("reader reads the project", "GET", P, "reader"),
        v4("reader searches", "GET", P + "docs/search/", "reader", query={"text": "boat", "limit": 1}),
        v4("reader cannot create a project", "POST", "projects/{account}/", "reader", form={"name": "Mine"}),
        v4("reader cannot rename the project", "PUT", P, "reader", form={"name": "Mine"}),
        v4("reader cannot create a topic", "POST", P + "topics/", "reader", form={"name": "x", "text": "x"}),
        v4("reader cannot ignore a term", "PUT", P + "terms/ignorelist/", "reader", form={"term": "river|en"}),
        v4("reader cannot upload", "POST", P + "docs/", "reader", json=[{"text": "mine"}]),
        v4("reader cannot recalculate", "POST", P + "docs/recalculate/", "reader"),
        v4("reader cannot delete the project", "DELETE", P, "reader"),
        v4("reader's usage", "GET", "accounts/{account}/usage/", "reader"),
        v4("helper logs in with the temporary password", "POST", "user/login/", None,
           form={"username": HELPER, "password": "{helper_temporary}"}, save={"helper": "result.token"}),
        v4("helper may log out before changing it", "POST", "user/logout/", "helper"),
        v4("helper logs in again", "POST", "user/login/", None,
           form={"username": HELPER, "password": "{helper_temporary}"}, save={"helper": "result.token"}),
        v4("helper changes the password by POST", "POST", "user/password/", "helper",
           form={"old_password": "{helper_temporary}", "new_password": HELPER_PASSWORD}),
        v4("helper's token after the change", "GET", "projects/", "helper"),
        v4("delete the scratch project", "DELETE", S),
        v4("the deleted scratch project", "GET", S),
        v4("delete the scratch project again", "DELETE", S),
    ]


def v4_usage() -> list[Step]:
    return [
        v4("usage", "GET", "accounts/{account}/usage/"),
        v4("usage of April 2014", "GET", "accounts/{account}/usage/", query={"billing_period": "[2014, 4]"}),
        v4("usage of month 13", "GET", "accounts/{account}/usage/", query={"billing_period": "[2014, 13]"}),
        v4("usage with a bad period", "GET", "accounts/{account}/usage/", query={"billing_period": "April"}),
        v4("usage of an unknown account", "GET", "accounts/zzzzzzzz/usage/"),
    ]


def v4_parsing() -> list[Step]:
    """Dates and integers the restructured server parses otherwise (they are in
    tests/data/wire-corpus-changes.json). They come after the usage steps, which
    count calls by outcome and the project's stored size, and the uploads last
    (one of them is stored by one server only; the project is not built again)."""
    huge = "9" * 5000  # more digits than int() reads from a string (sys.get_int_max_str_digits)
    return [
        v4("documents with a 5,000-digit limit in the form", "GET", P + "docs/", form={"limit": huge}),
        v4("docs/correlations with a 5,000-digit limit in the form", "GET", P + "docs/correlations/",
           form={"limit": huge}),
        v4("terms/search with a 5,000-digit limit in the form", "GET", P + "terms/search/",
           query={"text": "river"}, form={"limit": huge}),
        v4("docs/search with a 5,000-digit limit in the form", "GET", P + "docs/search/",
           query={"text": "river"}, form={"limit": huge}),
        v4("documents with Unicode digits as the limit in the form", "GET", P + "docs/", form={"limit": "²٣"}),
        v4("upload a date as a string of digits", "POST", P + "docs/",
           json=[{"text": "The river at dawn.", "date": "1700000000"}]),
        v4("upload a date in Unicode digits", "POST", P + "docs/",
           json=[{"text": "The river at dusk.", "date": "\u0663"}]),
    ]


def compass_steps() -> list[Step]:
    return (compass_auth() + compass_users() + compass_projects() + compass_classifiers()
            + compass_classifier_topics() + compass_config_and_messages() + compass_topics() + compass_stats()
            + compass_changed() + compass_cleanup())


def compass_auth() -> list[Step]:
    return [
        compass("documentation", "GET", "", None),
        compass("documentation POST is 405", "POST", "", None),
        compass("unknown endpoint is 404", "GET", "no/such/endpoint/", None),
        compass("foreign Host is 403", "GET", "projects/", None, headers={"Host": "wire.example.com"}),
        compass("login without fields", "POST", "login/", None, json={}),
        compass("login with a wrong password", "POST", "login/", None,
                form={"username": ADMIN, "password": "not the password"}, failed_login=True),
        compass("login again gives the same token", "POST", "login/", None,
                form={"username": ADMIN, "password": ADMIN_PASSWORD}),
        compass("login GET is 405", "GET", "login/", None),
        compass("projects without a token", "GET", "projects/", None),
        compass("projects with a Bearer header", "GET", "projects/", "!Bearer abc"),
        compass("projects with an unknown token", "GET", "projects/", "!Token not-a-token"),
        compass("tokens", "GET", "tokens/"),
        compass("tokens of one user", "GET", "tokens/", query={"user": ADMIN}),
        compass("one token", "GET", "tokens/{cadmin}/"),
        compass("unknown token", "GET", "tokens/nosuchtoken/"),
        compass("tokens PATCH is 405", "PATCH", "tokens/"),
        # A v4 token works on Compass too: the two share users and tokens.
        compass("a v4 token on Compass", "GET", "tokens/", "admin"),
    ]


def compass_users() -> list[Step]:
    return [
        compass("users", "GET", "users/"),
        compass("users, second page (none)", "GET", "users/", query={"page": 2}),
        compass("users, bad page", "GET", "users/", query={"page": "zero"}),
        compass("one user", "GET", f"users/{READER}/"),
        compass("unknown user", "GET", "users/nobody@example.com/"),
        compass("create a user without an email", "POST", "users/", json={"name": "No mail"}),
        compass("create a user with a bad email", "POST", "users/", json={"name": "Bad", "email": "not-an-email"}),
        compass("create a user twice", "POST", "users/", json={"name": "Again", "email": READER}),
        compass("create a user in an unknown account", "POST", "users/",
                json={"name": "Lost", "email": "lost@example.com", "default_account": "zzzzzzzz"}),
        compass("create a temporary user", "POST", "users/", json={"name": "Temp", "email": "temp@example.com"},
                save={"temp_password": "password"}),
        compass("rename the reader", "PUT", f"users/{READER}/", json={"name": "Reader One"}),
        compass("give the reader a default account", "PATCH", f"users/{READER}/",
                form={"default_account": "{account}"}),
        compass("admin flag needs a site admin", "PUT", f"users/{READER}/", "reader", json={"admin": True}),
        compass("temporary user logs in", "POST", "login/", None,
                json={"username": "temp@example.com", "password": "{temp_password}"}, save={"temp": "token"}),
        compass("temporary user must change the password", "GET", "projects/", "temp"),
        compass("temporary user reads itself", "GET", "users/temp@example.com/", "temp"),
        compass("change the password of another user", "PUT", f"users/{READER}/password/", "temp",
                json={"password": "long enough", "old_password": "{temp_password}"}),
        compass("change a password with a wrong old one", "PUT", "users/temp@example.com/password/", "temp",
                json={"password": "long enough", "old_password": "wrong"}),
        compass("change a password to a short one", "PUT", "users/temp@example.com/password/", "temp",
                json={"password": "short", "old_password": "{temp_password}"}),
        compass("change the temporary password", "PUT", "users/temp@example.com/password/", "temp",
                json={"password": "temp password two", "old_password": "{temp_password}"}, save={"temp": "token"}),
        compass("reset the password", "POST", "users/temp@example.com/password/reset/",
                save={"temp_reset": "password"}),
        compass("reset by a non-admin", "POST", "users/temp@example.com/password/reset/", "reader"),
        compass("reader's Compass login", "POST", "login/", None,
                form={"username": READER, "password": READER_PASSWORD}, save={"creader": "token"}),
        compass("reader sees itself only", "GET", "users/", "creader"),
        compass("reader cannot create a user", "POST", "users/", "creader", json={"name": "X", "email": "x@y.z"}),
        compass("accounts", "GET", "accounts/"),
        compass("create an account", "POST", "accounts/", json={"name": "Second account"},
                save={"account2": "id"}),
        compass("create an account without a name", "POST", "accounts/", form={}),
        compass("reader cannot create an account", "POST", "accounts/", "creader", json={"name": "Mine"}),
        compass("one account", "GET", "accounts/{account2}/"),
        compass("rename an account", "PUT", "accounts/{account2}/", json={"name": "Second account, renamed"}),
        compass("rename an account by PATCH", "PATCH", "accounts/{account2}/", form={"name": "Account two"}),
        compass("unknown account", "GET", "accounts/zzzzzzzz/"),
        compass("reader cannot see the second account", "GET", "accounts/{account2}/", "creader"),
        compass("reader cannot rename the first account", "PATCH", "accounts/{account}/", "creader",
                json={"name": "Mine"}),
        compass("accounts seen by the reader", "GET", "accounts/", "creader"),
        compass("delete an account that owns projects", "DELETE", "accounts/{account}/"),
        compass("permissions", "GET", "permissions/"),
        compass("permissions of one level", "GET", "permissions/", query={"level": "read"}),
        compass("reader cannot list permissions", "GET", "permissions/", "creader"),
        compass("grant with a bad level", "POST", "permissions/",
                json={"user": HELPER, "account": "{account2}", "level": "owner"}),
        compass("grant to an unknown user", "POST", "permissions/",
                json={"user": "nobody@example.com", "account": "{account2}", "level": "read"}),
        compass("grant the helper readwrite", "POST", "permissions/",
                json={"user": HELPER, "account": "{account2}", "level": "readwrite"}, save={"permission": "id"}),
        compass("one permission", "GET", "permissions/{permission}/"),
        compass("unknown permission", "GET", "permissions/99999/"),
        compass("revoke the permission", "DELETE", "permissions/{permission}/"),
        compass("revoke it again", "DELETE", "permissions/{permission}/"),
        compass("delete the temporary user", "DELETE", "users/temp@example.com/"),
        compass("the deleted user's token", "GET", "tokens/", "temp"),
        compass("delete the temporary user again", "DELETE", "users/temp@example.com/"),
    ]


def compass_projects() -> list[Step]:
    return [
        compass("create a project without fields", "POST", "projects/", json={}),
        compass("create a project in an unknown language and account", "POST", "projects/",
                json={"name": "X", "account": "zzzzzzzz", "language": "tlh"}),
        compass("create the project", "POST", "projects/",
                json={"name": "Wire corpus", "account": "{account}", "language": "en",
                      "description": "Siddhartha's sentences"}, save={"cproj": "id"}),
        compass("create an inactive project", "POST", "projects/",
                form={"name": "Dormant", "account": "{account}", "language": "en", "status": "inactive"},
                save={"dormant": "id"}),
        compass("reader cannot create a project", "POST", "projects/", "creader",
                json={"name": "Mine", "account": "{account}", "language": "en"}),
        compass("projects", "GET", "projects/"),
        compass("projects of an account", "GET", "projects/", query={"account": "{account}", "status": "inactive"}),
        compass("one project", "GET", "projects/{cproj}/"),
        compass("describe the project", "PUT", "projects/{cproj}/", json={"description": "Ninety sentences"}),
        compass("project with a bad status", "PATCH", "projects/{cproj}/", json={"status": "asleep"}),
        compass("project status by PATCH", "PATCH", "projects/{cproj}/", json={"status": "active"}),
        compass("project without a token", "GET", "projects/{cproj}/", None),
        compass("messages of an unknown project", "GET", "projects/zzzzzzzz/p/messages/"),
        compass("classifiers without a token", "GET", CP + "classifiers/", None),
        compass("unknown project", "GET", "projects/zzzzzzzz/"),
        compass("reader reads the project", "GET", "projects/{cproj}/", "creader"),
        compass("reader cannot describe the project", "PUT", "projects/{cproj}/", "creader",
                json={"description": "mine"}),
        compass("documents (none)", "GET", CP + "documents/"),
        compass("add documents with one invalid", "POST", CP + "documents/",
                json=[{"text": "fine"}, {"label": "no text"}, {"text": "x", "language": "tlh"}]),
        compass("add too many documents", "POST", CP + "documents/", json="{@too_many}"),
        compass("add a body over the size limit", "POST", CP + "documents/", raw="{too_large}",
                content_type="application/json"),
        compass("add the documents", "POST", CP + "documents/", json="{@compass_docs}"),
        compass("add one document by form", "POST", CP + "documents/", query={"dataset": "extra"},
                form={"text": "The ferryman laughed.", "label": "ferryman"}),
        compass("add no documents", "POST", CP + "documents/", json=[]),
        compass("documents", "GET", CP + "documents/"),
        compass("documents, page 5", "GET", CP + "documents/", query={"page": 5}),
        compass("documents, page 6 (none)", "GET", CP + "documents/", query={"page": 6}),
        compass("documents of a label", "GET", CP + "documents/", query={"label": "merchant", "page": 2}),
        compass("documents of a dataset", "GET", CP + "documents/", query={"dataset": "extra"}),
        compass("documents PUT is 405", "PUT", CP + "documents/", json={"text": "x"}),
        compass("documents of an unknown project", "GET", "projects/zzzzzzzz/p/documents/"),
    ]


def compass_classifiers() -> list[Step]:
    """An answer that starts a build shows the classifier before the build ends
    ("building", the previous version's status and info). A quick build (a
    sentiment or topic-based one takes 4-60 ms here) could in principle end
    before its request's answer is read, so each request that starts one while
    the build queue is empty first queues a voting rebuild (~0.4 s) ahead of it."""
    C = CP + "classifiers/"
    return [
        compass("classifiers (none)", "GET", C),
        compass("create a classifier without fields", "POST", C, json={}),
        compass("create a classifier of an unknown type", "POST", C,
                json={"name": "x", "type": "magic", "status": "active"}),
        compass("create a topic-based classifier mixing AND and OR", "POST", C,
                json={"name": "bad", "type": "topic_based", "status": "active",
                      "info": {"topics": [{"title": "t", "info": "river AND water OR boat"}]}}),
        compass("create a sentiment classifier with a bad threshold", "POST", C,
                json={"name": "bad", "type": "sentiment_combined", "status": "active",
                      "info": {"combined_threshold": 2}}),
        compass("create a classifier with info that is not JSON", "POST", C,
                form={"name": "bad", "type": "voting", "status": "active", "info": "{not json"}),
        compass("create the voting classifier", "POST", C,
                json={"name": "chapters", "type": "voting", "status": "active", "dataset": "book",
                      "info": {"threshold": 0.3}}, save={"voting": "id"}),
        compass("create the topic-based classifier", "POST", C,
                json={"name": "nature", "type": "topic_based", "status": "active",
                      "info": {"topics": [{"title": "water", "info": "river OR water"},
                                          {"title": "money", "clause": "money OR (merchant AND NOT river)"}]}},
                save={"nature": "id"}),
        compass("create the sentiment classifier with domain expansion", "POST", C,
                json={"name": "mood", "type": "sentiment_combined", "status": "active",
                      "info": {"domain_expansion": True, "max_expansion_terms": 10}}, save={"mood": "id"}),
        compass("create a split sentiment classifier", "POST", C,
                form={"name": "split", "type": "sentiment_split", "status": "inactive"}, save={"split": "id"}),
        compass("create a custom sentiment classifier", "POST", C,
                json={"name": "custom", "type": "sentiment_wordlist", "status": "active",
                      "info": {"wordlist": {"river": 3, "debt": -4, "ferry boat": 2},
                               "topics": {"calm": {"min": 0.2, "max": 1}, "troubled": {"min": -1, "max": -0.2}}}},
                save={"custom": "id"}),
        compass("create a voting classifier on a dataset without labels", "POST", C,
                json={"name": "unlabelled", "type": "voting", "status": "active", "dataset": "nowhere"},
                save={"unlabelled": "id"}),
        compass("create a classifier twice", "POST", C, json={"name": "chapters", "type": "voting",
                                                              "status": "active"}),
        compass("wait for the classifier builds", "GET", C, poll=COMPASS_IDLE),
        compass("classifiers, by name", "GET", C, query={"name": "mood"}),
        compass("the voting classifier", "GET", C + "{voting}/"),
        compass("the sentiment classifier", "GET", C + "{mood}/"),
        compass("the classifier that failed to build", "GET", C + "{unlabelled}/"),
        compass("unknown classifier", "GET", C + "99999/"),
        compass("classifier id that is not a number", "GET", C + "abc/"),
        compass("classifier POST is 405", "POST", C + "{voting}/"),
        compass("test the topic-based classifier", "POST", C + "{nature}/test/",
                json=[{"text": "The ferry carried them over the stream.", "label": "water"},
                      {"text": "He counted his coins and his debts.", "label": "money", "source_id": "s1"},
                      {"text": "The sky was blue.", "label": "water", "language": "en"}]),
        compass("test the voting classifier", "POST", C + "{voting}/test/",
                json={"text": "The merchant Kamaswami counted his money.", "label": "merchant"}),
        compass("test items without a language", "POST", C + "{voting}/test/",
                json=[{"text": "Kamaswami the merchant counted his money.", "label": "merchant"},
                      {"text": "The ferryman listened to the river.", "label": "ferryman"}]),
        compass("test an unsupported language", "POST", C + "{voting}/test/",
                json=[{"text": "Торговец считал деньги.", "label": "merchant", "language": "ru"}]),
        compass("test without labels", "POST", C + "{voting}/test/", json=[{"text": "x"}]),
        compass("test too many texts", "POST", C + "{voting}/test/", json="{@too_many}"),
        compass("test a classifier that failed to build", "POST", C + "{unlabelled}/test/",
                json=[{"text": "x", "label": "y"}]),
        compass("rebuild with a bad max_expansion_terms", "POST", C + "{mood}/rebuild/",
                json={"max_expansion_terms": "many"}),
        compass("rebuild the voting classifier on a dataset", "POST", C + "{voting}/rebuild/",
                form={"dataset": "book"}),
        compass("rebuild the sentiment classifier", "POST", C + "{mood}/rebuild/",
                json={"domain_expansion": True, "max_expansion_terms": 5}),
        compass("wait for the rebuilds", "GET", C, poll=COMPASS_IDLE),
        compass("the rebuilt sentiment classifier", "GET", C + "{mood}/"),
        compass("rename a classifier", "PATCH", C + "{split}/", json={"name": "split sentiment", "status": "active"}),
        compass("rename a classifier to a taken name", "PUT", C + "{split}/", json={"name": "mood"}),
        compass("change a classifier's threshold", "PUT", C + "{voting}/", json={"info": {"threshold": 0.35}}),
        compass("change a threshold out of range", "PUT", C + "{voting}/", json={"info": {"threshold": 7}}),
        compass("wait for the threshold rebuild", "GET", C, poll=COMPASS_IDLE),
        # This small project's space gives no domain terms of its own: edit them (they are editable).
        compass("rebuild the voting classifier before the domain terms", "POST", C + "{voting}/rebuild/"),
        compass("edit the domain terms", "PUT", C + "{mood}/",
                json={"info": {"domain_terms": {"ferryman": 4, "debt": -3.5, "rushing water": 1.5}}}),
        compass("edit the domain terms badly", "PUT", C + "{mood}/", json={"info": {"domain_terms": {"x": 9}}}),
        compass("wait for the domain terms build", "GET", C, poll=COMPASS_IDLE),
        compass("the sentiment classifier with edited domain terms", "GET", C + "{mood}/"),
        compass("reader lists classifiers", "GET", C, "creader"),
        compass("reader cannot delete a classifier", "DELETE", C + "{split}/", "creader"),
        compass("delete a classifier", "DELETE", C + "{unlabelled}/"),
        compass("the deleted classifier", "GET", C + "{unlabelled}/"),
    ]


def compass_classifier_topics() -> list[Step]:
    T = CP + "classifiers/{nature}/topics/"
    return [
        compass("classifier topics", "GET", T),
        compass("voting classifier topics", "GET", CP + "classifiers/{voting}/topics/"),
        compass("add a topic to a voting classifier", "POST", CP + "classifiers/{voting}/topics/",
                json={"title": "x", "info": "x"}),
        compass("add a topic without a title", "POST", T, json={"info": "boat"}),
        compass("add a topic with bad syntax", "POST", T, json={"title": "bad", "info": "boat AND (ferry"}),
        compass("add a topic with a taken title", "POST", T, json={"title": "water", "info": "lake"}),
        compass("add a topic", "POST", T, json={"title": "boats", "info": "boat OR ferry", "blocking": False},
                save={"boats": "id"}),
        compass("wait for the topic build", "GET", CP + "classifiers/", poll=COMPASS_IDLE),
        compass("one classifier topic", "GET", T + "{boats}/"),
        compass("change a classifier topic", "PUT", T + "{boats}/", json={"info": "boat OR ferry OR ferryman"}),
        compass("change a classifier topic's syntax badly", "PATCH", T + "{boats}/", json={"info": "OR"}),
        compass("block a classifier topic by PATCH", "PATCH", T + "{boats}/", form={"blocking": "true"}),
        compass("wait for the changed topic build", "GET", CP + "classifiers/", poll=COMPASS_IDLE),
        compass("unknown classifier topic", "GET", T + "99999/"),
        compass("a topic of another classifier", "GET", CP + "classifiers/{voting}/topics/{boats}/"),
        compass("the topic-based classifier", "GET", CP + "classifiers/{nature}/"),
        compass("rebuild the voting classifier before the PUT", "POST", CP + "classifiers/{voting}/rebuild/"),
        compass("replace the topics by PUT", "PUT", CP + "classifiers/{nature}/",
                json={"info": {"topics": [{"title": "water", "info": "river OR water"},
                                          {"title": "money", "info": "money OR merchant"},
                                          {"title": "boats", "info": "boat OR ferry"}]}}),
        compass("replace the topics by an empty list", "PUT", CP + "classifiers/{nature}/",
                json={"info": {"topics": []}}),
        compass("wait for the replaced topics build", "GET", CP + "classifiers/", poll=COMPASS_IDLE),
        compass("classifier topics after the PUT", "GET", T, save={"boats2": "results.2.id"}),
        compass("delete a classifier topic", "DELETE", T + "{boats2}/"),
        compass("wait for the build without it", "GET", CP + "classifiers/", poll=COMPASS_IDLE),
        compass("classify one text", "POST", CP + "classify/",
                json={"text": "The ferryman's boat crossed the river, and he was happy.", "source_id": "one"}),
        compass("classify a list", "POST", CP + "classify/",
                json=[{"text": "Kamaswami counted his money in debt."},
                      {"text": "Siddhartha learned from the Brahmans."}]),
        compass("classify without text", "POST", CP + "classify/", json={"source_id": "x"}),
        compass("classify by form", "POST", CP + "classify/", form={"text": "The river laughed."}),
        compass("reader cannot classify", "POST", CP + "classify/", "creader", json={"text": "x"}),
    ]


def compass_config_and_messages() -> list[Step]:
    M = CP + "messages/"
    return [
        compass("config", "GET", CP + "config/"),
        compass("one config key", "GET", CP + "config/number_of_clusters/"),
        compass("unknown config key", "GET", CP + "config/no_such_key/"),
        compass("set a config key", "PUT", CP + "config/partition_min_messages/", json={"value": 30}),
        compass("set the number of clusters", "PUT", CP + "config/number_of_clusters/", form={"value": "3"}),
        compass("set the sentiment threshold", "PUT", CP + "config/sentiment_threshold/", json={"value": 0.25}),
        compass("set a config key without a value", "PUT", CP + "config/number_of_clusters/", json={}),
        compass("set a config key to a fraction", "PUT", CP + "config/number_of_clusters/", json={"value": 2.5}),
        compass("set a list config key", "PUT", CP + "config/labels_for_clustering/", json={"value": ["water", 3]}),
        compass("set a list config key badly", "PUT", CP + "config/labels_for_clustering/", json={"value": "water"}),
        compass("unset a config key", "DELETE", CP + "config/labels_for_clustering/"),
        compass("config after the changes", "GET", CP + "config/"),
        compass("reader cannot set config", "PUT", CP + "config/number_of_clusters/", "creader", json={"value": 4}),
        compass("create a project topic", "POST", CP + "topics/",
                json={"title": "Boats", "info": {"terms": {"boat": 1.0, "ferry": 0.5}}}, save={"ptopic": "id"}),
        compass("create a project topic by form", "POST", CP + "topics/",
                form={"title": "Love", "info": '{"terms": {"love": 1, "Kamala": 0.75}}', "blocking": "true"},
                save={"love": "id"}),
        compass("create a project topic without info", "POST", CP + "topics/", json={"title": "Nothing"}),
        compass("create a project topic with a bad weight", "POST", CP + "topics/",
                json={"title": "Heavy", "info": {"terms": {"boat": 2}}}),
        compass("create a project topic with NaN", "POST", CP + "topics/",
                form={"title": "NaN", "info": '{"terms": {"boat": NaN}}'}),
        compass("messages (none)", "GET", M),
        compass("post messages without timestamps", "POST", M, json=[{"text": "no time"}, {"text": ""}]),
        compass("post a message with a bad time", "POST", M, json={"text": "x", "timestamp": "yesterday"}),
        compass("post too many messages", "POST", M, json="{@too_many}"),
        compass("post messages", "POST", M, json="{@messages}", save={"message1": "0.id", "message2": "1.id"}),
        compass("wait for the clustering", "GET", CP + "topics/", query={"status": "pending"},
                poll=Poll("count", ">", 0)),
        compass("post one message", "POST", M,
                json={"text": "The ferryman's boat crossed the river.", "timestamp": "2014-08-17T15:30:00Z",
                      "info": {"channel": "chat"}}, save={"message_last": "id"}),
        compass("post to an inactive project", "POST", "projects/{dormant}/p/messages/",
                json={"text": "x", "timestamp": 1408276800}),
        compass("messages", "GET", M),
        compass("messages, page 2", "GET", M, query={"page": 2}),
        compass("messages older than one", "GET", M, query={"older_than_id": "{message2}"}),
        compass("messages newer than one", "GET", M, query={"newer_than_id": "{message2}", "page": 2}),
        compass("messages in a time range", "GET", M,
                query={"earliest": "2014-08-17T12:30:00+00:00", "latest": "1408278600"}),
        compass("messages with a bad filter", "GET", M, query={"newer_than_id": "x", "earliest": "soon"}),
        compass("one message", "GET", M + "{message_last}/"),
        compass("unknown message", "GET", M + "99999/"),
        compass("replace messages in a time range", "POST", M,
                query={"replace": "true", "earliest": "2014-08-17T12:00:00Z", "latest": "2014-08-17T12:05:00Z"},
                json=[{"text": "The river was replaced by a quieter river.", "timestamp": "2014-08-17T12:01:00Z"}]),
        compass("replace with a bad filter", "POST", M, query={"replace": "true", "older_than_id": "-1"},
                json={"text": "x", "timestamp": 1408276800}),
        compass("messages after the replacement", "GET", M, query={"latest": "2014-08-17T12:10:00Z"}),
        compass("delete a message", "DELETE", M + "{message_last}/"),
        compass("delete it again", "DELETE", M + "{message_last}/"),
        compass("reader cannot delete a message", "DELETE", M + "{message2}/", "creader"),
        compass("messages PUT is 405", "PUT", M + "{message2}/", json={"text": "x"}),
    ]


def compass_topics() -> list[Step]:
    T = CP + "topics/"
    stats = {"stats": "true", "at_time": STATS_AT, "interval": 3600, "num_buckets": 5}
    return [
        compass("project topics", "GET", T),
        compass("pending topics", "GET", T, query={"status": "pending"}, save={"pending": "results.0.id"}),
        compass("blocking topics", "GET", T, query={"blocking": "true"}),
        compass("project topics with stats", "GET", T, query={**stats, "status": "active"}),
        compass("one project topic", "GET", T + "{ptopic}/"),
        compass("one project topic with stats", "GET", T + "{ptopic}/", query=stats),
        compass("a pending topic with stats", "GET", T + "{pending}/", query=stats),
        compass("a topic's messages", "GET", T + "{pending}/messages/"),
        compass("a topic's messages with outliers", "GET", T + "{pending}/messages/", query={"outliers": "true"}),
        compass("a topic's messages in a range", "GET", T + "{ptopic}/messages/",
                query={"outliers": "1", "earliest": "2014-08-17T12:00:00Z", "latest": "2014-08-17T13:00:00Z"}),
        compass("rename a project topic", "PUT", T + "{ptopic}/", json={"title": "Boats and ferries",
                                                                      "blocking": True}),
        compass("change a topic's terms", "PATCH", T + "{ptopic}/",
                json={"info": {"terms": {"boat": 1, "ferry": 1, "ferryman": 0.5}}}),
        compass("make a topic pending", "PUT", T + "{ptopic}/", json={"status": "pending"}),
        compass("deactivate a topic", "PUT", T + "{love}/", json={"status": "inactive", "blocking": "f"}),
        compass("unknown project topic", "GET", T + "99999/"),
        compass("delete a project topic", "DELETE", T + "{love}/"),
        compass("the deleted project topic", "GET", T + "{love}/"),
        compass("topics history", "GET", CP + "topics_history/"),
        compass("topics history of ended topics", "GET", CP + "topics_history/",
                query={"earliest_ended": "2014-01-01", "status": "inactive"}),
        compass("topics history created before 2014", "GET", CP + "topics_history/",
                query={"latest_created": "2013-12-31T00:00:00Z"}),
        compass("topics history with a bad time", "GET", CP + "topics_history/", query={"earliest_created": "x"}),
        compass("match a topic", "POST", CP + "match/", json={"topic": "river OR (boat AND NOT money)", "limit": 5}),
        compass("match with a threshold", "POST", CP + "match/",
                form={"topic": "Kamala OR love", "limit": "3", "threshold": "0.5"}),
        compass("match an unknown word", "POST", CP + "match/", json={"topic": "zzyzx", "limit": 2}),
        compass("match with bad fields", "POST", CP + "match/", json={"topic": "a OR", "limit": 0, "threshold": 2}),
        compass("match GET is 405", "GET", CP + "match/"),
    ]


def compass_stats() -> list[Step]:
    return [
        compass("stats", "GET", CP + "stats/", query={"interval": 1800, "num_buckets": 6, "at_time": STATS_AT}),
        compass("stats before the first message", "GET", CP + "stats/",
                query={"interval": 3600, "num_buckets": 3, "at_time": "2014-08-17T11:00:00Z"}),
        compass("stats with fractional buckets", "GET", CP + "stats/",
                query={"interval": 900.5, "num_buckets": 2, "at_time": 1408290000}),
        compass("stats with bad options", "GET", CP + "stats/", query={"interval": 0, "num_buckets": "many"}),
        compass("stats before the year 1", "GET", CP + "stats/",
                query={"interval": 31536000, "num_buckets": 10000, "at_time": "0100-01-01T00:00:00Z"}),
        compass("usage", "GET", CP + "usage/", save={"usage_day": ("0.days.0.url", r"/usage/([^/]+)/$")}),
        compass("usage of one source", "GET", CP + "usage/", query={"source": "api", "earliest": "2014-01-01"}),
        compass("usage with a bad time", "GET", CP + "usage/", query={"latest": "later"}),
        compass("one day's usage", "GET", CP + "usage/{usage_day}/"),
        compass("unknown usage", "GET", CP + "usage/86400-api/"),
    ]


def compass_changed() -> list[Step]:
    """Behaviours the restructured server changes on purpose (each is in
    tests/data/wire-corpus-changes.json). They come after every other step of the
    project, for each leaves what the two servers no longer share: a project topic
    made or not, a classifier topic renamed and deleted or not, a classifier's info.
    The GET of the sentiment classifier waits for its build, and so for every build
    asked before it (one worker builds them in turn): none runs while the server stops."""
    C = CP + "classifiers/"
    return [
        # A boolean with a made-up value.
        compass("project topics with a made-up stats flag", "GET", CP + "topics/",
                query={"stats": "perhaps", "status": "active", "at_time": STATS_AT, "interval": 3600,
                       "num_buckets": 2}),
        compass("create a project topic with a made-up blocking flag", "POST", CP + "topics/",
                json={"title": "Reeds", "info": {"terms": {"reed": 1.0}}, "blocking": "maybe"}),
        # A topic-based classifier's topic at P topics/<id>/, as Compass's documents address it.
        compass("add a classifier topic to address at P topics/", "POST", C + "{nature}/topics/",
                json={"title": "lake", "info": "lake OR reed"}, save={"lake": "id"}),
        compass("a classifier topic at P topics/", "GET", CP + "topics/{lake}/"),
        compass("rename a classifier topic at P topics/", "PUT", CP + "topics/{lake}/", json={"title": "lakes"}),
        compass("delete a classifier topic at P topics/", "DELETE", CP + "topics/{lake}/"),
        # Domain expansion turned off after the domain terms were edited. The voting
        # rebuild queued first keeps the PUT's answer "building" (see compass_classifiers).
        compass("rebuild the voting classifier before turning domain expansion off", "POST",
                C + "{voting}/rebuild/"),
        compass("turn domain expansion off", "PUT", C + "{mood}/", json={"info": {"domain_expansion": False}}),
        compass("the sentiment classifier after turning domain expansion off", "GET", C + "{mood}/",
                poll=Poll("building_state", "is", "ready")),
        # match/ on a project whose semantic space is not built yet: messages, no classifier.
        compass("create a project for match/", "POST", "projects/",
                json={"name": "Match", "account": "{account}", "language": "en"}, save={"mproj": "id"}),
        compass("post messages to the project for match/", "POST", "projects/{mproj}/p/messages/",
                json=[{"text": text, "timestamp": MESSAGE_START + i * 60} for i, text in enumerate((
                    "The river flowed past the ferry.", "The ferryman rowed his boat.",
                    "Kamala walked in her grove.", "The merchant counted his money.",
                    "Siddhartha listened to the river."))]),
        compass("match before the space is built", "POST", "projects/{mproj}/p/match/",
                json={"topic": "river OR boat", "limit": 3}),
    ]


def compass_cleanup() -> list[Step]:
    return [
        compass("delete the inactive project", "DELETE", "projects/{dormant}/"),
        compass("the deleted project", "GET", "projects/{dormant}/"),
        compass("delete the project again", "DELETE", "projects/{dormant}/"),
        compass("delete the second account", "DELETE", "accounts/{account2}/"),
        compass("the deleted account", "GET", "accounts/{account2}/"),
        compass("revoke a token", "DELETE", "tokens/{creader}/", "creader"),
        compass("the revoked token", "GET", "projects/", "creader"),
    ]


def throttled_logins(failed_before: int) -> list[Step]:
    """The last requests: enough failed logins for one address to be throttled, after
    which even the right password is refused (429, Retry-After) on both APIs."""
    steps = [v4(f"failed login {n}", "POST", "user/login/", None,
                form={"username": "mallory@example.com", "password": f"guess {n}"}, failed_login=True)
             for n in range(failed_before + 1, LOGIN_ATTEMPTS + 1)]
    return steps + [
        v4("throttled login", "POST", "user/login/", None, form={"username": ADMIN, "password": ADMIN_PASSWORD},
           mask=RETRY_AFTER_MASK),
        compass("throttled login", "POST", "login/", None, json={"username": ADMIN, "password": ADMIN_PASSWORD},
                mask=RETRY_AFTER_MASK),
    ]


# ---- normalization --------------------------------------------------------------------------

# Fields whose string values are random ids or secrets, and the placeholder kind of each.
ID_FIELDS = {
    "account_id": "account", "owner": "account", "default_account": "account", "account": "account",
    "project_id": "project", "token": "token", "token_id": "token_id", "password": "secret",
}
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
# Compass's integer ids (classifiers, classifier topics, project topics, messages,
# documents, permissions) are numbers the store hands out: they become placeholders
# too, so that a store numbering them otherwise answers alike. An id belongs to a
# space, known from where it shows: the URL path segment before it
# ("classifiers/3/"), the field holding it, or the list holding its record. Each
# space has its own placeholders, numbered by kind in order of first appearance.
# Classifier topics and project topics are two spaces of one kind, "topic": the
# pre-restructure store numbers them apart (a classifier topic and a project topic
# may both be 1), the restructured one from one sequence, so that
# P topics/<id>/ names one topic of either sort; keyed by space, both number them
# alike. (A classifier topic shown at a P topics/<id>/ URL would be a project
# topic here: the server shows it at its classifier's URL.)
# (placeholders, "<cproject-1>", may be part of the path already)
COMPASS_PATH = re.compile(r"/compass/api/[^\s\"']*")
ID_SEGMENT = re.compile(r"/([a-z_]+)/(\d+)(?=/|$)")
ID_QUERY = re.compile(r"([?&])(newer_than_id|older_than_id)=(\d+)")  # message ids
SEGMENT_SPACES = {"classifiers": "classifier", "messages": "message", "documents": "document",
                  "permissions": "permission"}  # "topics": see _segment_space; others: the segment less its "s"
# Fields holding a Compass integer id, and its space.
COMPASS_ID_FIELDS = {"cluster_topic": "project topic", "classifier_id": "classifier", "classifier": "classifier",
                     "message_id": "message", "document_id": "document", "permission_id": "permission"}
SPACE_KINDS = {"classifier topic": "topic", "project topic": "topic"}
# Fields holding times (seconds since 1970 in API v4, ISO 8601 in Compass).
TIME_FIELDS = {"created", "expiration", "creation_date", "last_update", "last_build_time", "start_time",
               "stop_time", "timestamp", "ended", "end_time", "date"}
# Fields that name the current month (Compass usage).
CLOCK_FIELDS = {"month_name": "<month>"}
ISO_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?")
USAGE_ID = re.compile(r"/usage/(\d+)-")
# Times within this many seconds of the server's clock are the clock's (creation times,
# expirations, usage days and months): they become "<time>". Times the sequence
# chose (2014) are kept, so a server that moved them would be caught.
CLOCK_WINDOW = 400 * 86400
# Lists and objects longer than this are stored as their length, first items and a hash.
MAX_ITEMS = 30
HEAD_ITEMS = 3
FLOAT_DIGITS = 6
REL_TOLERANCE = 1e-6
ABS_TOLERANCE = 1e-9
RECORDED_HEADERS = ("content-type", "allow", "retry-after", "location", "content-disposition")
# Starlette keeps a route's methods in a set, so the order of the methods a 405 names
# (its Allow header, and v4's "use GET, HEAD" message) changes with the process's
# string hash seed: they are sorted.
METHOD_LIST = re.compile(r"(?<=; use )[A-Z]+(?:, [A-Z]+)+")
ALLOW = re.compile(r"[A-Z]+(?:, [A-Z]+)+")


def sorted_methods(match: re.Match) -> str:
    return ", ".join(sorted(match.group(0).split(", ")))


def near_now(seconds: float) -> bool:
    return abs(seconds - time.time()) < CLOCK_WINDOW


def _iso_seconds(text: str) -> float | None:
    if not ISO_TIME.fullmatch(text):
        return None
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


class Normalizer:
    """Makes answers comparable between servers: random ids, tokens and secrets
    become placeholders numbered by kind in order of first appearance ("<doc-3>"
    is the third document id seen, wherever it shows again, even inside a
    message or a URL); so do Compass's integer ids, in their fields and in the
    path segments and query parameters of Compass URLs ("<classifier-2>",
    "<topic-5>", "<message-12>"; see COMPASS_ID_FIELDS); clock times become
    "<time>"; the server's host:port becomes "<server>". Only answers are
    normalized: requests are sent, and variables saved, with the server's own values."""

    def __init__(self, netloc: str):
        self.netloc = netloc
        self.placeholders: dict[str, str] = {}
        self.counts: dict[str, int] = {}
        self._pattern: re.Pattern | None = None
        # (space, integer id) -> placeholder
        self.numbers: dict[tuple[str, int], str] = {}

    def number(self, space: str, value: int) -> str:
        """The placeholder of Compass's integer id `value` in `space`."""
        key = (space, value)
        if key not in self.numbers:
            kind = SPACE_KINDS.get(space, space)
            self.counts[kind] = self.counts.get(kind, 0) + 1
            self.numbers[key] = f"<{kind}-{self.counts[kind]}>"
        return self.numbers[key]

    @staticmethod
    def _segment_space(segment: str, before: str) -> str:
        """The space of the id after `segment` in a Compass path, `before` being the path before it."""
        if segment == "topics":
            return "classifier topic" if re.search(r"/classifiers/\d+$", before) else "project topic"
        return SEGMENT_SPACES.get(segment, segment[:-1] if segment.endswith("s") else segment)

    def compass_path(self, path: str) -> str:
        """A Compass URL or path with its integer ids as placeholders."""
        query = path.find("?")
        head, tail = (path, "") if query < 0 else (path[:query], path[query:])
        head = ID_SEGMENT.sub(lambda m: f"/{m.group(1)}/"
                              + self.number(self._segment_space(m.group(1), head[:m.start()]), int(m.group(2))),
                              head)
        tail = ID_QUERY.sub(lambda m: f"{m.group(1)}{m.group(2)}={self.number('message', int(m.group(3)))}", tail)
        return head + tail

    def url_space(self, url: str) -> str | None:
        """The space of the record a Compass URL ends with (".../classifiers/3/topics/7/")."""
        match = COMPASS_PATH.search(url)
        if not match:
            return None
        path = match.group(0).split("?")[0]
        last = next(reversed(list(ID_SEGMENT.finditer(path))), None)
        if last is None or path[last.end():] not in ("", "/"):
            return None
        return self._segment_space(last.group(1), path[:last.start()])

    def id_space(self, key: str, record: dict, within: str | None) -> str | None:
        """The space of the integer in `record[key]` of a Compass answer, if it is an id:
        a record's `id` by its `url`, or without one by what holds it (an item of a
        `topics` list is a classifier's topic as classify/, test/ and messages show
        it; a record with a text is a message, as match/ shows it)."""
        if key in COMPASS_ID_FIELDS:
            return COMPASS_ID_FIELDS[key]
        if key != "id":
            return None
        if isinstance(record.get("url"), str):
            return self.url_space(record["url"])
        if within == "topics":
            return "classifier topic"
        if "text" in record:
            return "message"
        return None

    def register(self, value: Any, kind: str) -> None:
        if not isinstance(value, str) or not value or value in self.placeholders:
            return
        self.counts[kind] = self.counts.get(kind, 0) + 1
        self.placeholders[value] = f"<{kind}-{self.counts[kind]}>"
        self._pattern = None

    def discover(self, value: Any) -> None:
        """Register the ids of an answer, in the order they appear."""
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(item, str):
                    self._discover_field(key, item, value)
                else:
                    self.discover(item)
        elif isinstance(value, list):
            for item in value:
                self.discover(item)
        elif isinstance(value, str):
            self._discover_text(value)

    def _discover_field(self, key: str, value: str, record: dict) -> None:
        if key in ID_FIELDS:
            self.register(value, ID_FIELDS[key])
        elif key == "_id":
            self.register(value, "topic" if UUID.fullmatch(value) else "doc")
        elif key == "id":  # Compass: accounts and projects have string ids, the rest integers
            url = record.get("url") or ""
            self.register(value, "account" if "/accounts/" in url else "cproject")
        self._discover_text(value)

    def _discover_text(self, text: str) -> None:
        for match in USAGE_ID.finditer(text):  # a usage day in seconds: the clock's
            self.register(match.group(1), "usage-day")

    def text(self, value: str) -> str:
        value = value.replace(self.netloc, "<server>")
        if self.placeholders:
            if self._pattern is None:
                known = sorted(self.placeholders, key=len, reverse=True)
                self._pattern = re.compile(r"(?<![A-Za-z0-9])(" + "|".join(map(re.escape, known))
                                           + r")(?![A-Za-z0-9])")
            value = self._pattern.sub(lambda m: self.placeholders[m.group(1)], value)
        if "/compass/api/" in value:
            value = COMPASS_PATH.sub(lambda m: self.compass_path(m.group(0)), value)
        value = METHOD_LIST.sub(sorted_methods, value)
        seconds = _iso_seconds(value)
        if seconds is not None and near_now(seconds):
            return "<time>"
        return value

    def value(self, value: Any, key: str | None = None, *, compass: bool = False,
              within: str | None = None) -> Any:
        """The normalized form of a decoded JSON value (`key`: the field holding it;
        `compass`: an answer of Compass, whose integer ids are placeholders; `within`:
        the field holding the list the value is an item of)."""
        if key in CLOCK_FIELDS and value is not None:
            return CLOCK_FIELDS[key]
        if isinstance(value, dict):
            return {self.text(k): self._field(k, v, value, compass, within) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(item, compass=compass, within=key) for item in value]
        if isinstance(value, str):
            return self.text(value)
        if (key in TIME_FIELDS and isinstance(value, (int, float)) and not isinstance(value, bool)
                and near_now(value)):
            return "<time>"
        return value

    def _field(self, key: str, item: Any, record: dict, compass: bool, within: str | None) -> Any:
        if compass and isinstance(item, int) and not isinstance(item, bool):
            space = self.id_space(key, record, within)
            if space is not None:
                return self.number(space, item)
        return self.value(item, key, compass=compass)


def canonical(value: Any) -> Any:
    """A value with floats rounded to FLOAT_DIGITS significant digits, for hashing."""
    if isinstance(value, float):
        return float(f"{value:.{FLOAT_DIGITS}g}")
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in value.items()}
    if isinstance(value, list):
        return [canonical(v) for v in value]
    return value


def digest(value: Any) -> str:
    """sha256 of a normalized value. Floats are rounded first, so values equal within
    the tolerance hash alike, unless one sits right on a rounding boundary (then
    close values hash differently: a false alarm, which no replay has shown)."""
    text = json.dumps(canonical(value), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def shrink(value: Any) -> Any:
    """The value as the corpus stores it: a list or object of more than MAX_ITEMS items
    becomes its length, its first HEAD_ITEMS items (shrunk in turn) and a hash of all."""
    if isinstance(value, list):
        if len(value) > MAX_ITEMS:
            return {"<list>": len(value), "head": [shrink(v) for v in value[:HEAD_ITEMS]], "sha256": digest(value)}
        return [shrink(v) for v in value]
    if isinstance(value, dict):
        if len(value) > MAX_ITEMS:
            keys = sorted(value)
            return {"<object>": len(value), "head": {k: shrink(value[k]) for k in keys[:HEAD_ITEMS]},
                    "sha256": digest(value)}
        return {k: shrink(v) for k, v in value.items()}
    return value


def _number(cell: str) -> Any:
    try:
        return float(cell) if cell.strip() else cell
    except ValueError:
        return cell


def decode_body(response: requests.Response) -> Any:
    """The body as data: JSON decoded, CSV as rows (numbers as floats), XLSX as each
    sheet's title and cell values read with openpyxl (never the zip's bytes, which
    hold the time it was written), other text as text, nothing as None. A body
    that is not what its content-type says (a 500's plain text, say, or JSON that
    does not parse) is its text: the answer's status and content-type are
    recorded beside it."""
    content_type = response.headers.get("content-type", "").split(";")[0].strip()
    if not response.content:
        return None
    if content_type == "application/json":
        try:
            return response.json()
        except ValueError:
            return response.text
    if content_type == "text/csv":
        return {"csv": [[_number(cell) for cell in row] for row in csv.reader(io.StringIO(response.text))]}
    if content_type == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(response.content), read_only=True)
        sheets = [{"title": sheet.title, "rows": [list(row) for row in sheet.iter_rows(values_only=True)]}
                  for sheet in workbook.worksheets]
        workbook.close()
        return {"xlsx": sheets}
    return response.text


# ---- running the sequence -------------------------------------------------------------------

VARIABLE = re.compile(r"\{(@?)([a-z_][a-z0-9_]*)\}")


class Runner:
    """Sends the sequence to a server and normalizes each answer."""

    def __init__(self, netloc: str, texts: dict[str, Any]):
        self.root = f"http://{netloc}"
        self.variables: dict[str, Any] = dict(texts)
        self.normalizer = Normalizer(netloc)

    def fill(self, value: Any) -> Any:
        """A template with its variables filled in."""
        if isinstance(value, str):
            whole = VARIABLE.fullmatch(value)
            if whole and whole.group(1) == "@":
                return self.variables[whole.group(2)]
            return VARIABLE.sub(lambda m: str(self.variables[m.group(2)]), value)
        if isinstance(value, dict):
            return {self.fill(k): self.fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.fill(v) for v in value]
        return value

    def send(self, step: Step) -> requests.Response:
        headers = dict(self.fill(step.headers or {}))
        if step.auth is not None:
            headers["Authorization"] = step.auth[1:] if step.auth.startswith("!") else \
                f"Token {self.variables[step.auth]}"
        kwargs: dict[str, Any] = {}
        if step.query is not None:
            kwargs["params"] = self.fill(step.query)
        if step.form is not None:
            kwargs["data"] = self.fill(step.form)
        elif step.json is not None:
            kwargs["json"] = self.fill(step.json)
        elif step.raw is not None:
            kwargs["data"] = self.fill(step.raw).encode("utf-8")
            headers["Content-Type"] = step.content_type or "text/plain"
        return requests.request(step.method, self.root + self.fill(step.path), headers=headers,
                                timeout=120, allow_redirects=False, **kwargs)

    def run_step(self, step: Step) -> dict:
        response = self.send(step)
        if step.poll is not None:
            deadline = time.monotonic() + POLL_TIMEOUT
            while not self.satisfied(step.poll, response):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{step.name}: still waiting after {POLL_TIMEOUT:.0f} s "
                                       f"({response.status_code} {response.text[:300]})")
                time.sleep(0.05)
                response = self.send(step)
        body = decode_body(response)
        for name, where in step.save.items():
            self.variables[name] = self.take(body, where)
        self.normalizer.discover(body)
        answer = {"status": response.status_code,
                  "headers": {name: self.normalizer.text(response.headers[name])
                              for name in RECORDED_HEADERS if name in response.headers},
                  "body": self.normalizer.value(body, compass=step.path.startswith(CA))}
        for pattern, replacement in step.mask:
            answer = _masked(answer, re.compile(pattern), replacement)
        if "allow" in answer["headers"]:
            answer["headers"]["allow"] = ALLOW.sub(sorted_methods, answer["headers"]["allow"])
        if step.mask and "retry-after" in answer["headers"]:
            answer["headers"]["retry-after"] = "<seconds>"
        return answer

    def take(self, body: Any, where: str | tuple[str, str]) -> Any:
        pattern = None
        if isinstance(where, tuple):
            where, pattern = where
        value = _at(body, where)
        if pattern is not None:
            match = re.search(pattern, str(value))
            value = match.group(1) if match else None
        return value

    def satisfied(self, poll: Poll, response: requests.Response) -> bool:
        if response.status_code != 200:
            return False
        found = _at(response.json(), poll.where)
        if poll.test == "not-null":
            return found is not None
        if poll.test == "!=":
            return found != self.variables[poll.value]
        if poll.test == ">":
            return isinstance(found, (int, float)) and found > poll.value
        if poll.test == "is":
            return found == poll.value
        if poll.test == "none":
            return isinstance(found, list) and poll.value not in found
        raise ValueError(f"unknown poll test {poll.test!r}")


def _at(value: Any, where: str) -> Any:
    """The value at a dotted path ("result.0._id"); "*" maps over a list."""
    parts = where.split(".") if where else []
    for i, part in enumerate(parts):
        if part == "*":
            rest = ".".join(parts[i + 1:])
            return [_at(item, rest) for item in value] if isinstance(value, list) else None
        if isinstance(value, list):
            value = value[int(part)] if part.lstrip("-").isdigit() and -len(value) <= int(part) < len(value) else None
        elif isinstance(value, dict):
            value = value.get(part)
        else:
            return None
    return value


def _masked(value: Any, pattern: re.Pattern, replacement: str) -> Any:
    if isinstance(value, str):
        return pattern.sub(replacement, value)
    if isinstance(value, dict):
        return {k: _masked(v, pattern, replacement) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked(v, pattern, replacement) for v in value]
    return value


def uncovered_routes(app: Any, steps: list[Step]) -> list[str]:
    """The routes and methods of a Starlette app (Mounts and Routes) that no step sends."""
    from starlette.routing import Mount, Route

    def walk(routes, prefix: str) -> Iterator[tuple[str, str]]:
        for route in routes:
            if isinstance(route, Mount):
                yield from walk(route.routes, prefix + route.path)
            elif isinstance(route, Route):
                for method in sorted((route.methods or set()) - {"HEAD"}):
                    yield method, prefix + route.path

    # a step's path template ("{project}") matches a route's parameter as any value does
    sent = {(step.method, step.path if step.path.endswith("/") else step.path + "/") for step in steps}
    missing = []
    for method, path in walk(app.routes, ""):
        pattern = re.compile("[^/]+".join(map(re.escape, re.split(r"\{[^}]+\}", path))))
        if not any(m == method and pattern.fullmatch(p) for m, p in sent):
            missing.append(f"{method} {path}")
    return missing


def describe_request(step: Step) -> dict:
    """The request as the corpus shows it: the templates, not the filled values."""
    request: dict[str, Any] = {"method": step.method, "path": step.path}
    if step.auth is not None:
        request["auth"] = step.auth
    for name in ("query", "form", "json", "raw", "headers"):
        value = getattr(step, name)
        if value is not None:
            request[name] = _short(value)
    if step.poll is not None:
        request["poll_until"] = {"where": step.poll.where, "test": step.poll.test, "value": step.poll.value}
    return request


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > 300:
        return value[:100] + f"... ({len(value)} characters)"
    if isinstance(value, dict):
        return {k: _short(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_short(v) for v in value]
    return value


def run_sequence(data_dir: Path, siddhartha_path: str | os.PathLike = SIDDHARTHA,
                 steps: list[Step] | None = None, check_routes: bool = False) -> tuple[list[dict], float]:
    """Start a fresh EmbeddedServer in `data_dir`, send every step, stop it; the
    entries (request, normalized answer) and the seconds the sequence took. With
    `check_routes`, print the server's routes that no step sends."""
    from lumiwork.server import EmbeddedServer

    steps = sequence() if steps is None else steps
    names = [step.name for step in steps]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"step names must be unique: {duplicates}")
    texts = corpus_texts(siddhartha_path)
    data_dir = Path(data_dir)
    server = EmbeddedServer(data_dir / "data", token_file=data_dir / "tokens.json", username=ADMIN,
                            password=ADMIN_PASSWORD, max_body=MAX_BODY)
    entries = []
    started = time.monotonic()
    try:
        if check_routes:
            missing = uncovered_routes(server.app, steps)
            print("routes no request sends: " + (", ".join(missing) if missing else "none"))
        runner = Runner(server.netloc, texts)
        for step in steps:
            entries.append({"name": step.name, "request": describe_request(step),
                            "answer": shrink(runner.run_step(step))})
    finally:
        server.stop()
    return entries, time.monotonic() - started


# ---- the corpus file and comparison -------------------------------------------------------

def record(path: str | os.PathLike = CORPUS_PATH, siddhartha_path: str | os.PathLike = SIDDHARTHA) -> dict:
    """Run the sequence on a fresh server and write the corpus (pretty, keys sorted)."""
    with tempfile.TemporaryDirectory(prefix="wire-corpus-") as folder:
        entries, seconds = run_sequence(Path(folder), siddhartha_path, check_routes=True)
    corpus = {"format": FORMAT, "about": "Requests and normalized answers of API v4 and Compass; "
                                         "see tests/wire_corpus.py", "entries": entries}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(corpus, indent=1, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"recorded {len(entries)} requests in {seconds:.1f} s to {path} ({path.stat().st_size:,} bytes)")
    return corpus


def load(path: str | os.PathLike = CORPUS_PATH) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def differences(recorded: Any, replayed: Any, where: str = "") -> Iterator[tuple[str, Any, Any]]:
    """(path, recorded, replayed) for each place where two normalized values differ:
    two floats within REL_TOLERANCE (or ABS_TOLERANCE near zero) are equal;
    everything else must be identical, type included (4 and 4.0 differ on the wire),
    and so must pack64 vector strings: they came out identical in every replay."""
    if isinstance(recorded, dict) and isinstance(replayed, dict):
        for key in sorted(set(recorded) | set(replayed), key=str):
            inner = f"{where}.{key}" if where else str(key)
            if key not in replayed:
                yield inner, recorded[key], "<missing>"
            elif key not in recorded:
                yield inner, "<missing>", replayed[key]
            else:
                yield from differences(recorded[key], replayed[key], inner)
    elif isinstance(recorded, list) and isinstance(replayed, list):
        if len(recorded) != len(replayed):
            yield f"{where} (length)", len(recorded), len(replayed)
        for i, (a, b) in enumerate(zip(recorded, replayed)):
            yield from differences(a, b, f"{where}[{i}]")
    elif isinstance(recorded, float) and isinstance(replayed, float):
        if not math.isclose(recorded, replayed, rel_tol=REL_TOLERANCE, abs_tol=ABS_TOLERANCE):
            yield where, recorded, replayed
    elif type(recorded) is not type(replayed) or recorded != replayed:
        yield where, recorded, replayed


def compare(recorded: list[dict], replayed: list[dict], changes: dict | None = None) -> list[dict]:
    """The entries whose request or answer differ, each with its differences. An
    entry named in `changes` (the changes file's content) is compared to the answer
    there, not to the recorded one; one whose answer there is null is a difference
    until the changes command records it."""
    changes = changes or {}
    problems = []
    by_name = {entry["name"]: entry for entry in replayed}
    for entry in recorded:
        other = by_name.get(entry["name"])
        if other is None:
            problems.append({"name": entry["name"], "request": entry["request"],
                             "differences": [("", "<recorded>", "<not replayed>")]})
            continue
        found = list(differences(entry["request"], other["request"], "request"))
        change = changes.get(entry["name"])
        if change is None:
            found += differences(entry["answer"], other["answer"], "answer")
        elif change.get("answer") is None:
            found.append(("answer", f"<not recorded yet: run `{CHANGES_COMMAND}` on the changed code>",
                          other["answer"]))
        else:
            found += differences(change["answer"], other["answer"], "answer")
        if found:
            problems.append({"name": entry["name"], "request": entry["request"], "differences": found,
                             "changed": change is not None})
    known = {entry["name"] for entry in recorded}
    for entry in replayed:
        if entry["name"] not in known:
            problems.append({"name": entry["name"], "request": entry["request"],
                             "differences": [("", "<not recorded>", "<replayed>")]})
    return problems


def report(problems: list[dict], entries: int = 5, per_entry: int = 12) -> str:
    """A readable account of the first differing entries."""
    lines = [f"{len(problems)} of the corpus's requests answered differently"]
    for problem in problems[:entries]:
        request = problem["request"]
        lines.append(f"\n* {problem['name']}: {request.get('method')} {request.get('path')}"
                     + (f" query={request['query']}" if "query" in request else "")
                     + (f" (changed on purpose: compared to {CHANGES_PATH.name})" if problem.get("changed") else ""))
        for where, was, now in problem["differences"][:per_entry]:
            lines.append(f"    {where or '(entry)'}:\n      recorded {_clip(was)}\n      replayed {_clip(now)}")
        if len(problem["differences"]) > per_entry:
            lines.append(f"    ... and {len(problem['differences']) - per_entry} more differences")
    if len(problems) > entries:
        lines.append(f"\n... and {len(problems) - entries} more entries: "
                     + ", ".join(p["name"] for p in problems[entries:entries + 20]))
    return "\n".join(lines)


def _clip(value: Any, width: int = 300) -> str:
    text = json.dumps(value, ensure_ascii=False, sort_keys=True) if not isinstance(value, str) else repr(value)
    return text if len(text) <= width else text[:width] + f"... ({len(text)} characters)"


def replay(data_dir: Path, siddhartha_path: str | os.PathLike = SIDDHARTHA,
           path: str | os.PathLike = CORPUS_PATH,
           changes_path: str | os.PathLike | None = CHANGES_PATH) -> tuple[list[dict], float]:
    """Replay the sequence on a fresh server: the differences from the corpus (the
    entries of the changes file compared to their answers there; every entry to the
    corpus when `changes_path` is None) and the seconds taken."""
    recorded = load(path)
    changes = load_changes(changes_path) if changes_path is not None else {}
    entries, seconds = run_sequence(Path(data_dir), siddhartha_path)
    return compare(recorded["entries"], entries, changes), seconds


# ---- the deliberate changes ---------------------------------------------------------------

def load_changes(path: str | os.PathLike = CHANGES_PATH) -> dict:
    """The changes file: {entry name: {"reason": ..., "answer": normalized answer or null}}."""
    path = Path(path)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def check_changes(changes: dict, steps: list[Step] | None = None) -> list[str]:
    """What is wrong with the changes file: names that are no step of the sequence,
    entries without a reason or without an "answer" (null until recorded)."""
    names = {step.name for step in (sequence() if steps is None else steps)}
    problems = []
    for name, change in changes.items():
        if name not in names:
            problems.append(f"{name!r} is no step of the sequence")
        if not isinstance(change, dict):
            problems.append(f"{name!r}: not an object with a reason and an answer")
            continue
        if not isinstance(change.get("reason"), str) or not change["reason"].strip():
            problems.append(f"{name!r} has no reason")
        if "answer" not in change:
            problems.append(f"{name!r} has no answer (null until `{CHANGES_COMMAND}` records it)")
        if set(change) - {"reason", "answer"}:
            problems.append(f"{name!r}: unknown fields {sorted(set(change) - {'reason', 'answer'})}")
    return problems


def _sorted_keys(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _sorted_keys(value[k]) for k in sorted(value)}
    if isinstance(value, list):
        return [_sorted_keys(v) for v in value]
    return value


def write_changes(changes: dict, path: str | os.PathLike = CHANGES_PATH, steps: list[Step] | None = None) -> None:
    """The changes file, its entries in the sequence's order (reason, then answer)."""
    order = {step.name: i for i, step in enumerate(sequence() if steps is None else steps)}
    ordered = {name: {"reason": changes[name]["reason"], "answer": _sorted_keys(changes[name].get("answer"))}
               for name in sorted(changes, key=lambda name: order.get(name, len(order)))}
    Path(path).write_text(json.dumps(ordered, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def record_changes(changes_path: str | os.PathLike = CHANGES_PATH, path: str | os.PathLike = CORPUS_PATH,
                   siddhartha_path: str | os.PathLike = SIDDHARTHA) -> int:
    """Replay the sequence on the current code and write, for each entry the changes
    file lists, its new answer (the reasons stay). Entries it does not list that
    answer otherwise than the corpus are printed as warnings: regressions, or
    changes to list with their reason. 0 when there are none, else 1."""
    changes = load_changes(changes_path)
    wrong = check_changes(changes)
    if wrong:
        print(f"{changes_path}: " + "; ".join(wrong))
        return 2
    recorded = load(path)
    with tempfile.TemporaryDirectory(prefix="wire-corpus-") as folder:
        entries, seconds = run_sequence(Path(folder), siddhartha_path)
    by_name = {entry["name"]: entry for entry in entries}
    for name, change in changes.items():
        change["answer"] = by_name[name]["answer"]
    write_changes(changes, changes_path)
    print(f"recorded the new answers of {len(changes)} changed entries in {seconds:.1f} s to {changes_path}")
    before = {entry["name"]: entry["answer"] for entry in recorded["entries"]}
    unchanged = [name for name in changes if name in before
                 and not any(True for _ in differences(before[name], by_name[name]["answer"]))]
    if unchanged:
        print("listed as changed but answered as the corpus recorded: " + ", ".join(unchanged))
    problems = compare(recorded["entries"], entries, changes)
    if problems:
        print("WARNING: unlisted differences (regressions, or changes to list in "
              f"{Path(changes_path).name} with their reason):\n" + report(problems, entries=20))
        return 1
    print("every other answer equals the recorded one")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("record", "replay", "changes"))
    parser.add_argument("path", nargs="?", default=str(CORPUS_PATH))
    parser.add_argument("--changes", default=str(CHANGES_PATH), help="the changes file")
    parser.add_argument("--ignore-changes", action="store_true",
                        help="replay: compare every entry to the corpus, the changed ones too")
    parser.add_argument("--siddhartha", default=os.environ.get("LUMIWORK_SIDDHARTHA", str(SIDDHARTHA)))
    args = parser.parse_args(argv)
    if args.command == "record":
        record(args.path, args.siddhartha)
        return 0
    if args.command == "changes":
        return record_changes(args.changes, args.path, args.siddhartha)
    with tempfile.TemporaryDirectory(prefix="wire-corpus-") as folder:
        problems, seconds = replay(Path(folder), args.siddhartha, args.path,
                                   None if args.ignore_changes else args.changes)
    print(report(problems) if problems else "every answer equals the recorded one"
          + ("" if args.ignore_changes else f" (or, for those {Path(args.changes).name} lists, its answer)"))
    print(f"replayed in {seconds:.1f} s")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
