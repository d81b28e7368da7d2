"""Property-based fuzzing of every API v5 endpoint (/api/v5/) over the wire.

The approach of test_fuzz.py (API v4), in API v5's conventions. Hypothesis builds
requests (method, path with real or evil ids, parameters with real names and evil
values: concept selectors, filters, searches, typed metadata; bodies of every
shape and content type) and sends them to a real embedded server holding one
built project with metadata and a concept list. For every request:

- the status is below 500;
- the answer is JSON (the documentation at GET / is plain text); errors are
  {"error": "CODE", "message": "..."} with both non-empty;
- a request answered >= 400 changed no stored data (a fingerprint of every table
  but the bookkeeping ones, taken after any build a 2xx started).

Violations are collected and reported together (one line per endpoint and kind,
with the server's logged exception). LUMIWORK_FUZZ_FAIL_FAST=1 raises at the first
one so that Hypothesis shrinks it; LUMIWORK_FUZZ_EXAMPLES sets the number of
requests (2,000 by default); LUMIWORK_FUZZ_SEED=<n> explores another sequence.
Afterwards the project must still list, search, build and answer concepts.
"""
from __future__ import annotations

import json
import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

import pytest
import requests
from fuzzing import (
    DEEP_LIST,
    EVIL_VALUES,
    FAIL_FAST,
    HUGE,
    MAX_QUERY,
    SEED,
    LogCollector,
    RawJSON,
    Request,
    Tally,
    assert_clean,
    check_nothing_changed,
    encode,
    fingerprint,
    report,
    send_once_more,
    to_json,
    urlencode,
)
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

USERNAME = "v5-fuzz@example.com"
PASSWORD = "v5 fuzz password 1"
EXAMPLES = int(os.environ.get("LUMIWORK_FUZZ_EXAMPLES", "2000"))

DOCS = [
    ("The battery died after a day and the screen went dark.", "A", 1, "2021-01-01T00:00:00Z"),
    ("Great battery life, it lasts all week.", "B", 5, 1_610_000_000),
    ("The screen is bright and sharp.", "B", 4, 1_620_000_000),
    ("Customer service never answered my calls about the battery.", "A", 1, 1_630_000_000),
    ("The price was low and the sound is excellent.", "C", 5, 1_640_000_000),
    ("The buttons feel cheap and the menu is slow.", "A", 2, 1_650_000_000),
    ("Shipping was quick and the phone works well.", "C", 4, 1_660_000_000),
    ("The charger broke after a month.", "B", 1, 1_670_000_000),
    ("Sound quality is superb for the price.", "C", 5, 1_680_000_000),
    ("The screen cracked but the store replaced it.", "A", 3, 1_690_000_000),
]


def v5_doc(text, product, stars, when):
    return {"text": text, "title": text[:12], "metadata": [
        {"type": "string", "name": "product", "value": product},
        {"type": "score", "name": "stars", "value": stars},
        {"type": "date", "name": "when", "value": when}]}


def answer_problem(response: requests.Response) -> str | None:
    """Why an answer breaks API v5's conventions, or None."""
    if response.status_code >= 500:
        return f"status {response.status_code}"
    path = urlsplit(response.request.url).path
    content_type = response.headers.get("content-type", "")
    if response.status_code == 200 and path.rstrip("/") == "/api/v5" and content_type.startswith("text/plain"):
        return None
    try:
        answer = response.json()
    except ValueError:
        return f"status {response.status_code}, not JSON ({content_type}): {response.text[:120]!r}"
    if response.status_code >= 400:
        if not (isinstance(answer, dict) and isinstance(answer.get("error"), str) and answer["error"]
                and isinstance(answer.get("message"), str) and answer["message"]):
            return f"status {response.status_code}, not {{error, message}}: {response.text[:160]!r}"
    return None


@dataclass
class Fixture:
    url: str
    token: str
    workspace: str
    project: str
    lists: list[str]
    docs: list[str]
    db_path: str
    logs: LogCollector
    issue_token: object
    session: requests.Session = field(default_factory=requests.Session)

    def call(self, method, path, **kwargs):
        return self.session.request(method, self.url + path, headers={"Authorization": f"Token {self.token}"},
                                    timeout=120, **kwargs)

    def result(self, method, path, **kwargs):
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, (method, path, response.status_code, response.text[:500])
        return response.json()

    def wait_for_build(self, timeout=120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.result("GET", f"projects/{self.project}/")["last_build_info"]
            if "success" in info:
                return info
            time.sleep(0.05)
        raise AssertionError(f"the build did not finish within {timeout} s")


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory):
    from lumiwork.server import EmbeddedServer

    tmp = tmp_path_factory.mktemp("v5-fuzz")
    logs = LogCollector()
    server = EmbeddedServer(tmp / "data", token_file=tmp / "tokens.json", username=USERNAME, password=PASSWORD)
    for name in ("lumiwork", "uvicorn.error"):
        logging.getLogger(name).addHandler(logs)
    try:
        fx = Fixture(f"http://{server.netloc}/api/v5/", server.token, server.setup.account_id, "", [], [],
                     str(server.store.data_dir / "lumiwork.sqlite3"), logs,
                     lambda: server.store.tokens.issue(USERNAME, "short_lived")["token"])
        fx.project = fx.result("POST", "projects/", json={"name": "fuzz"})["project_id"]
        p = f"projects/{fx.project}/"
        fx.result("POST", p + "upload/", json={"docs": [v5_doc(*doc) for doc in DOCS]})
        fx.result("POST", p + "build/", json={})
        assert fx.wait_for_build()["success"] is True
        fx.docs = [d["doc_id"] for d in fx.result("GET", p + "docs/")["result"]]
        for name, texts in [("parts", ["battery", "screen"]), ("service", ["customer service"])]:
            given = {"name": name, "concepts": [{"texts": [t]} for t in texts]}
            made = fx.result("POST", p + "concept_lists/", json=given)
            fx.lists.append(made["concept_list_id"])
        yield fx
    finally:
        server.stop()
        for name in ("lumiwork", "uvicorn.error"):
            logging.getLogger(name).removeHandler(logs)


# ---- what to send ------------------------------------------------------------------------

ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
P = "projects/{project}/"
CONCEPT_PARAMS = ("concept_selector", "filter")
ENDPOINTS = [
    ("", ("GET",), ()),
    ("login/", ("POST",), ("username", "password")),
    ("logout/", ("POST",), ()),
    ("tokens/", ("GET", "POST"), ("password", "description")),
    ("tokens/{token_id}/", ("DELETE",), ()),
    ("profile/", ("GET",), ()),
    ("workspaces/", ("GET",), ()),
    ("workspaces/{workspace}/", ("GET",), ()),
    ("projects/", ("GET", "POST"), ("name", "language", "description", "workspace_id", "fields")),
    (P, ("GET", "PUT", "PATCH", "DELETE"), ("name", "description", "fields")),
    (P + "upload/", ("POST",), ("docs",)),
    (P + "build/", ("POST",), ("sentiment_configuration",)),
    (P + "docs/", ("GET", "POST"), ("offset", "limit", "fields", "filter", "search", "match_type",
                                    "include_sentiment_on_concepts")),
    (P + "docs/delete/", ("POST",), ("doc_ids",)),
    (P + "metadata/", ("GET",), ()),
    (P + "vectorize/", ("POST",), ("texts",)),
    (P + "concepts/", ("GET", "POST"), CONCEPT_PARAMS),
    (P + "concepts/match_counts/", ("GET", "POST"), CONCEPT_PARAMS),
    (P + "concepts/sentiment/", ("GET", "POST"), CONCEPT_PARAMS),
    (P + "concepts/score_drivers/", ("GET", "POST"), (*CONCEPT_PARAMS, "score_field", "limit")),
    (P + "concepts/concept_associations/", ("GET", "POST"), CONCEPT_PARAMS),
    (P + "concepts/manage/", ("GET", "PUT", "POST"), ("concept_management", "overwrite")),
    (P + "concept_lists/", ("GET", "POST"), ("name", "concepts", "overwrite")),
    (P + "concept_lists/{list}/", ("GET", "PUT", "PATCH", "DELETE"), ("name",)),
    (P + "concept_lists/{list}/concepts/", ("PUT",), ("concepts",)),
    ("no/such/endpoint/", ("GET",), ()),
]
BULK = (P + "upload/",)
WEIGHTED_ENDPOINTS = ENDPOINTS + [e for e in ENDPOINTS if e[0] in BULK or "concepts/" in e[0]] * 2

EVIL_IDS = ["²", "٣", "１２", "9" * 24, "-1", "0", "..", "%2E%2E", "", " ", "%20", "a b", "x" * 3000,
            "%ED%A0%80", "%00", "%1B", "%7F", "NaN", "null", "%2F", "\u00e9t\u00e9", "\U0001f600", "%FF", "9" * 5000]

PARAM_NAMES = ["limit", "offset", "fields", "filter", "search", "match_type", "include_sentiment_on_concepts",
               "concept_selector", "score_field", "name", "description", "language", "workspace_id", "docs",
               "doc_ids", "texts", "concepts", "overwrite", "concept_management", "sentiment_configuration",
               "username", "password"]

SELECTORS = [
    '{"type": "top", "limit": 5}', {"type": "top", "limit": "3"}, {"type": "related", "search_concept": {
        "texts": ["battery"]}}, {"type": "specified", "concepts": [{"texts": ["screen"]}, {"texts": ["zzz"]}]},
    {"type": "suggested", "num_clusters": 2, "num_cluster_concepts": 2}, {"type": "sentiment_suggested"},
    {"type": "drivers_suggested", "score_field": "stars"}, {"type": "unique_to_filter", "limit": 3},
    {"type": "concept_list", "name": "parts"}, {"type": "concept_list", "concept_list_id": "nope"},
    {"type": "top", "limit": 10 ** 30}, {"type": "specified", "concepts": [{"texts": [HUGE]}]},
    {"type": "related", "search_concept": {"texts": []}}, {"type": "suggested", "num_clusters": 0}]
FILTERS = ['[{"name": "product", "values": ["A"]}]', [{"name": "stars", "minimum": 2, "maximum": "5"}],
           [{"name": "when", "minimum": "2021-06-01T00:00:00Z"}], [{"name": "product", "minimum": 1}],
           [{"name": "nope", "values": ["x"]}], [{"special": "outliers"}], {"name": "product", "value": "A"},
           [{"name": "stars", "values": [RawJSON("1e400")]}], "null", []]
ORDINARY = {
    "limit": ["5", "0", 20, "1"], "offset": ["0", "3", 2], "fields": ['["text", "title"]', ["metadata"], "text"],
    "filter": FILTERS, "search": ['{"texts": ["battery"]}', {"texts": ["screen", "sound"]}, "battery"],
    "match_type": ["both", "exact", "conceptual", "fuzzy"], "include_sentiment_on_concepts": ["True", "false", 1],
    "concept_selector": SELECTORS, "score_field": ["stars", "product", "nope"],
    "name": ["Parts again", "a name", "parts"], "description": ["words"], "language": ["en", "de", "xx"],
    "workspace_id": ["nope"], "doc_ids": ['["nope"]', []], "texts": [["battery life"], "[\"screen\"]", [1]],
    "concepts": [[{"texts": ["price"], "color": "#00ff00"}], [{"texts": ["x"], "color": "red"}],
                 [{"shared_concept_id": "nope", "texts": ["x"]}]],
    "overwrite": ["true", "false"], "sentiment_configuration": [{"type": "full"}, {"type": "partial"}],
    "concept_management": [{"ignore": [{"texts": ["cheap"]}]}, {"merge": [{"texts": ["a"]}]}, {"ignore": "x"}],
    "username": [USERNAME], "password": ["wrong password", PASSWORD],
    "docs": [[{"text": "The battery is fine."}]],
}
ANY_ORDINARY = sorted({repr(v): v for vs in ORDINARY.values() for v in vs}.items())


def ordinary_value(name: str):
    return st.sampled_from(ORDINARY.get(name) or [v for _, v in ANY_ORDINARY])


@st.composite
def evil_metadata(draw):
    kind = draw(st.sampled_from(["string", "number", "score", "date", "colour", None, 1]))
    name = draw(st.sampled_from(["product", "stars", "when", "new", "subset", "date", "", "\ud800", HUGE[:600], 5]))
    value = draw(st.one_of(st.sampled_from(EVIL_VALUES), st.sampled_from(["A", 3, 2.5, "2024-01-01", 1.7e9])))
    entry = {"type": kind, "name": name, "value": value}
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([None, "x", [], DEEP_LIST, {"type": "string"}]))
    return entry


@st.composite
def evil_doc(draw):
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([None, 1, "text", [], DEEP_LIST]))
    text = draw(st.one_of(st.just("The battery and the screen."), st.sampled_from(EVIL_VALUES), st.text(max_size=30)))
    doc = {"text": text} if draw(st.integers(0, 4)) else {}
    doc.update(draw(st.fixed_dictionaries({}, optional={
        "title": st.sampled_from(["t", "\ud800", "a\x00b", HUGE[:1001], 5, None]),
        "metadata": st.one_of(st.lists(evil_metadata(), max_size=3), st.sampled_from([None, "x", {}, DEEP_LIST])),
        "surprise": st.sampled_from([1, "x", DEEP_LIST]),
    })))
    return doc


GOOD_DOC = st.builds(v5_doc, st.sampled_from(["The screen is great.", "The battery died."]),
                     st.sampled_from(["A", "D"]), st.integers(1, 5), st.just(1.7e9))


@st.composite
def requests_(draw, fx: Fixture):
    """One request; most are wrong in one way only (`focus`)."""
    template, allowed, own_params = draw(st.sampled_from(WEIGHTED_ENDPOINTS))
    focus = draw(st.sampled_from(["none", "ids", "params", "params", "body", "body", "method", "all"]))
    method = draw(st.sampled_from(ALL_METHODS if focus in ("method", "all") else allowed))
    real = {"project": fx.project, "workspace": fx.workspace, "list": draw(st.sampled_from(fx.lists)),
            "token_id": "no-such-token"}
    used, values = {}, {}
    for slot, value in real.items():
        if "{" + slot + "}" not in template:
            continue
        if focus not in ("ids", "all") or draw(st.booleans()):
            values[slot] = encode(value)
            used[slot] = True
        else:
            values[slot] = quote(draw(st.sampled_from(EVIL_IDS)), safe="%")
            used[slot] = False
    path = template.format(**values)
    # Never destroy the fixture itself: its project and its concept lists.
    if method == "DELETE" and template in (P, P + "concept_lists/{list}/") and all(used.values()):
        method = "GET"

    evil_params = focus in ("params", "all")
    names = [n for n in own_params if draw(st.integers(0, 3))]
    if evil_params or not own_params:
        names += draw(st.lists(st.one_of(st.sampled_from(PARAM_NAMES), st.sampled_from(["x", "", "\ud800", "a\x00"]),
                                         st.text(max_size=8)), max_size=3))
    params = []
    for name in names:
        if evil_params and draw(st.booleans()):
            params.append((name, draw(st.sampled_from(EVIL_VALUES))))
        elif name == "doc_ids" and not evil_params and draw(st.integers(0, 2)) == 0:
            params.append((name, [draw(st.sampled_from(fx.docs))]))  # a real one: deleted, or gone already
        elif name == "docs":
            good = focus not in ("body", "all")
            docs = draw(st.lists(GOOD_DOC if good else st.one_of(GOOD_DOC, evil_doc()), min_size=1 if good else 0,
                                 max_size=3))
            params.append((name, docs))
        else:
            params.append((name, draw(ordinary_value(name))))

    if focus in ("body", "all"):
        where = draw(st.sampled_from(["json", "json", "malformed", "wrong", "form", "query"]))
    else:
        where = draw(st.sampled_from(["query", "form", "json", "json"] if method not in ("GET", "DELETE")
                                     else ["query", "query", "query", "json"]))
    body_kind, body, content_type, query = where, None, None, []
    if where == "query":
        query = params
    if len(urlencode(query)) > MAX_QUERY:
        where = body_kind = "json"
        query = []
    if where == "form":
        body, content_type = urlencode(params).encode("ascii"), "application/x-www-form-urlencoded"
    elif where == "json":
        body = to_json(dict(params)).encode("utf-8", "surrogatepass")
        content_type = draw(st.sampled_from(["application/json", None])) if focus == "body" else "application/json"
    elif where == "malformed":
        body = draw(st.sampled_from([b'{"docs": [{"text": "x"}', b"{", b"[", b'{"a": }', b"\xff\xfe\x00",
                                     b'{"text": "\xed\xa0\x80"}', b"[1,]", b'"just a string"', b"123", b"null",
                                     b"[] []", b"\x00", b'[{"text": "an array"}]']))
        content_type = draw(st.sampled_from(["application/json", None]))
    elif where == "wrong":
        body = draw(st.sampled_from([urlencode(params).encode("ascii"), to_json(dict(params)).encode(),
                                     b"<xml/>", b"--boundary\r\n\r\n"]))
        content_type = draw(st.sampled_from([
            "text/plain", "application/xml", "multipart/form-data", "multipart/form-data; boundary=boundary",
            "application/json; charset=latin-1", "application/x-www-form-urlencoded", "application/octet-stream"]))
    auth = "token"
    if template == "logout/":
        auth = "throwaway"  # logging out the fixture's token would end the run
    elif focus in ("none", "all") and draw(st.integers(0, 9)) == 0:
        auth = draw(st.sampled_from(["none", "forged"]))
    return Request(method, template, path, query, body_kind, body, content_type, auth)


# ---- the test ----------------------------------------------------------------------------

def send(fx: Fixture, request: Request) -> requests.Response:
    headers = {}
    if request.auth == "token":
        headers["Authorization"] = f"Token {fx.token}"
    elif request.auth == "throwaway":
        headers["Authorization"] = f"Token {fx.issue_token()}"
    elif request.auth == "forged":
        headers["Authorization"] = "Token forged-token-000"
    if request.content_type is not None:
        headers["Content-Type"] = request.content_type
    url = fx.url + request.path
    if request.query:
        url += "?" + urlencode(request.query)
    return fx.session.request(request.method, url, data=request.body, headers=headers, timeout=120)


def test_fuzz_every_endpoint(fuzz):
    fx = fuzz
    tally = Tally()
    db = sqlite3.connect(f"file:{fx.db_path}?mode=ro", uri=True, isolation_level=None)
    state = {"fingerprint": fingerprint(db)}
    started = time.monotonic()

    @seed(int(SEED or 0))
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=SEED is None,
              phases=[Phase.explicit, Phase.generate] + ([Phase.shrink] if FAIL_FAST else []),
              suppress_health_check=list(HealthCheck))
    @given(request=requests_(fx))
    def one_request(request: Request):
        seen_logs = len(fx.logs.records)
        response = send_once_more(fx, send, request, tally)
        if response is None:
            return
        tally.sent += 1
        tally.statuses[response.status_code] += 1
        tally.per_endpoint[(request.template, response.status_code < 400)] += 1
        new_logs = fx.logs.records[seen_logs:]
        problem = answer_problem(response)
        if problem:
            tally.violate(request, "5xx" if response.status_code >= 500 else "shape", problem, new_logs)
        if response.status_code < 400 and request.template.endswith("build/") and request.method == "POST":
            fx.wait_for_build()
        check_nothing_changed(db, state, request, response, tally, new_logs)

    try:
        one_request()
    finally:
        report("v5 fuzz", tally, [template for template, _, _ in ENDPOINTS], time.monotonic() - started)
        db.close()
    assert_clean(tally, EXAMPLES)
    reached = {template for (template, ok) in tally.per_endpoint if ok}
    missed = [t for t, _, _ in ENDPOINTS if t not in reached and t not in ("no/such/endpoint/", "tokens/{token_id}/")]
    assert not missed, f"never answered < 400: {missed}"


def test_project_still_works_after_fuzzing(fuzz):
    """Whatever the fuzzer sent, the fixture project lists, searches, builds and answers concepts."""
    fx = fuzz
    p = f"projects/{fx.project}/"
    docs = fx.result("GET", p + "docs/", params={"limit": 1000})["result"]
    assert all(isinstance(d["text"], str) for d in docs)
    fx.result("POST", p + "upload/", json={"docs": [v5_doc(*doc) for doc in DOCS]})  # the fuzzer may delete some
    fx.result("POST", p + "build/", json={})
    assert fx.wait_for_build()["success"] is True
    found = fx.result("GET", p + "docs/", params={"search": json.dumps({"texts": ["battery"]})})
    assert found["filter_count"] >= 1
    drivers = fx.result("GET", p + "concepts/score_drivers/", params={
        "score_field": "stars", "concept_selector": json.dumps({"type": "specified", "concepts": [
            {"texts": ["battery"]}]})})
    assert drivers[0]["match_count"] >= 3
    assert fx.result("GET", p + "concepts/match_counts/")["match_counts"]
    assert fx.result("GET", p + "metadata/")["result"]
