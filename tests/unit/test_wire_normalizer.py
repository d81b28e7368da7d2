"""tests/wire_corpus.py without a server: how answers are normalized (Compass's
integer ids above all), how bodies are decoded, and how entries are compared
to the corpus or to the changes file."""
import requests
from wire_corpus import Normalizer, Step, check_changes, compare, decode_body

ROOT = "http://127.0.0.1:9/compass/api/projects/abcdefgh/p/"


def classifier(cid: int, topic_ids: list[int]) -> dict:
    return {"url": f"{ROOT}classifiers/{cid}/", "id": cid, "name": "nature",
            "topics": [{"url": f"{ROOT}classifiers/{cid}/topics/{t}/", "id": t, "title": f"t{t}"}
                       for t in topic_ids]}


def project_topic(tid: int) -> dict:
    return {"url": f"{ROOT}topics/{tid}/", "id": tid, "title": "Boats", "messages_url": f"{ROOT}topics/{tid}/messages/"}


def answers(classifier_topics: list[int], boats: int, message: int) -> list:
    """What a server says in turn: a classifier with two topics, a project topic, a
    message classified by the first classifier topic, a match result, a page link."""
    return [
        classifier(5, classifier_topics),
        project_topic(boats),
        {"url": f"{ROOT}messages/{message}/", "id": message, "text": "x",
         "topics": [{"id": classifier_topics[0], "name": "t", "score": 1.0, "source": "nature"},
                    {"id": None, "name": "UNCLASSIFIED", "score": 0.0, "source": "custom"}]},
        {"results": [{"id": message, "text": "x", "score": 0.5}],
         "previous": f"{ROOT}messages/?newer_than_id={message}&page=2"},
        project_topic(boats),
    ]


def normalized(bodies: list) -> list:
    normalizer = Normalizer("127.0.0.1:9")
    out = []
    for body in bodies:
        normalizer.discover(body)
        out.append(normalizer.value(body, compass=True))
    return out


def test_compass_ids_are_placeholders_alike_whichever_sequence_numbers_them():
    # before: classifier topics and project topics numbered apart (both start at 1);
    # after: from one sequence, so the project topic is 3
    before = normalized(answers([1, 2], boats=1, message=7))
    after = normalized(answers([1, 2], boats=3, message=40))
    assert before == after
    first, boats, message, match, again = before
    assert first["id"] == "<classifier-1>" and first["url"].endswith("/p/classifiers/<classifier-1>/")
    assert [t["id"] for t in first["topics"]] == ["<topic-1>", "<topic-2>"]
    assert first["topics"][1]["url"].endswith("/classifiers/<classifier-1>/topics/<topic-2>/")
    # a project topic is not the classifier topic of the same number
    assert boats["id"] == "<topic-3>" and boats["messages_url"].endswith("/p/topics/<topic-3>/messages/")
    assert again == boats
    assert message["id"] == "<message-1>" and message["url"].endswith("/messages/<message-1>/")
    assert [t["id"] for t in message["topics"]] == ["<topic-1>", None]
    assert match["results"][0]["id"] == "<message-1>"
    assert match["previous"].endswith("/messages/?newer_than_id=<message-1>&page=2")


def test_integers_of_api_v4_answers_stay():
    normalizer = Normalizer("127.0.0.1:9")
    body = {"result": {"id": 3, "topics": [{"id": 4, "text": "x"}], "cluster_topic": 5}}
    assert normalizer.value(body) == body


def test_compass_urls_in_headers_and_other_fields():
    normalizer = Normalizer("127.0.0.1:9")
    assert normalizer.text(f"{ROOT}documents/12/") == \
        "http://<server>/compass/api/projects/abcdefgh/p/documents/<document-1>/"
    body = {"cluster_topic": 4, "classifier_id": 2, "blocking": True, "count": 4, "permissions": [
        {"url": "http://127.0.0.1:9/compass/api/permissions/9/", "id": 9}]}
    assert normalizer.value(body, compass=True) == {
        "cluster_topic": "<topic-1>", "classifier_id": "<classifier-1>", "blocking": True, "count": 4,
        "permissions": [{"url": "http://<server>/compass/api/permissions/<permission-1>/", "id": "<permission-1>"}]}


def response(status: int, content_type: str, body: bytes) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer.headers["content-type"] = content_type
    answer._content = body
    return answer


def test_bodies_that_are_not_what_their_type_says_are_text():
    assert decode_body(response(500, "text/plain; charset=utf-8", b"Internal Server Error")) == \
        "Internal Server Error"
    assert decode_body(response(500, "application/json", b"{not json")) == "{not json"
    assert decode_body(response(200, "application/json", b'{"a": 1}')) == {"a": 1}


def entry(name: str, status: int) -> dict:
    return {"name": name, "request": {"method": "GET", "path": "/x/"}, "answer": {"status": status}}


def test_listed_entries_are_compared_to_the_changes_file():
    recorded = [entry("a", 200), entry("b", 200), entry("c", 200)]
    replayed = [entry("a", 200), entry("b", 400), entry("c", 400)]
    assert [p["name"] for p in compare(recorded, replayed)] == ["b", "c"]
    changes = {"b": {"reason": "fixed", "answer": {"status": 400}},
               "c": {"reason": "fixed too", "answer": None}}
    problems = compare(recorded, replayed, changes)
    assert [p["name"] for p in problems] == ["c"]
    assert "wire_corpus.py changes" in problems[0]["differences"][0][1]
    # an entry listed as changed that answers as before is a difference too
    assert [p["name"] for p in compare(recorded, recorded, {"b": changes["b"]})] == ["b"]


def test_check_changes():
    steps = [Step("a", "GET", "/x/"), Step("b", "GET", "/y/")]
    assert check_changes({"a": {"reason": "why", "answer": None}}, steps) == []
    wrong = check_changes({"z": {"reason": "why", "answer": None}, "b": {"reason": " ", "answer": None},
                           "a": {"reason": "why"}}, steps)
    assert len(wrong) == 3 and "'z' is no step" in wrong[0] and "'b' has no reason" in wrong[1]
