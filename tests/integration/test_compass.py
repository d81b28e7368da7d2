"""The Compass API over HTTP: conventions (pagination, 201/204, field errors,
{"detail"} errors), tokens, permissions, classifiers of every type on the
Siddhartha documents, classify and messages, clustering, topics and stats."""
import threading
import time

import pytest
import requests

from lumiwork.datasets import siddhartha
from lumiwork.server import EmbeddedServer

ADMIN, PASSWORD = "admin@example.com", "compass test password"
CHAPTERS = ("Chapter 1", "Chapter 5", "Chapter 8")


class Compass:
    """A tiny client for the tests: root URL and a token."""

    def __init__(self, server, token=None):
        self.root = server.url.replace("/api/v4/", "/compass/api/")
        self.token = token

    def request(self, method, path, **kwargs):
        headers = {"Authorization": f"Token {self.token}"} if self.token else {}
        return requests.request(method, self.root + path, headers=headers, timeout=60, **kwargs)

    def ok(self, method, path, status=200, **kwargs):
        answer = self.request(method, path, **kwargs)
        assert answer.status_code == status, (answer.status_code, answer.text[:500])
        return answer.json() if answer.content else None

    def login(self, username, password):
        return self.ok("POST", "login/", data={"username": username, "password": password})["token"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("compass")
    with EmbeddedServer(folder / "data", token_file=folder / "tokens.json", username=ADMIN,
                        password=PASSWORD) as srv:
        yield srv


@pytest.fixture(scope="module")
def admin(server):
    client = Compass(server)
    client.token = client.login(ADMIN, PASSWORD)
    return client


@pytest.fixture(scope="module")
def project(server, admin, siddhartha_path):
    """A Compass project whose documents are Siddhartha's sentences, three chapters
    labelled (the rest unlabelled), with one classifier of each kind, built."""
    created = admin.ok("POST", "projects/", 201, json={"name": "Siddhartha", "account": server.setup.account_id,
                                                      "language": "en"})
    p = f"projects/{created['id']}/p/"
    docs = siddhartha(siddhartha_path)

    def label(doc):
        chapter = doc["subsets"][0].split(":")[0]
        return chapter if chapter in CHAPTERS else None

    admin.ok("POST", p + "documents/", 201, json=[{"text": d["text"], "label": label(d), "dataset": "book"}
                                                  for d in docs])
    admin.ok("POST", p + "classifiers/", 201, json={"name": "chapters", "type": "voting", "status": "active"})
    admin.ok("POST", p + "classifiers/", 201, json={
        "name": "nature", "type": "topic_based", "status": "active",
        "info": {"topics": [{"title": "water", "info": "river OR water"},
                            {"title": "money", "info": "money OR (merchant AND NOT river)"}]}})
    admin.ok("POST", p + "classifiers/", 201, json={"name": "mood", "type": "sentiment_combined",
                                                    "status": "active", "info": {"domain_expansion": True}})
    server.api.compass.wait_idle(120)
    return p


def test_unauthenticated_and_bad_token(admin):
    anonymous = Compass.__new__(Compass)
    anonymous.root, anonymous.token = admin.root, None
    assert anonymous.request("GET", "projects/").json() == {"detail": "Authentication credentials were not provided."}
    anonymous.token = "forged"
    answer = anonymous.request("GET", "projects/")
    assert answer.status_code == 401 and answer.json() == {"detail": "Invalid token."}


def test_login_returns_the_same_two_week_token(server, admin):
    again = admin.ok("POST", "login/", json={"username": ADMIN, "password": PASSWORD})
    assert again["token"] == admin.token and again["user"]["admin"] is True
    expires = time.mktime(time.strptime(again["expiration"][:19], "%Y-%m-%dT%H:%M:%S"))
    assert 13.9 * 86400 < expires - time.mktime(time.gmtime()) < 14.1 * 86400
    listed = admin.ok("GET", "tokens/")
    assert listed["count"] >= 1 and admin.token in {t["token"] for t in listed["results"]}
    assert admin.request("POST", "login/", data={"username": ADMIN, "password": "wrong"}).status_code == 400


def test_field_errors_and_choices(admin, server):
    answer = admin.request("POST", "projects/", json={"name": "", "account": "nope"})
    assert answer.status_code == 400
    errors = answer.json()
    assert errors["name"] and errors["language"] == ["This field is required."]
    assert "does not exist" in errors["account"][0]
    answer = admin.request("POST", "projects/", json={"name": "x", "account": server.setup.account_id,
                                                      "language": "tlh"})
    assert answer.status_code == 400 and "not a valid choice" in answer.json()["language"][0]


def test_pagination_has_a_working_next(admin, project):
    first = admin.ok("GET", project + "documents/")
    assert first["count"] > 1000 and len(first["results"]) == 20 and first["previous"] is None
    second = requests.get(first["next"], headers={"Authorization": f"Token {admin.token}"}, timeout=30).json()
    assert second["previous"] and second["results"][0]["id"] == first["results"][-1]["id"] + 1
    labelled = admin.ok("GET", project + "documents/?label=Chapter 8")
    assert labelled["count"] > 20 and {d["label"] for d in labelled["results"]} == {"Chapter 8"}


def test_every_classifier_builds_and_classifies(admin, project):
    classifiers = {c["name"]: c for c in admin.ok("GET", project + "classifiers/")["results"]}
    assert {c["building_state"] for c in classifiers.values()} == {"ready"}
    assert {t["title"] for t in classifiers["chapters"]["topics"]} == set(CHAPTERS)
    assert classifiers["mood"]["info"]["domain_terms"]
    found = admin.ok("POST", project + "classify/", json={"text": "The boat crossed the stream."})
    by_source = {t["source"]: t for t in found["topics"]}
    assert by_source["nature"]["name"] == "water" and 0.4 <= by_source["nature"]["score"] <= 1
    assert set(by_source) == {"chapters", "nature", "mood"}
    assert admin.ok("GET", project + "messages/")["count"] == 0  # classify/ saves nothing


def test_topic_syntax_errors_say_why(admin, project):
    answer = admin.request("POST", project + "classifiers/", json={
        "name": "ambiguous", "type": "topic_based", "status": "active",
        "info": {"topics": [{"title": "beer", "info": "ale OR beer AND NOT porter"}]}})
    assert answer.status_code == 400 and "parentheses" in answer.json()["info"][0]
    unknown = admin.request("POST", project + "classifiers/", json={"name": "u", "type": "magic", "status": "active"})
    assert unknown.status_code == 400 and "type" in unknown.json()


def test_test_endpoint_reports_accuracy(admin, project, siddhartha_path):
    chapters = {c["name"]: c for c in admin.ok("GET", project + "classifiers/")["results"]}
    report = admin.ok("POST", project + f"classifiers/{chapters['nature']['id']}/test/", json=[
        {"text": "The ferry carried them over the stream.", "label": "water", "language": "en"},
        {"text": "He counted his coins and his debts.", "label": "money", "language": "en"}])
    assert report["accuracy"] == 1.0
    assert [t["name"] for t in report["messages"][0]["topics"]][0] == "water"


def test_messages_stats_and_clustering(admin, server, project, siddhartha_path):
    admin.ok("PUT", project + "config/partition_min_messages/", json={"value": 50})
    docs = siddhartha(siddhartha_path)[300:500]
    start = time.time() - 4 * 3600
    stored = admin.ok("POST", project + "messages/", 201,
                      json=[{"text": d["text"], "timestamp": start + i * 60} for i, d in enumerate(docs)])
    assert len(stored) == 200 and all(m["topics"] for m in stored)
    missing = admin.request("POST", project + "messages/", json=[{"text": "no time"}])
    assert missing.status_code == 400 and missing.json()[0]["timestamp"] == ["This field is required."]
    server.api.compass.wait_idle(120)
    pending = admin.ok("GET", project + "topics/?status=pending")["results"]
    assert pending and all(t["title"] and t["info"]["terms"] for t in pending)
    members = admin.ok("GET", project + f"topics/{pending[0]['id']}/messages/?outliers=true")
    assert members["count"] >= 1 and "centrality" in members["results"][0]
    stats = admin.ok("GET", project + "stats/?interval=3600&num_buckets=6")
    assert stats["measurements"]["count"] == 200
    assert sum(c or 0 for c in stats["time_buckets"]["counts"]) == 200
    bucket = next(b for b in stats["time_buckets"]["sentiment_counts"] if b)
    assert set(bucket) == {"negative", "neutral", "positive"}
    newest = admin.ok("GET", project + "messages/")["results"][0]["id"]
    older = admin.ok("GET", project + f"messages/?older_than_id={newest}")
    assert older["count"] == 199


def test_permissions_levels(server, admin, project):
    user = admin.ok("POST", "users/", 201, json={"name": "Reader", "email": "reader@example.com"})
    admin.ok("POST", "permissions/", 201, json={"user": "reader@example.com",
                                                 "account": server.setup.account_id, "level": "read"})
    reader = Compass(server)
    reader.token = reader.login("reader@example.com", user["password"])
    assert reader.request("GET", "projects/").status_code == 403  # must change the password first
    reader.ok("PUT", "users/reader@example.com/password/", json={"password": "reader password 2",
                                                                 "old_password": user["password"]})
    reader.token = reader.login("reader@example.com", "reader password 2")
    assert reader.ok("GET", project + "classifiers/")["count"] == 3
    refused = reader.request("POST", project + "classify/", json={"text": "x"})
    assert refused.status_code == 403 and "detail" in refused.json()
    assert reader.request("POST", "accounts/", json={"name": "mine"}).status_code == 403


def test_delete_answers_204_and_topics_keep_history(admin, project):
    topic = admin.ok("POST", project + "topics/", 201, json={"title": "boats", "info": {"terms": {"boat": 1.0}}})
    answer = admin.request("DELETE", project + f"topics/{topic['id']}/")
    assert answer.status_code == 204 and answer.content == b""
    assert admin.request("GET", project + f"topics/{topic['id']}/").status_code == 404
    history = admin.ok("GET", project + "topics_history/?earliest_ended=2000-01-01")
    assert topic["id"] in {t["id"] for t in history["results"]}


def test_oversized_text_is_a_field_error_and_stores_nothing(admin, project):
    before = admin.ok("GET", project + "messages/")["count"]
    answer = admin.request("POST", project + "messages/", json=[
        {"text": "fine", "timestamp": time.time()}, {"text": "x" * 500_001, "timestamp": time.time()}])
    assert answer.status_code == 400
    errors = answer.json()
    assert errors[0] == {} and "500000" in errors[1]["text"][0]
    assert admin.ok("GET", project + "messages/")["count"] == before


def test_rebuild_keeps_the_old_version_classifying(admin, server, project):
    nature = next(c for c in admin.ok("GET", project + "classifiers/")["results"] if c["name"] == "nature")
    work = server.api.compass
    work.wait_idle(60)
    # Hold the build queue with a task of its own: the rebuild then waits its
    # turn, and what classifies meanwhile must be the previous version.
    release = threading.Event()
    work.builds.submit("hold", lambda: release.wait(60))
    try:
        rebuilding = admin.ok("POST", project + f"classifiers/{nature['id']}/rebuild/")
        assert rebuilding["building_state"] == "building" and rebuilding["status"] == "active"
        found = admin.ok("POST", project + "classify/", json={"text": "The boat crossed the stream."})
        assert any(t["source"] == "nature" and t["name"] == "water" for t in found["topics"])
        assert admin.ok("GET", project + f"classifiers/{nature['id']}/")["building_state"] == "building"
    finally:
        release.set()
    work.wait_idle(120)
    assert admin.ok("GET", project + f"classifiers/{nature['id']}/")["building_state"] == "ready"


def test_domain_terms_are_editable(admin, server, project):
    mood = next(c for c in admin.ok("GET", project + "classifiers/")["results"] if c["name"] == "mood")
    terms = dict(mood["info"]["domain_terms"])
    assert terms
    edited = {**{k: v for k, v in list(terms.items())[1:]}, "ferryman": 4.0}
    admin.ok("PUT", project + f"classifiers/{mood['id']}/", json={"info": {"domain_terms": edited}})
    server.api.compass.wait_idle(120)
    after = admin.ok("GET", project + f"classifiers/{mood['id']}/")
    assert after["building_state"] == "ready" and after["info"]["domain_terms"] == edited
    found = admin.ok("POST", project + "classify/", json={"text": "The ferryman."})
    assert next(t for t in found["topics"] if t["source"] == "mood")["name"] == "positive"


def test_put_topics_replaces_a_topic_based_classifiers_topics(admin, server, project):
    created = admin.ok("POST", project + "classifiers/", 201, json={
        "name": "replaceable", "type": "topic_based", "status": "active",
        "info": {"topics": [{"title": "water", "info": "river"}]}})
    server.api.compass.wait_idle(60)
    admin.ok("PUT", project + f"classifiers/{created['id']}/", json={"info": {"topics": [
        {"title": "boats", "info": "boat OR ferry"}, {"title": "money", "info": "money"}]}})
    server.api.compass.wait_idle(60)
    after = admin.ok("GET", project + f"classifiers/{created['id']}/")
    assert [t["title"] for t in after["topics"]] == ["boats", "money"] and after["building_state"] == "ready"
    bad = admin.request("PUT", project + f"classifiers/{created['id']}/", json={"info": {"topics": [
        {"title": "x", "info": "a OR b AND c"}]}})
    assert bad.status_code == 400 and "parentheses" in bad.json()["info"][0]
    admin.ok("DELETE", project + f"classifiers/{created['id']}/", 204)


def test_info_strings_are_decoded_strictly_and_not_chains_are_fine(admin, project):
    poison = admin.request("POST", project + "topics/", data={
        "title": "poison", "info": '{"terms": {"river": 1}, "x": NaN}'})
    assert poison.status_code == 400 and "info" in poison.json()
    deep = admin.request("POST", project + "topics/", data={"title": "deep", "info": "[" * 50000})
    assert deep.status_code == 400
    assert admin.request("GET", project + "topics/").status_code == 200
    chain = admin.request("POST", project + "match/", json={"topic": "NOT " * 2000 + "river"})
    assert chain.status_code == 200


def test_a_temporary_password_must_be_changed_in_api_v4_too(server, admin):
    user = admin.ok("POST", "users/", 201, json={"name": "Temp", "email": "temp@example.com"})
    token = requests.post(server.url + "user/login/", data={"username": "temp@example.com",
                                                            "password": user["password"]}).json()["result"]["token"]
    headers = {"Authorization": f"Token {token}"}
    refused = requests.get(server.url + "accounts/", headers=headers)
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "PASSWORD_RESET_REQUIRED"
    changed = requests.put(server.url + "user/password/", headers=headers,
                           data={"old_password": user["password"], "new_password": "a new password"})
    assert changed.status_code == 200
    token = requests.post(server.url + "user/login/", data={"username": "temp@example.com",
                                                            "password": "a new password"}).json()["result"]["token"]
    assert requests.get(server.url + "accounts/", headers={"Authorization": f"Token {token}"}).status_code == 200


def test_a_classifier_topic_is_also_reached_at_p_topics(admin, project):
    """Both Compass documents change and delete a topic-based classifier's topics
    at p/topics/<id>/; classifier topics and project topics share one id space."""
    nature = next(c for c in admin.ok("GET", project + "classifiers/")["results"] if c["name"] == "nature")
    created = admin.ok("POST", project + f"classifiers/{nature['id']}/topics/", 201,
                       json={"title": "forest", "info": "forest OR grove"})
    made = admin.ok("POST", project + "topics/", 201, json={"title": "boats", "info": {"terms": {"boat": 1.0}}})
    classifier_topics = {t["id"] for t in admin.ok("GET", project + f"classifiers/{nature['id']}/topics/")["results"]}
    assert made["id"] not in classifier_topics  # one id names one topic
    at_project = admin.ok("GET", project + f"topics/{created['id']}/")
    assert at_project["title"] == "forest" and at_project["info"] == "forest OR grove"
    admin.ok("PUT", project + f"topics/{created['id']}/", json={"title": "woods"})
    assert admin.ok("GET", project + f"classifiers/{nature['id']}/topics/{created['id']}/")["title"] == "woods"
    admin.ok("DELETE", project + f"topics/{created['id']}/", 204)
    admin.ok("GET", project + f"classifiers/{nature['id']}/topics/{created['id']}/", 404)
    assert admin.ok("GET", project + f"topics/{made['id']}/")["title"] == "boats"  # the project's own, untouched
    admin.ok("DELETE", project + f"topics/{made['id']}/", 204)


def test_testing_a_classifier_needs_a_language(admin, project):
    chapters = next(c for c in admin.ok("GET", project + "classifiers/")["results"] if c["name"] == "chapters")
    answer = admin.request("POST", project + f"classifiers/{chapters['id']}/test/",
                           json=[{"text": "The river.", "label": "Chapter 8"},
                                 {"text": "The river.", "label": "Chapter 8", "language": "xx"}])
    assert answer.status_code == 400
    errors = answer.json()
    assert errors[0] == {"language": ["This field is required."]} and "not a valid choice" in errors[1]["language"][0]


def test_a_made_up_boolean_is_refused_not_taken_as_true(admin, project):
    answer = admin.request("POST", project + "topics/", json={"title": "x", "info": {"terms": {"boat": 1.0}},
                                                               "blocking": "maybe"})
    assert answer.status_code == 400 and answer.json() == {"blocking": ["Must be a valid boolean."]}
    answer = admin.request("GET", project + "topics/", params={"stats": "perhaps"})
    assert answer.status_code == 400 and answer.json() == {"stats": ["Must be a valid boolean."]}
    assert admin.ok("GET", project + "topics/", params={"stats": "f"})["count"] >= 0


def test_domain_expansion_proposes_only_the_documents_terms(admin, server, project):
    """Messages bring words the documents never use into the space; domain
    expansion proposes none of them."""
    from lumiwork.engine.text import tokenize

    mood = next(c for c in admin.ok("GET", project + "classifiers/")["results"] if c["name"] == "mood")
    foreign = "The firmware update made the smartphone wonderful, delightful and excellent, a superb gadget."
    admin.ok("POST", project + "messages/", 201,
             json=[{"text": foreign, "timestamp": time.time() - 60 * i} for i in range(40)])
    admin.ok("POST", project + f"classifiers/{mood['id']}/rebuild/", json={"domain_expansion": True})  # found anew
    server.api.compass.wait_idle(180)
    terms = admin.ok("GET", project + f"classifiers/{mood['id']}/")["info"]["domain_terms"]
    documents, page = [], admin.ok("GET", project + "documents/")
    while True:  # every page of the project's documents
        documents += [d["text"] for d in page["results"]]
        if not page["next"]:
            break
        page = admin.ok("GET", page["next"].removeprefix(admin.root))
    words = {token.lemma for text in documents for token in tokenize(text, "en")}
    assert terms and all(set(term.split()) <= words for term in terms), \
        sorted(term for term in terms if not set(term.split()) <= words)
    assert not {"firmware", "smartphone", "gadget"} & set(terms)


def test_turning_domain_expansion_off_deletes_the_domain_terms(admin, server, project):
    mood = next(c for c in admin.ok("GET", project + "classifiers/")["results"] if c["name"] == "mood")
    assert mood["info"]["domain_terms"]
    admin.ok("PUT", project + f"classifiers/{mood['id']}/", json={"info": {"domain_expansion": False}})
    server.api.compass.wait_idle(120)
    after = admin.ok("GET", project + f"classifiers/{mood['id']}/")
    assert after["building_state"] == "ready" and after["info"]["domain_expansion"] is False
    assert "domain_terms" not in after["info"] and "term_conflicts" not in after["info"]
