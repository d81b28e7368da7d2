"""Property-based fuzzing of every Compass endpoint (/compass/api/) over the wire.

The approach of test_fuzz.py (API v4), in Compass's conventions. Hypothesis builds
requests (method, path with real or evil ids, parameters with real names and evil
values, bodies of every shape and content type) and sends them to a real embedded
server holding one Compass project with documents, one built classifier of each
type, messages and topics. For every request:

- the status is below 500, and no background job (classifier build, clustering)
  logged an exception;
- the answer is in Compass's conventions: 204 has an empty body; the
  documentation at GET / is plain text; everything else is JSON, errors being
  {"detail": "..."}, a dict of field errors {"name": ["..."]}, or (for a list of
  items) a list of such dicts; a GET of a collection is a page
  {count, next, previous, results} of at most 20;
- a request answered >= 400 changed no stored data (a fingerprint of every table
  but the bookkeeping ones, taken after the background jobs a 2xx started).

Violations are collected and reported together (one line per endpoint and kind,
with the server's logged exception). LUMIWORK_FUZZ_FAIL_FAST=1 raises at the first
one so that Hypothesis shrinks it; LUMIWORK_FUZZ_EXAMPLES sets the number of
requests (3,000 by default); LUMIWORK_FUZZ_SEED=<n> explores another sequence;
LUMIWORK_FUZZ_TRACE=<template prefix> prints each request to those endpoints.
Afterwards the project must still list, classify, take messages and answer stats.
"""
from __future__ import annotations

import logging
import os
import sqlite3
import time
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
import requests
from fuzzing import (
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

USERNAME = "compass-fuzz@example.com"
PASSWORD = "compass fuzz password 1"
OTHER = "other@example.com"
EXAMPLES = int(os.environ.get("LUMIWORK_FUZZ_EXAMPLES", "3000"))
TRACE = os.environ.get("LUMIWORK_FUZZ_TRACE")  # print every request to templates starting so

DOCS = [
    ("The river flowed past the ferryman's boat.", "water"),
    ("Siddhartha sat by the river and listened to the water.", "water"),
    ("The boat crossed the stream to the other shore.", "water"),
    ("The ferryman Vasudeva smiled and listened to the river.", "water"),
    ("Govinda walked with the samanas into the forest.", "forest"),
    ("The forest was dark and the samanas fasted.", "forest"),
    ("Gotama the Buddha taught in the grove near the forest.", "forest"),
    ("The samanas slept under the trees of the forest.", "forest"),
    ("Kamaswami the merchant counted his money in the city.", "city"),
    ("Kamala lived in a fine house in the city.", "city"),
    ("The merchant sold rice and cloth in the city market.", "city"),
    ("He played dice for money with the people of the city.", "city"),
    ("The water laughed, and the river flowed to the sea.", None),
    ("He was happy and grateful, and the day was wonderful.", None),
    ("He was sad and angry, and the night was terrible.", None),
]
MESSAGES = ["The boat drifted down the river.", "Money and dice in the city again.",
            "A wonderful calm day in the forest.", "Terrible news from the market.",
            "The ferryman listened to the water."]
CLASSIFIERS = [
    {"name": "labels", "type": "voting", "status": "active", "info": {"threshold": 0.2}},
    {"name": "nature", "type": "topic_based", "status": "active",
     "info": {"topics": [{"title": "water", "info": "river OR water"},
                         {"title": "trade", "info": "money AND NOT (river OR forest)"}]}},
    {"name": "mood", "type": "sentiment_combined", "status": "active", "info": {"domain_expansion": True}},
    {"name": "split", "type": "sentiment_split", "status": "active", "info": {}},
    {"name": "custom", "type": "sentiment_custom", "status": "active",
     "info": {"wordlist": {"river": 2, "money": -3},
              "topics": {"low": {"min": -1, "max": 0}, "high": {"min": 0, "max": 1}}}},
]
CONFIG_KEYS = ["partition_min_messages", "number_of_clusters", "sentiment_threshold",
               "labels_for_clustering", "partition_max_messages", "number_of_discardable_clusters",
               "partition_do_not_build_within", "assoc_axes"]


# ---- the fixture -----------------------------------------------------------------------

@dataclass
class Fixture:
    root: str
    token: str
    account: str
    db_path: str
    logs: LogCollector
    server: object
    project: str = ""
    classifiers: dict = field(default_factory=dict)   # name -> id (str)
    ctopics: list[str] = field(default_factory=list)  # topic-based classifier's topics
    topics: list[str] = field(default_factory=list)   # the project's topics
    messages: list[str] = field(default_factory=list)
    permissions: list[str] = field(default_factory=list)
    usage: list[str] = field(default_factory=list)
    other_token: str = ""
    session: requests.Session = field(default_factory=requests.Session)

    @property
    def p(self) -> str:
        return f"projects/{self.project}/p/"

    def ok(self, method, path, status=200, **kwargs):
        answer = self.session.request(method, self.root + path, timeout=120,
                                      headers={"Authorization": f"Token {self.token}"}, **kwargs)
        assert answer.status_code == status, (method, path, answer.status_code, answer.text[:500])
        return answer.json() if answer.content else None

    def wait_idle(self) -> None:
        self.server.api.compass.wait_idle(120)


@pytest.fixture(scope="module")
def cfuzz(tmp_path_factory):
    from lumiwork.server import EmbeddedServer

    tmp = tmp_path_factory.mktemp("compass-fuzz")
    logs = LogCollector()
    server = EmbeddedServer(tmp / "data", token_file=tmp / "tokens.json", username=USERNAME,
                            password=PASSWORD)
    for name in ("lumiwork", "uvicorn.error"):
        logging.getLogger(name).addHandler(logs)
    try:
        root = server.url.replace("/api/v4/", "/compass/api/")
        login = requests.post(root + "login/", json={"username": USERNAME, "password": PASSWORD}, timeout=60)
        assert login.status_code == 200, login.text
        fx = Fixture(root, login.json()["token"], server.setup.account_id,
                     str(server.store.data_dir / "lumiwork.sqlite3"), logs, server)
        fx.project = fx.ok("POST", "projects/", 201, json={"name": "fuzz", "account": fx.account,
                                                           "language": "en"})["id"]
        fx.ok("POST", fx.p + "documents/", 201, json=[{"text": t, "label": label, "dataset": "book"}
                                                      for t, label in DOCS])
        for spec in CLASSIFIERS:
            fx.classifiers[spec["name"]] = str(fx.ok("POST", fx.p + "classifiers/", 201, json=spec)["id"])
        fx.wait_idle()
        for name, cid in fx.classifiers.items():
            built = fx.ok("GET", fx.p + f"classifiers/{cid}/")
            assert built["building_state"] == "ready", built
            if name == "nature":
                fx.ctopics = [str(t["id"]) for t in built["topics"]]
        start = time.time() - 3 * 3600
        stored = fx.ok("POST", fx.p + "messages/", 201, json=[
            {"text": t, "timestamp": start + i * 600, "source_id": f"s{i}"} for i, t in enumerate(MESSAGES * 2)])
        fx.messages = [str(m["id"]) for m in stored]
        for title, terms in [("boats", {"boat": 1.0, "river": 0.5}), ("money", {"money": 1})]:
            fx.topics.append(str(fx.ok("POST", fx.p + "topics/", 201,
                                       json={"title": title, "info": {"terms": terms}})["id"]))
        other = fx.ok("POST", "users/", 201, json={"name": "Other", "email": OTHER})
        fx.ok("POST", "permissions/", 201, json={"user": OTHER, "account": fx.account, "level": "read"})
        fx.permissions = [str(p["id"]) for p in fx.ok("GET", "permissions/")["results"]]
        fx.other_token = requests.post(root + "login/", json={"username": OTHER, "password": other["password"]},
                                       timeout=60).json()["token"]
        fx.usage = [d["url"].rstrip("/").rsplit("/", 1)[1] for month in fx.ok("GET", fx.p + "usage/")
                    for d in month["days"]] or ["0-api"]
        fx.wait_idle()
        yield fx
    finally:
        server.stop()
        for name in ("lumiwork", "uvicorn.error"):
            logging.getLogger(name).removeHandler(logs)


# ---- what to send ------------------------------------------------------------------------

ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
P = "projects/{project}/p/"
C = P + "classifiers/{classifier}/"
MESSAGE_FIELDS = ("text", "timestamp", "source_id", "language", "info")
# template, its methods, the parameters it reads
ENDPOINTS = [
    ("", ("GET",), ()),
    ("login/", ("POST",), ("username", "password")),
    ("tokens/", ("GET",), ("user", "page")),
    ("tokens/{token}/", ("GET", "DELETE"), ()),
    ("accounts/", ("GET", "POST"), ("name", "page")),
    ("accounts/{account}/", ("GET", "PUT", "PATCH", "DELETE"), ("name",)),
    ("users/", ("GET", "POST"), ("name", "email", "default_account", "admin", "page")),
    ("users/{email}/", ("GET", "PUT", "PATCH", "DELETE"), ("name", "email", "default_account", "admin")),
    ("users/{email}/password/", ("PUT",), ("password", "old_password")),
    ("users/{email}/password/reset/", ("POST",), ()),
    ("permissions/", ("GET", "POST"), ("user", "account", "level", "page")),
    ("permissions/{permission}/", ("GET", "DELETE"), ()),
    ("projects/", ("GET", "POST"), ("name", "account", "language", "description", "status", "page")),
    ("projects/{project}/", ("GET", "PUT", "PATCH", "DELETE"), ("name", "description", "status")),
    (P + "documents/", ("GET", "POST"), ("text", "label", "dataset", "language", "page")),
    (P + "match/", ("POST",), ("topic", "limit", "threshold")),
    (P + "classifiers/", ("GET", "POST"), ("name", "type", "status", "dataset", "info", "page")),
    (C, ("GET", "PUT", "PATCH", "DELETE"), ("name", "status", "info")),
    (C + "rebuild/", ("POST",), ("dataset", "domain_expansion", "max_expansion_terms")),
    (C + "test/", ("POST",), ("text", "label")),
    (C + "topics/", ("GET", "POST"), ("title", "name", "info", "status", "blocking", "page")),
    (C + "topics/{ctopic}/", ("GET", "PUT", "PATCH", "DELETE"), ("title", "info", "status", "blocking")),
    (P + "classify/", ("POST",), MESSAGE_FIELDS),
    (P + "messages/", ("GET", "POST"), MESSAGE_FIELDS + ("earliest", "latest", "older_than_id",
                                                         "newer_than_id", "replace", "page")),
    (P + "messages/{message}/", ("GET", "DELETE"), ()),
    (P + "topics/", ("GET", "POST"), ("title", "info", "status", "blocking", "stats", "page")),
    (P + "topics/{topic}/", ("GET", "PUT", "PATCH", "DELETE"), ("title", "info", "status", "blocking",
                                                                 "stats", "interval", "num_buckets")),
    (P + "topics/{topic}/messages/", ("GET",), ("outliers", "earliest", "latest", "older_than_id", "page")),
    (P + "topics_history/", ("GET",), ("earliest_created", "latest_created", "earliest_ended",
                                       "latest_ended", "status", "blocking", "page")),
    (P + "stats/", ("GET",), ("interval", "num_buckets", "at_time")),
    (P + "usage/", ("GET",), ("source", "earliest", "latest")),
    (P + "usage/{usage}/", ("GET",), ()),
    (P + "config/", ("GET",), ()),
    (P + "config/{key}/", ("GET", "PUT", "DELETE"), ("value",)),
    ("no/such/endpoint/", ("GET",), ()),
]
# where lists of items are posted (documents, messages, tests)
BULK = (P + "documents/", P + "classify/", P + "messages/", C + "test/")
# classifier builds are slow: send them less often; uploads and classification more
WEIGHTED_ENDPOINTS = ENDPOINTS + [e for e in ENDPOINTS if e[0] in BULK] * 2
# answers that are pages on GET
PAGED = {"tokens/", "accounts/", "users/", "permissions/", "projects/", P + "documents/", P + "classifiers/",
         C + "topics/", P + "messages/", P + "topics/", P + "topics/{topic}/messages/", P + "topics_history/"}

EVIL_IDS = ["²", "٣", "１２", "9" * 24, str(2**63), "-1", "0", "..", "%2E%2E", " ", "%20", "a b",
            "x" * 3000, "%ED%A0%80", "%00", "%1B", "%7F", "NaN", "1e400", "null", "%2F", "\u00e9t\u00e9",
            "\U0001f600", "%FF", "1.5", "+1", "0x10", "1_000", "1-api", "-api", "1e3-api", "%00-api",
            "99999999999999999999999-api"]

PARAM_NAMES = ["text", "timestamp", "info", "name", "title", "status", "type", "label", "dataset", "language",
               "page", "earliest", "latest", "interval", "num_buckets", "at_time", "value", "blocking",
               "replace", "outliers", "stats", "topic", "limit", "threshold", "account", "user", "level",
               "email", "admin", "password", "source_id", "older_than_id", "domain_expansion",
               "max_expansion_terms"]

BAD_TIMES = [RawJSON("1e400"), "1e400", "-1e400", "yesterday", "NaN", "nan", "inf", "-inf", "Infinity", -1e20,
             1e20, 2**63, "2**63", "2024-13-45", "2024-02-30T25:61:00", "", " ", "\x00", "\ud800", True, [], {},
             [1e9], "٢٠٢٤-٠١-٠١", "１７００００００００", "0001-01-01T00:00:00-23:59", "9999-12-31T23:59:59-23:59",
             "99999-01-01", "1" * 400, "2024-01-01T00:00:00+99:00", "T", "Z", None]
BAD_PAGES = ["0", "-1", "abc", "1e400", "99999999999999999999", "²", "٣", "1.5", "", "NaN", "1000", 2**63,
             "+2", " 2", "2 ", "0x2", None, [], "\x00"]
BAD_TOPICS = ["a AND", "(a OR b", "a OR b AND c", "NOT", "AND OR", ")(", 'a "quoted"', "a, b", "", "   ",
              "x" * 10_000, "(" * 5000 + "a" + ")" * 5000, "NOT " * 5000 + "a", "a OR " * 5000 + "b",
              "()", "a AND NOT", "a\x00b", "\ud800", "rivér OR 水", "and or not", "a (b)", "a) OR (b",
              "NOT NOT river", "river OR", "OR river", 5, None, [], {"a": 1}, ["river"]]
BAD_CLASSIFIER_INFO = [
    {"threshold": RawJSON("NaN")}, {"threshold": 2}, {"threshold": "0.5"}, {"num_topics": 2**64},
    {"num_topics": 2**63 - 1}, {"num_topics": 0}, {"num_topics": "ALL"}, {"num_topics": "all"},
    {"topics": [{"title": "t", "info": t} for t in BAD_TOPICS[:6]]}, {"topics": None}, {"topics": {"a": 5}},
    {"topics": {"a": {"min": 0, "max": 2}}}, {"topics": {"a": {"min": 1, "max": 0}}}, {"topics": {"a": []}},
    {"topics": [None]}, {"topics": [{"title": "t", "clause": "a AND"}]}, {"topics": [{"title": "", "info": "a"}]},
    {"topics": [{"title": "t", "info": "a"}] * 3}, {"topics": "river"},
    {"wordlist": {"x": "y"}}, {"wordlist": []}, {"wordlist": {"x": 6}}, {"wordlist": {"\x00": 1}},
    {"wordlist": {"": 1}}, {"wordlist": {"x" * 5000: 1}}, {"wordlist": None},
    {"domain_terms": {"x": 1e300}}, {"domain_terms": []}, {"term_conflicts": "x"},
    {"max_expansion_terms": 2**63 - 1}, {"max_expansion_terms": -1}, {"max_expansion_terms": 1.5},
    {"domain_expansion": "yes"}, {"domain_expansion": None}, {"combined_threshold": -0.5},
    {"positive_threshold": 1e308}, {"negative_threshold": 0.5}, {"dataset": 5}, {"dataset": "\x00"},
    {"dataset": "nope"}, {"error": "forged"}, {"x": [None]}, "not json", "[1, 2]", "null", '{"threshold": 2}',
    '{"topics": [{"title": "t", "info": "(river"}]}', [], 5, None, {},
]
BAD_TERMS_INFO = [{"terms": {"boat": 2}}, {"terms": []}, {"terms": {"": 1}}, {"terms": {"x": RawJSON("NaN")}},
                  {"terms": {"x": "1"}}, {"terms": {}}, {"terms": None}, {"terms": {"x": True}}, {"terms": "boat"},
                  {"terms": {"\ud800": 1}}, {"terms": {"a\x00": 1}}, {"terms": {"x" * 100_000: 1}},
                  {"terms": {"boat": 1}, "extra": [None]}, '{"terms": {"boat": 1}}', "{bad", [], None, 5]
BAD_CONFIG = [RawJSON("1e400"), 2**63 - 1, 2**62, 1e300, 1e18, 0, -1, 0.5, 1.5, 5000.5, "5", "[1, 2]", [1.5],
              [None], [True], ["x" * 100_000], ["\x00"], [2**63 - 1], True, None, "", {"a": 1}, "NaN"]
EVIL_MESSAGE_INFO = [[], "x", {"a": [None]}, {"\x00": 1}, RawJSON('{"a": "\\ud800"}'), {"a": HUGE},
                     RawJSON('{"a": 1e400}'), 5, True]

ORDINARY = {
    "text": ["The boat crossed the river.", "money in the city", "a wonderful day"],
    "timestamp": [1.7e9, "2024-05-01T12:00:00+00:00", "1700000000", "2024-05-01T12:00:00Z"],
    "info": [{"threshold": 0.3}, {"terms": {"boat": 1.0}}, {"num_topics": "ALL"}, "river OR boat",
             {"domain_expansion": False}, {"topics": [{"title": "boats", "info": "boat OR ferry"}]},
             '{"threshold": 0.5}'],
    "name": ["a name", "fuzzed"], "title": ["a title", "boats and rivers"],
    "status": ["active", "inactive", "pending"], "type": ["voting", "topic_based", "sentiment_combined",
                                                          "sentiment_split", "sentiment_custom",
                                                          "sentiment_wordlist"],
    "label": ["water", "forest", "nope"], "dataset": ["book", "other"], "language": ["en", "fr", "xx"],
    "page": ["1", "2", 1], "earliest": ["2000-01-01", 0, "1700000000"], "latest": ["2100-01-01", 4e9],
    "interval": ["3600", "60", "1e6"], "num_buckets": ["6", "1", "10000"], "at_time": ["2030-01-01", "1.7e9"],
    "value": [50, 0.2, [], ["boats"], 3, "10"], "blocking": ["true", "false", "f", True],
    "replace": ["false", "true"], "outliers": ["true", "False"], "stats": ["true", "0"],
    "topic": ["river OR water", "money AND NOT river"], "limit": ["5", 20], "threshold": ["0.1", 0.9],
    "account": ["{account}"], "user": [USERNAME, OTHER, "nobody@example.com"], "level": ["read", "manage"],
    "email": ["new{n}@example.com", OTHER, "not an email"], "admin": ["false", "true"],
    "password": ["wrong password", "a new password 9", PASSWORD], "old_password": ["wrong"], "source_id": ["s1"],
    "older_than_id": ["1000", "3"], "newer_than_id": ["1"], "domain_expansion": ["true", False],
    "max_expansion_terms": [10, "5"], "username": [USERNAME, OTHER, "nobody"], "default_account": ["{account}"],
    "description": ["words"], "source": ["api", "x"], "earliest_created": ["2000-01-01"],
    "latest_ended": ["2100-01-01"],
}
TIME_PARAMS = {"timestamp", "earliest", "latest", "at_time", "earliest_created", "latest_created",
               "earliest_ended", "latest_ended"}


def evil_for(name: str):
    """Evil values, with the kinds that matter most for this parameter mixed in."""
    extra: list = []
    if name in TIME_PARAMS:
        extra = BAD_TIMES
    elif name in ("page", "num_buckets", "interval", "limit", "older_than_id", "newer_than_id",
                  "max_expansion_terms"):
        extra = BAD_PAGES
    elif name == "info":
        extra = BAD_CLASSIFIER_INFO + BAD_TERMS_INFO + EVIL_MESSAGE_INFO
    elif name == "topic":
        extra = BAD_TOPICS
    elif name == "value":
        extra = BAD_CONFIG
    if not extra:
        return st.sampled_from(EVIL_VALUES)
    return st.one_of(st.sampled_from(EVIL_VALUES), st.sampled_from(extra), st.sampled_from(extra))


@st.composite
def evil_item(draw, template: str):
    """One posted item (document, message, test) with evil fields, or not an item at all."""
    if draw(st.integers(0, 9)) == 0:
        return draw(st.sampled_from([None, 1, "text", [], RawJSON("[" * 5000 + "]" * 5000)]))
    item = {"text": draw(st.one_of(st.just("The river and the boat."), st.sampled_from(EVIL_VALUES),
                                   st.text(max_size=30)))} if draw(st.integers(0, 4)) else {}
    item.update(draw(st.fixed_dictionaries({}, optional={
        "timestamp": st.one_of(st.just(1.7e9), st.sampled_from(BAD_TIMES)),
        "label": st.sampled_from(["water", "\ud800", "a\x00b", HUGE[:1000], 5, None, [], ""]),
        "dataset": st.sampled_from(["book", "\x1b", 1e300, None, {}]),
        "language": st.sampled_from(["en", "xx", "", "\ud800", 1]),
        "source_id": st.sampled_from(["s", "\x00", 5, None, HUGE[:600]]),
        "info": st.sampled_from(EVIL_MESSAGE_INFO + [{}, {"k": "v"}]),
        "id": st.sampled_from([1, "x", None]),
    })))
    return item


def good_item(template: str):
    fields = {"text": st.sampled_from(["The ferryman rowed the boat across the river.",
                                       "Samanas fasted in the forest.", "Money, money in the city."])}
    if template == C + "test/":
        fields["label"] = st.sampled_from(["water", "forest", "city", "trade"])
    optional = {"timestamp": st.just(1.7e9 + 1)} if template != P + "messages/" else {}
    if template == P + "messages/":
        fields["timestamp"] = st.sampled_from([1.7e9, "2024-05-01T12:00:00Z", time.time() - 60])
    if template == P + "documents/":
        optional = {"label": st.just("water"), "dataset": st.just("book")}
    return st.fixed_dictionaries(fields, optional=optional)


@st.composite
def requests_(draw, fx: Fixture):
    """One request, most of them wrong in one way only (`focus`)."""
    template, allowed, own_params = draw(st.sampled_from(WEIGHTED_ENDPOINTS))
    focus = draw(st.sampled_from(["none", "ids", "params", "params", "body", "body", "method", "all"]))
    method = draw(st.sampled_from(ALL_METHODS if focus in ("method", "all") else allowed))
    real = {"project": fx.project, "account": fx.account, "email": draw(st.sampled_from([USERNAME, OTHER])),
            "token": draw(st.sampled_from([fx.token, fx.other_token])),
            "permission": draw(st.sampled_from(fx.permissions)),
            "classifier": draw(st.sampled_from(sorted(fx.classifiers.values()))),
            "ctopic": draw(st.sampled_from(fx.ctopics)), "topic": draw(st.sampled_from(fx.topics)),
            "message": draw(st.sampled_from(fx.messages)), "usage": draw(st.sampled_from(fx.usage)),
            "key": draw(st.sampled_from(CONFIG_KEYS + ["no_such_key"]))}
    used, values = {}, {}
    for slot, value in real.items():
        if "{" + slot + "}" not in template:
            continue
        if focus not in ("ids", "all") or draw(st.booleans()):
            values[slot], used[slot] = encode(value), value
        else:
            values[slot], used[slot] = quote(draw(st.sampled_from(EVIL_IDS)), safe="%"), None
    path = template.format(**values)
    mine = used.get("project") == fx.project
    # Never destroy the fixture itself: its project, classifiers and their topics, its
    # user and token (a password change or reset ends the token), its admin rights.
    if method == "DELETE" and mine and template in ("projects/{project}/", C, C + "topics/{ctopic}/"):
        method = "GET"
    if method == "DELETE" and used.get("token") == fx.token:
        method = "GET"
    if used.get("email") == USERNAME and (template.endswith("password/") or template.endswith("reset/")
                                          or method == "DELETE"):
        method = "GET"

    evil_params = focus in ("params", "all")
    names = [n for n in own_params if draw(st.integers(0, 2))]
    if evil_params or not own_params:
        names += draw(st.lists(st.one_of(st.sampled_from(PARAM_NAMES), st.sampled_from(["x", "", "\ud800", "a\x00"]),
                                         st.text(max_size=8)), max_size=3))
    params = []
    for name in names:
        if evil_params and draw(st.booleans()):
            value = draw(evil_for(name))
        else:
            value = draw(st.sampled_from(ORDINARY.get(name) or ["x", 1, "true"]))
            if isinstance(value, str):
                value = value.replace("{account}", fx.account).replace("{n}", str(draw(st.integers(0, 10**6))))
        params.append((name, value))
    if template == "users/{email}/" and used.get("email") in (USERNAME, OTHER):
        # renaming the fixture's users would leave the rest of the run knocking at 404s
        params = [(k, v) for k, v in params if k != "email" and (k != "admin" or used["email"] == OTHER)]

    posting = method in ("POST", "PUT") and template in BULK
    if focus in ("body", "all") and posting and draw(st.integers(0, 4)):
        where = "array"
    elif focus in ("body", "all"):
        where = draw(st.sampled_from(["array", "malformed", "wrong", "form", "json", "json"]))
    elif posting and draw(st.integers(0, 2)):
        where = "array"
    else:
        where = draw(st.sampled_from(["query", "form", "json", "json"] if method not in ("GET", "DELETE")
                                     else ["query", "query", "query", "form", "json"]))
    body_kind, body, content_type, query = where, None, None, []
    if where in ("query", "array"):
        query = params
    if len(urlencode(query)) > MAX_QUERY:
        where = body_kind = "form"
        query = []
    if where == "form":
        body, content_type = urlencode(params).encode("ascii"), "application/x-www-form-urlencoded"
    elif where == "json":
        body, content_type = to_json(dict(params)).encode("utf-8", "surrogatepass"), "application/json"
    elif where == "array":
        if focus in ("body", "all"):
            items = draw(st.lists(st.one_of(good_item(template), evil_item(template)), max_size=4))
            content_type = draw(st.sampled_from(["application/json", None, "text/plain"]))
        else:
            items = draw(st.lists(good_item(template), min_size=1, max_size=3))
            content_type = "application/json"
        body = to_json(items).encode("utf-8", "surrogatepass")
    elif where == "malformed":
        body = draw(st.sampled_from([b'[{"text": "x"', b"{", b"[", b'{"a": }', b"\xff\xfe\x00",
                                     b'{"text": "\xed\xa0\x80"}', b"[1,]", b'"just a string"', b"123",
                                     b"null", b"true", b"[] []", b"\x00", b"[[[]]]", b"[{}]", b"{}"]))
        content_type = draw(st.sampled_from(["application/json", None]))
    elif where == "wrong":
        body = draw(st.sampled_from([urlencode(params).encode("ascii"), to_json(dict(params)).encode(),
                                     b"<xml/>", b"--boundary\r\n\r\n", b"text=x&text=y&timestamp=1"]))
        content_type = draw(st.sampled_from([
            "text/plain", "application/xml", "multipart/form-data", "multipart/form-data; boundary=boundary",
            "application/json; charset=latin-1", "application/x-www-form-urlencoded",
            "application/octet-stream", ""]))
    auth = "token"
    if focus in ("none", "all") and draw(st.integers(0, 9)) == 0:
        auth = draw(st.sampled_from(["none", "forged", "other", "scheme"]))
    return Request(method, template, path, query, body_kind, body, content_type, auth)


# ---- the conventions -----------------------------------------------------------------------

def is_field_errors(value) -> bool:
    return isinstance(value, dict) and all(
        isinstance(k, str) and isinstance(v, list) and v and all(isinstance(m, str) and m for m in v)
        for k, v in value.items())


def convention_problem(response: requests.Response, request: Request) -> str | None:
    """Why an answer breaks Compass's conventions, or None."""
    status = response.status_code
    if status >= 500:
        return f"status {status}"
    if status == 204:
        return None if not response.content else f"204 with a body: {response.content[:80]!r}"
    content_type = response.headers.get("content-type", "")
    # the documentation, asked for directly or through a path like "projects/../"
    # (which the client resolves to the root before sending)
    from urllib.parse import urlparse
    at_root = urlparse(response.url).path.rstrip("/") == "/compass/api"
    if (request.template == "" or at_root) and request.method == "GET" and status == 200:
        return None if content_type.startswith("text/plain") else f"documentation as {content_type}"
    try:
        answer = response.json()
    except ValueError:
        return f"status {status}, not JSON ({content_type}): {response.text[:120]!r}"
    if status >= 400:
        if isinstance(answer, dict) and set(answer) == {"detail"}:
            return None if isinstance(answer["detail"], str) and answer["detail"] else "empty detail"
        if is_field_errors(answer) and answer:
            return None
        if (isinstance(answer, list) and answer and all(is_field_errors(e) for e in answer)
                and any(answer)):
            return None
        return f"status {status}, not Compass errors: {response.text[:160]!r}"
    if "result" in answer and "error" in answer if isinstance(answer, dict) else False:
        return "a v4 envelope in a Compass answer"
    if status == 201 and request.method != "POST":
        return f"201 on {request.method}"
    if request.method == "GET" and request.template in PAGED:
        # a topic's messages also say whether memberships are being computed again
        extra = {"membership"} if request.template.endswith("topics/{topic}/messages/") else set()
        if not (isinstance(answer, dict) and set(answer) - extra == {"count", "next", "previous", "results"}
                and isinstance(answer["results"], list) and len(answer["results"]) <= 20
                and isinstance(answer["count"], int) and answer["count"] >= len(answer["results"])):
            return f"not a page: {response.text[:160]!r}"
    return None


# ---- the test ----------------------------------------------------------------------------

def send(fx: Fixture, request: Request) -> requests.Response:
    headers = {}
    if request.auth == "token":
        headers["Authorization"] = f"Token {fx.token}"
    elif request.auth == "other":
        headers["Authorization"] = f"Token {fx.other_token}"
    elif request.auth == "forged":
        headers["Authorization"] = "Token forged-token-000"
    elif request.auth == "scheme":
        headers["Authorization"] = f"Bearer {fx.token}"
    if request.content_type is not None:
        headers["Content-Type"] = request.content_type
    url = fx.root + request.path
    if request.query:
        url += "?" + urlencode(request.query)
    return fx.session.request(request.method, url, data=request.body, headers=headers, timeout=120,
                              allow_redirects=False)


def test_fuzz_every_compass_endpoint(cfuzz):
    fx = cfuzz
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
        if TRACE is not None and request.template.startswith(TRACE):
            print(f"{response.status_code} {response.text[:100]!r} <- {request.describe()[:300]}")
        tally.per_endpoint[(request.template, response.status_code < 400)] += 1
        if response.status_code < 400:
            fx.wait_idle()  # the builds and clusterings it started write too
        new_logs = fx.logs.records[seen_logs:]
        problem = convention_problem(response, request)
        if problem:
            tally.violate(request, "5xx" if response.status_code >= 500 else "convention", problem, new_logs)
        elif new_logs:
            tally.violate(request, "logged error", f"status {response.status_code}", new_logs)
        check_nothing_changed(db, state, request, response, tally, new_logs)

    try:
        one_request()
    finally:
        report("compass fuzz", tally, [template for template, _, _ in ENDPOINTS], time.monotonic() - started)
        db.close()
    assert_clean(tally, EXAMPLES)


def test_project_still_works_after_fuzzing(cfuzz):
    """Whatever the fuzzer sent, the project lists, classifies, takes messages and
    answers stats. Deactivations are legitimate requests: they are undone first."""
    fx = cfuzz
    p = fx.p
    fx.ok("PUT", f"projects/{fx.project}/", json={"status": "active"})
    assert fx.ok("GET", "projects/")["count"] >= 1
    documents = fx.ok("GET", p + "documents/")
    assert documents["count"] >= len(DOCS)
    for cid in fx.classifiers.values():
        fx.ok("PUT", p + f"classifiers/{cid}/", json={"status": "active"})
    fx.wait_idle()
    records = [fx.ok("GET", p + f"classifiers/{cid}/") for cid in fx.classifiers.values()]
    # "active" once a version is built: the fuzzer's rebuilds never lose the last good one
    assert all(r["status"] == "active" for r in records), records
    found = fx.ok("POST", p + "classify/", json={"text": "The boat crossed the river for money."})
    sources = {t["source"] for t in found["topics"]}
    assert sources >= {r["name"] for r in records}, (sources, [r["name"] for r in records])
    assert -1 <= found["sentiment"] <= 1
    before = fx.ok("GET", p + "messages/")["count"]
    stored = fx.ok("POST", p + "messages/", 201, json=[{"text": "The ferry crossed the river.",
                                                        "timestamp": time.time()}])
    assert stored[0]["id"] and fx.ok("GET", p + "messages/")["count"] == before + 1
    stats = fx.ok("GET", p + "stats/", params={"interval": 3600, "num_buckets": 4})
    assert stats["measurements"]["count"] >= 1 and len(stats["time_buckets"]["counts"]) == 4
    assert fx.ok("GET", p + "topics/")["count"] >= 0
    assert fx.ok("GET", p + "config/")["default"]
    fx.wait_idle()


def test_what_the_fuzzer_found_stays_fixed(cfuzz):
    """Each answer here was a 500, a 4xx after storing, or an accepted value that
    later broke a background job, before the fix."""
    fx = cfuzz
    p = fx.p

    def refused(method, path, field_name, **kwargs):
        answer = fx.session.request(method, fx.root + path, headers={"Authorization": f"Token {fx.token}"},
                                    timeout=60, **kwargs)
        assert answer.status_code == 400, (path, kwargs, answer.status_code, answer.text[:300])
        assert field_name in answer.json(), answer.text[:300]

    # PUT users/<email>/ with a new email crashed (TypeError in the store) instead of renaming
    fx.ok("POST", "users/", 201, json={"name": "Renamed", "email": "before@example.com"})
    renamed = fx.ok("PUT", "users/before@example.com/", json={"email": "after@example.com", "name": "R"})
    assert renamed["email"] == "after@example.com" and renamed["name"] == "R"
    assert fx.session.get(fx.root + "users/before@example.com/", timeout=60,
                          headers={"Authorization": f"Token {fx.token}"}).status_code == 404
    # a bad ?page on POST documents/ answered 400 after the documents were stored
    count = fx.ok("GET", p + "documents/")["count"]
    created = fx.ok("POST", p + "documents/?page=[]", 201, json=[{"text": "A boat on the water."}])
    assert created["count"] == 1 and fx.ok("GET", p + "documents/")["count"] == count + 1
    # a sentiment_custom band that is not an object crashed (AttributeError in the engine)
    refused("POST", p + "classifiers/", "info", json={
        "name": "bands", "type": "sentiment_custom", "status": "active",
        "info": {"wordlist": {"river": 1}, "topics": {"low": 5}}})
    # match/ limit "²" (a digit to str.isdigit, not to int) crashed; "٣" was read as 3
    for limit in ("²", "٣"):
        refused("POST", p + "match/", "limit", json={"topic": "river", "limit": limit})
    # num_buckets was checked on its first 6 digits: 0000010000000 asked for 10 million buckets
    refused("GET", p + "stats/", "num_buckets", params={"num_buckets": "0000010000000", "interval": "1"})
    # buckets starting before the year 1 crashed (ValueError formatting the start time)
    refused("GET", p + "stats/", "at_time", params={"at_time": "0001-01-01", "interval": "3600"})
    # Unicode digits were read as a time ("٣" = 3 s after 1970) and as an interval
    refused("GET", p + "messages/", "earliest", params={"earliest": "٣"})
    refused("GET", p + "stats/", "interval", params={"interval": "٣٦٠٠"})
    # fractional or huge counts were stored, then crashed the clustering (slice of a float)
    for key, value in [("partition_max_messages", 5000.5), ("number_of_clusters", 1e18),
                       ("number_of_discardable_clusters", 2**62), ("partition_min_messages", -1),
                       ("labels_for_clustering", ["a\x00b"])]:
        refused("PUT", p + f"config/{key}/", "value", json={"value": value})
    assert fx.ok("PUT", p + "config/partition_max_messages/", json={"value": 4000.0})["value"] == 4000
    fx.ok("DELETE", p + "config/partition_max_messages/", 204)


def test_audit_against_the_documents(cfuzz):
    """Where the server disagreed with the 2018/2019 Compass documents."""
    fx = cfuzz
    p = fx.p
    # stats: "interval (integer): number of seconds that each bucket represents"
    stats = fx.ok("GET", p + "stats/", params={"interval": "3600", "num_buckets": "2"})
    assert stats["time_buckets"]["interval"] == 3600 and isinstance(stats["time_buckets"]["interval"], int)
    # topics_history/ takes "the query parameters for regular topics" too, stats among them
    topic = fx.ok("POST", p + "topics/", 201, json={"title": "audit", "info": {"terms": {"ferry": 1.0}}})
    history = fx.ok("GET", p + "topics_history/", params={"stats": "true", "num_buckets": "3"})
    assert all("time_buckets" in t["measurements"] for t in history["results"])
    # ended is when a topic became inactive: a topic made active again has not ended
    ended = fx.ok("PUT", p + f"topics/{topic['id']}/", json={"status": "inactive"})["ended"]
    assert ended and fx.ok("PUT", p + f"topics/{topic['id']}/", json={"status": "inactive"})["ended"] == ended
    assert fx.ok("PUT", p + f"topics/{topic['id']}/", json={"status": "active"})["ended"] is None
    fx.ok("DELETE", p + f"topics/{topic['id']}/", 204)
