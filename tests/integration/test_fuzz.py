"""Property-based fuzzing of every API v4 endpoint over the wire.

Hypothesis builds requests (method, path with real or evil ids, parameters with
real names and evil values, bodies of every shape and content type) and sends
them to a real embedded server holding one small recalculated project. For
every request:

- the status is below 500;
- the answer is the v4 JSON envelope ({"result", "error"}; on >= 400 the error
  has a non-empty code and message), except the plain-text documentation at
  GET / and csv/xlsx file answers with status 200;
- a request answered >= 400 changed no stored data (a fingerprint of every
  table of the SQLite database but the bookkeeping ones).

Violations are collected and reported together at the end (one line per
endpoint and kind, with the server's logged exception), so one run shows all
of them. LUMIWORK_FUZZ_FAIL_FAST=1 raises at the first violation instead, so
Hypothesis shrinks it. LUMIWORK_FUZZ_EXAMPLES sets the number of requests (at
least 2,000 by default), LUMIWORK_FUZZ_SEED=<n> explores another sequence (the
default is derandomized: every run sends the same requests).
Afterwards the project must still list, search, recalculate and export.
"""
from __future__ import annotations

import io
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

USERNAME = "fuzz@example.com"
PASSWORD = "fuzz password 1"
EXAMPLES = int(os.environ.get("LUMIWORK_FUZZ_EXAMPLES", "2000"))

DOCS = [
    ("The river flowed past the ferryman's boat.", ["water", "Chapter 1"]),
    ("Siddhartha sat by the river and listened to the water.", ["water", "Chapter 1"]),
    ("The boat crossed the stream to the other shore.", ["water", "Chapter 2"]),
    ("Govinda walked with the samanas into the forest.", ["forest", "Chapter 2"]),
    ("The forest was dark and the samanas fasted.", ["forest", "Chapter 3"]),
    ("Kamala taught him the art of love in the garden.", ["city", "Chapter 3"]),
    ("Kamaswami the merchant counted his money in the city.", ["city", "Chapter 4"]),
    ("He ate bread and rice and drank the milk of the coconut.", ["city", "Chapter 4"]),
    ("The ferryman Vasudeva smiled and listened to the river.", ["water", "Chapter 5"]),
    ("Gotama the Buddha taught in the grove near the city.", ["forest", "Chapter 5"]),
    ("The river laughed, and the water flowed to the sea.", ["water", "Chapter 6"]),
    ("Govinda bowed to Siddhartha by the ferry at the river.", ["water", "Chapter 6"]),
]


def envelope_problem(response: requests.Response, method: str) -> str | None:
    """Why an answer breaks the wire contract, or None."""
    # the path as sent: the client resolves '..' segments (projects/../ is the root)
    path = urlsplit(response.request.url).path
    if response.status_code >= 500:
        return f"status {response.status_code}"
    content_type = response.headers.get("content-type", "")
    if response.status_code == 200 and method == "GET":
        if path.rstrip("/") == "/api/v4" and content_type.startswith("text/plain"):
            return None
        if content_type.startswith(("text/csv", "application/vnd.openxmlformats")):
            return None
    try:
        answer = response.json()
    except ValueError:
        return f"status {response.status_code}, not JSON ({content_type}): {response.text[:120]!r}"
    if not isinstance(answer, dict) or set(answer) < {"result", "error"}:
        return f"status {response.status_code}, no v4 envelope: {response.text[:120]!r}"
    if response.status_code >= 400:
        error = answer["error"]
        if not (isinstance(error, dict) and isinstance(error.get("code"), str) and error["code"]
                and isinstance(error.get("message"), str) and error["message"]):
            return f"status {response.status_code}, error without code/message: {response.text[:160]!r}"
        if answer["result"] is not None:
            return f"status {response.status_code} with a non-null result"
    elif answer["error"] is not None:
        return f"status {response.status_code} with a non-null error"
    return None


# ---- the fixture -----------------------------------------------------------------------

@dataclass
class Fixture:
    url: str
    token: str
    account: str
    project: str
    topics: list[str]
    docs: list[str]
    jobs: list[str]
    vector: str
    db_path: str
    logs: LogCollector
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def project_path(self) -> str:
        return f"projects/{self.account}/{self.project}/"

    def call(self, method, path, **kwargs):
        headers = {"Authorization": f"Token {self.token}", **kwargs.pop("headers", {})}
        response = self.session.request(method, self.url + path, headers=headers, timeout=120,
                                        **kwargs)
        return response

    def result(self, method, path, **kwargs):
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, (method, path, response.status_code, response.text[:500])
        return response.json()["result"]

    def wait_for_job(self, job_id, timeout=120) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            job = self.result("GET", f"{self.project_path}jobs/id/{job_id}/")
            if job.get("stop_time"):
                return job
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} did not finish within {timeout} s")


@pytest.fixture(scope="module")
def fuzz(tmp_path_factory):
    from lumiwork.server import EmbeddedServer

    tmp = tmp_path_factory.mktemp("fuzz")
    logs = LogCollector()
    server = EmbeddedServer(tmp / "data", token_file=tmp / "tokens.json", username=USERNAME,
                            password=PASSWORD)
    # after the start: uvicorn's logging set-up replaces the handlers of its loggers
    for name in ("lumiwork", "uvicorn.error"):
        logging.getLogger(name).addHandler(logs)
    try:
        fx = Fixture(server.url, server.token, server.setup.account_id, "", [], [], [], "",
                     str(server.store.data_dir / "lumiwork.sqlite3"), logs)
        fx.project = fx.result("POST", f"projects/{fx.account}/", data={"name": "fuzz"})["project_id"]
        body = json.dumps([{"text": t, "title": f"doc {i}", "subsets": s, "date": 1.6e9 + i}
                           for i, (t, s) in enumerate(DOCS)])
        statuses = fx.result("POST", fx.project_path + "docs/", data=body,
                             headers={"Content-Type": "application/json"})
        fx.docs = [s["_id"] for s in statuses]
        job = fx.result("POST", fx.project_path + "docs/recalculate/")
        assert fx.wait_for_job(job)["success"] is True
        fx.jobs = [str(job)]
        for name, text in [("River", "river water boat"), ("Forest", "forest samana")]:
            fx.topics.append(fx.result("POST", fx.project_path + "topics/",
                                       data={"name": name, "text": text})["_id"])
        fx.result("PUT", fx.project_path + "terms/ignorelist/", data={"term": "city|en"})
        fx.vector = fx.result("GET", fx.project_path + "terms/search/",
                              params={"text": "river"})["search_vector"]
        yield fx
    finally:
        server.stop()
        for name in ("lumiwork", "uvicorn.error"):
            logging.getLogger(name).removeHandler(logs)


# ---- what to send ------------------------------------------------------------------------

ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
P = "projects/{account}/{project}/"
SEARCH = ("text", "terms", "vector", "limit", "subset", "exact_only")
# template, its methods, the parameters it reads
ENDPOINTS = [
    ("", ("GET",), ()),
    ("ping/", ALL_METHODS, ()),
    ("user/login/", ("POST",), ("username", "password")),
    ("user/tokens/", ("GET", "POST"), ()),
    ("accounts/", ("GET",), ()),
    ("accounts/{account}/users/", ("GET",), ()),
    ("accounts/{account}/users/{email}/", ("PUT",), ("permissions", "reset")),
    ("accounts/{account}/usage/", ("GET",), ("billing_period",)),
    ("projects/", ("GET",), ("name",)),
    ("projects/{account}/", ("GET", "POST"), ("name", "description")),
    (P, ("GET", "PUT", "PATCH", "DELETE"), ("name", "description")),
    (P + "docs/", ("GET", "POST"), ("limit", "offset", "doc_fields")),
    (P + "docs/id/{doc}/", ("GET",), ()),
    (P + "docs/recalculate/", ("POST",), ()),
    (P + "docs/delete/", ("POST",), ("ids",)),
    (P + "jobs/", ("GET",), ("verbose",)),
    (P + "jobs/id/{job}/", ("GET",), ()),
    (P + "terms/", ("GET",), ("limit", "subset", "terms")),
    (P + "terms/search/", ("GET",), ("text", "terms", "topic", "vector", "limit")),
    (P + "terms/ignorelist/", ("GET", "PUT", "DELETE"), ("term", "substring")),
    (P + "docs/search/", ("GET",), SEARCH),
    (P + "docs/vectors/", ("POST",), ()),
    (P + "docs/correlations/", ("GET",), ("limit", "offset")),
    (P + "topics/", ("GET", "POST"), ("name", "text", "color")),
    (P + "topics/id/{topic}/", ("GET", "PUT", "PATCH", "DELETE"), ("name", "text", "color")),
    (P + "topics/stats/", ("GET",), ()),
    (P + "topics/text_correlation/", ("PUT", "GET", "POST"), ("text",)),
    (P + "topics/correlation/", ("GET",), ("format",)),
    (P + "topics/subset_correlation/", ("GET",), ("format",)),
    (P + "subsets/stats/", ("GET",), ()),
    ("no/such/endpoint/", ("GET",), ()),
]
BULK = (P + "docs/", P + "docs/vectors/")
# uploads are where stored data is made: send them more often
WEIGHTED_ENDPOINTS = ENDPOINTS + [e for e in ENDPOINTS if e[0] in BULK] * 3

EVIL_IDS = ["²", "٣", "１２", "9" * 24, str(2**63), "-1", "0", "..", "%2E%2E", "", " ", "%20",
            "a b", "x" * 3000, "%ED%A0%80", "%00", "%1B", "%7F", "NaN", "1e400", "null",
            "%2F", "\u00e9t\u00e9", "\U0001f600", "__all__", ".all", "%FF", "9" * 5000, "²٣"]

PARAM_NAMES = ["limit", "offset", "text", "terms", "topic", "vector", "subset", "name",
               "description", "color", "format", "exact_only", "verbose", "doc_fields",
               "billing_period", "permissions", "reset", "term", "substring", "username",
               "password", "ids", "language", "title", "date", "subsets"]

ORDINARY = {
    "limit": ["5", "0", 20, "1"], "offset": ["0", "3", 2], "text": ["river", "the water flowed",
                                                                   "boat"],
    "terms": ['["river|en", "boat|en"]', ["water|en"], "river|en"], "subset": ["water", "__all__",
                                                                              "Chapter 1"],
    "name": ["River again", "a name"], "description": ["words"], "color": ["#ff0000"],
    "format": ["json", "csv", "xlsx", "CSV"], "exact_only": ["true", "false", "True", "1"],
    "verbose": ["true", "0"], "doc_fields": ['["text", "title"]', "text"],
    "billing_period": ["[2024, 5]", [2025, 12]], "permissions": ['["read", "write"]', ["read"]],
    "reset": ["false"], "term": ["river|en", "boat|en", "city|en"], "substring": ["false", "1"],
    "username": [USERNAME], "password": ["wrong password", PASSWORD], "ids": ['["nope"]', []],
}
ANY_ORDINARY = sorted({repr(v): v for vs in ORDINARY.values() for v in vs}.items())


def ordinary_value(name: str):
    return st.sampled_from(ORDINARY.get(name) or [v for _, v in ANY_ORDINARY])


@st.composite
def evil_doc(draw):
    """One document with evil fields, or (rarely) something that is not a document."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([None, 1, "text", [], DEEP_LIST]))
    text = draw(st.one_of(st.just("The river and the boat."), st.sampled_from(EVIL_VALUES),
                          st.text(max_size=30)))
    subsets = st.one_of(st.just(["water"]), st.none(), st.integers(), st.just([["nested"]]),
                        st.just([None]), st.just(["\ud800"]), st.just("water"),
                        st.just([RawJSON("NaN")]), st.just({"a": 1}), st.just(["a\x00b"]))
    date = st.one_of(st.just(1.6e9), st.sampled_from([
        RawJSON("NaN"), RawJSON("Infinity"), RawJSON("-Infinity"), RawJSON("1e400"),
        RawJSON("-1e400"), 2**63, 2**64, -2**63 - 1, int("9" * 24), "2024-01-01", "NaN",
        None, [], True]))
    doc = {"text": text} if draw(st.integers(0, 4)) else {}
    doc.update(draw(st.fixed_dictionaries({}, optional={
        "title": st.sampled_from(["t", "\ud800", "a\x00b", HUGE[:1000], 5, None]),
        "date": date, "subsets": subsets,
        "source": st.sampled_from(["s", "\x1b", 1e300, None]),
        "language": st.sampled_from(["en", "xx", "", "\ud800", 1]),
        "_id": st.sampled_from(["dup", "", None]),
        "surprise": st.sampled_from([1, "x", DEEP_LIST]),
    })))
    return doc


GOOD_DOC = st.fixed_dictionaries({"text": st.sampled_from([
    "The ferryman rowed the boat across the river.", "Samanas fasted in the forest."])},
    optional={"title": st.just("fine"), "subsets": st.just(["water"]), "date": st.just(1.7e9)})


@st.composite
def requests_(draw, fx: Fixture):
    """One request. Most requests are wrong in one way only (`focus`), so that a
    rejection at the first check does not hide what deeper code would do."""
    template, allowed, own_params = draw(st.sampled_from(WEIGHTED_ENDPOINTS))
    focus = draw(st.sampled_from(["none", "ids", "params", "params", "body", "body", "method",
                                  "all"]))
    method = draw(st.sampled_from(ALL_METHODS if focus in ("method", "all") else allowed))
    real = {"account": fx.account, "project": fx.project, "email": USERNAME,
            "topic": draw(st.sampled_from(fx.topics)), "doc": draw(st.sampled_from(fx.docs)),
            "job": draw(st.sampled_from(fx.jobs))}
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
    # Never destroy the fixture itself: its project, its topics.
    if method == "DELETE" and template == P and used.get("account") and used.get("project"):
        method = "GET"
    if (method == "DELETE" and template.endswith("topics/id/{topic}/")
            and all(used.get(s) for s in ("account", "project", "topic"))):
        method = "GET"

    evil_params = focus in ("params", "all")
    names = [n for n in own_params if draw(st.integers(0, 3))]
    if evil_params or not own_params:
        names += draw(st.lists(st.one_of(
            st.sampled_from(PARAM_NAMES), st.sampled_from(["x", "", "\ud800", "a\x00"]),
            st.text(max_size=8)), max_size=3))
    params = []
    for name in names:
        if evil_params and draw(st.booleans()):
            params.append((name, draw(st.sampled_from(EVIL_VALUES))))
        else:
            params.append((name, draw(ordinary_value(name))))
    if template.endswith("users/{email}/") and used.get("email"):
        # reset with the fixture's own user could take its permissions away
        params = [(k, v) for k, v in params if k != "reset"]

    if focus in ("body", "all") and template in BULK and method == "POST" and draw(
            st.integers(0, 4)):
        where = "array"
    elif focus in ("body", "all"):
        where = draw(st.sampled_from(["array", "array", "malformed", "wrong", "form", "json"]))
    elif template in BULK and method == "POST":
        where = "array"
    else:
        where = draw(st.sampled_from(["query", "form", "json"] if method not in ("GET", "DELETE")
                                     else ["query", "query", "query", "form", "json"]))
    body_kind, body, content_type, query = where, None, None, []
    if where == "query" or where == "array":
        query = params
    if len(urlencode(query)) > MAX_QUERY:
        where = body_kind = "form"
        query = []
    if where == "form":
        body, content_type = urlencode(params).encode("ascii"), "application/x-www-form-urlencoded"
    elif where == "json":
        body = to_json(dict(params)).encode("utf-8", "surrogatepass")
        content_type = "application/json"
    elif where == "array":
        if focus in ("body", "all"):
            docs = draw(st.lists(st.one_of(GOOD_DOC, evil_doc()), max_size=4))
            content_type = draw(st.sampled_from(["application/json", None, "text/plain"]))
        else:
            docs = draw(st.lists(GOOD_DOC, min_size=1, max_size=3))
            content_type = "application/json"
        body = to_json(docs).encode("utf-8", "surrogatepass")
    elif where == "malformed":
        body = draw(st.sampled_from([b'[{"text": "x"', b"{", b"[", b'{"a": }', b"\xff\xfe\x00",
                                     b'{"text": "\xed\xa0\x80"}', b"[1,]", b'"just a string"',
                                     b"123", b"null", b"true", b"[] []", b"\x00"]))
        content_type = draw(st.sampled_from(["application/json", None]))
    elif where == "wrong":
        body = draw(st.sampled_from([urlencode(params).encode("ascii"), to_json(dict(params)).encode(),
                                     b"<xml/>", b"--boundary\r\n\r\n"]))
        content_type = draw(st.sampled_from([
            "text/plain", "application/xml", "multipart/form-data",
            "multipart/form-data; boundary=boundary", "application/json; charset=latin-1",
            "application/x-www-form-urlencoded", "application/octet-stream", ""]))
    auth = "token"
    if focus in ("none", "all") and draw(st.integers(0, 9)) == 0:
        auth = draw(st.sampled_from(["none", "forged"]))
    return Request(method, template, path, query, body_kind, body, content_type, auth)


# ---- the test ----------------------------------------------------------------------------

def send(fx: Fixture, request: Request) -> requests.Response:
    headers = {}
    if request.auth == "token":
        headers["Authorization"] = f"Token {fx.token}"
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
        problem = envelope_problem(response, request.method)
        if problem:
            kind = "5xx" if response.status_code >= 500 else "envelope"
            tally.violate(request, kind, problem, new_logs)
        if (response.status_code < 400 and request.template.endswith("docs/recalculate/")
                and request.method == "POST"):
            job = response.json().get("result")
            if isinstance(job, int):
                fx.wait_for_job(job)
        check_nothing_changed(db, state, request, response, tally, new_logs)

    try:
        one_request()
    finally:
        report("fuzz", tally, [template for template, _, _ in ENDPOINTS], time.monotonic() - started)
        db.close()
    assert_clean(tally, EXAMPLES)


def test_project_still_works_after_fuzzing(fuzz):
    """Whatever the fuzzer sent, the fixture project lists, searches, recalculates, exports."""
    fx = fuzz
    p = fx.project_path
    docs = fx.result("GET", p + "docs/", params={"limit": 1000})
    assert len(docs) >= len(DOCS)
    assert all(isinstance(d["text"], str) for d in docs)
    for doc_id in fx.docs:
        assert fx.result("GET", f"{p}docs/id/{doc_id}/")["_id"] == doc_id
    job = fx.result("POST", p + "docs/recalculate/")
    finished = fx.wait_for_job(job)
    assert finished["success"] is True, finished
    found = fx.result("GET", p + "docs/search/", params={"text": "river boat"})
    assert found["search_results"], "docs/search found nothing for 'river boat'"
    terms = fx.result("GET", p + "terms/search/", params={"text": "river"})
    assert terms["search_results"]
    assert fx.result("GET", p + "terms/", params={"limit": 10})
    for endpoint in ("topics/correlation/", "topics/subset_correlation/"):
        csv_answer = fx.call("GET", p + endpoint, params={"format": "csv"})
        assert csv_answer.status_code == 200, csv_answer.text[:300]
        assert csv_answer.headers["content-type"].startswith("text/csv")
        assert len(csv_answer.text.splitlines()) >= 2
        xlsx_answer = fx.call("GET", p + endpoint, params={"format": "xlsx"})
        assert xlsx_answer.status_code == 200, xlsx_answer.text[:300]
        from openpyxl import load_workbook

        sheet = load_workbook(io.BytesIO(xlsx_answer.content)).active
        assert sheet.max_row >= 2
