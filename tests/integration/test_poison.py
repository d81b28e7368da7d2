"""Poison uploads: a document (or topic) that could make later reads fail.

A server that stores such a thing fails later, on every listing, search or
export of the project. So each poison is either refused at the door (a 4xx with
a code, and nothing of that upload stored: uploads are all-or-nothing) or, for
control characters in a document's text only, accepted and harmless. Either
way the project keeps listing, searching, recalculating and exporting.

Also the document-deletion endpoint, POST docs/delete/ with `ids`.
Everything goes over the wire; bodies are raw bytes so that lone surrogates
(the JSON escape "\\ud800"), NaN and 1e400 reach the server as a client could
send them.
"""
from __future__ import annotations

import io
import json
import time

import pytest
import requests

USERNAME = "poison@example.com"
PASSWORD = "poison password 1"
GOOD_DOC = '{"text": "The boat drifted down the river to the sea.", "subsets": ["water"]}'
BASE_DOCS = [
    ("The river flowed past the ferryman's boat.", ["water", "Chapter 1"]),
    ("Siddhartha listened to the water of the river.", ["water", "Chapter 1"]),
    ("The samanas fasted in the dark forest.", ["forest", "Chapter 2"]),
    ("Govinda walked into the forest with the samanas.", ["forest", "Chapter 2"]),
    ("Kamala and the merchant lived in the city.", ["city", "Chapter 3"]),
    ("The ferryman smiled and rowed across the river.", ["water", "Chapter 3"]),
]


def doc_with(field_json: str, text: str = '"The boat and the river."') -> str:
    """A document's JSON text with one extra raw field, e.g. '"date": NaN'."""
    return '{"text": ' + text + ", " + field_json + ', "subsets": ["water"]}'


# name -> raw JSON body for POST docs/; a good document first, so an upload
# that is not all-or-nothing shows.
POISONS = {
    "date NaN": doc_with('"date": NaN'),
    "date Infinity": doc_with('"date": Infinity'),
    "date -Infinity": doc_with('"date": -Infinity'),
    "date 1e400": doc_with('"date": 1e400'),
    "date 2**63": doc_with(f'"date": {2**63}'),
    "date 10**24": doc_with(f'"date": {10**24}'),
    "text lone surrogate": '{"text": "river \\ud800 boat"}',
    "text lone low surrogate": '{"text": "river \\udc00"}',
    "title lone surrogate": doc_with('"title": "a \\ud800 title"'),
    "subset lone surrogate": '{"text": "The boat and the river.", "subsets": ["\\ud800"]}',
    "subsets null": '{"text": "The boat and the river.", "subsets": null}',
    "subsets nested list": '{"text": "The boat and the river.", "subsets": [["water"]]}',
    "subsets number": '{"text": "The boat and the river.", "subsets": 7}',
    "text NUL": '{"text": "river\\u0000boat", "subsets": ["water"]}',
    "text escape char": '{"text": "river \\u001b[31m boat", "subsets": ["water"]}',
    "text bell and DEL": '{"text": "river \\u0007 boat \\u007f", "subsets": ["water"]}',
}
CONTROL_IN_TEXT = {"text NUL", "text escape char", "text bell and DEL"}


class Api:
    def __init__(self, url: str, token: str):
        self.url = url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Token {token}"

    def call(self, method: str, path: str, **kwargs) -> requests.Response:
        return self.session.request(method, self.url + path, timeout=120, **kwargs)

    def result(self, method: str, path: str, **kwargs):
        response = self.call(method, path, **kwargs)
        assert response.status_code == 200, (method, path, response.status_code,
                                             response.text[:500])
        return response.json()["result"]

    def post_json(self, path: str, raw_json: str) -> requests.Response:
        return self.call("POST", path, data=raw_json.encode("ascii"),
                         headers={"Content-Type": "application/json"})


def assert_error(response: requests.Response) -> dict:
    """A 4xx with the v4 envelope and a code."""
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:500])
    answer = response.json()
    assert answer["result"] is None
    error = answer["error"]
    assert isinstance(error["code"], str) and error["code"], answer
    assert isinstance(error["message"], str) and error["message"], answer
    return error


@pytest.fixture(scope="module")
def api(tmp_path_factory):
    from lumiwork.server import EmbeddedServer

    tmp = tmp_path_factory.mktemp("poison")
    server = EmbeddedServer(tmp / "data", token_file=tmp / "tokens.json", username=USERNAME,
                            password=PASSWORD)
    api = Api(server.url, server.token)
    api.account = server.setup.account_id
    yield api
    server.stop()


def wait_for_job(api: Api, project: str, job_id: int, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.result("GET", f"{project}jobs/id/{job_id}/")
        if job.get("stop_time"):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} of {project} did not finish within {timeout} s")


def recalculate(api: Api, project: str) -> dict:
    job = api.result("POST", project + "docs/recalculate/")
    finished = wait_for_job(api, project, job)
    assert finished["success"] is True, finished
    return finished


def new_project(api: Api, name: str) -> tuple[str, list[str]]:
    """A fresh recalculated project with six documents and a topic: its path and doc ids."""
    created = api.result("POST", f"projects/{api.account}/", data={"name": name})
    project = f"projects/{api.account}/{created['project_id']}/"
    statuses = api.result("POST", project + "docs/", data=json.dumps(
        [{"text": t, "title": f"doc {i}", "subsets": s} for i, (t, s) in enumerate(BASE_DOCS)]),
        headers={"Content-Type": "application/json"})
    api.result("POST", project + "topics/", data={"name": "River", "text": "river boat"})
    recalculate(api, project)
    return project, [s["_id"] for s in statuses]


def stored_state(api: Api, project: str):
    docs = api.result("GET", project + "docs/", params={"limit": 1000})
    record = api.result("GET", project)
    topics = api.result("GET", project + "topics/")
    return ([(d["_id"], d["text"], d.get("title"), d.get("subsets")) for d in docs],
            record.get("counts"), [(t["_id"], t["name"], t["text"]) for t in topics])


def assert_project_works(api: Api, project: str, min_docs: int):
    """Lists, searches, recalculates, exports csv and xlsx."""
    docs = api.result("GET", project + "docs/", params={"limit": 1000})
    assert len(docs) >= min_docs
    for doc in docs:
        assert api.result("GET", f"{project}docs/id/{doc['_id']}/")["_id"] == doc["_id"]
    recalculate(api, project)
    found = api.result("GET", project + "docs/search/", params={"text": "river boat"})
    assert found["search_results"], "docs/search finds nothing for 'river boat'"
    terms = api.result("GET", project + "terms/search/", params={"text": "river"})
    assert terms["search_results"], "terms/search finds nothing for 'river'"
    assert api.result("GET", project + "terms/", params={"limit": 10})
    assert api.result("GET", project + "topics/stats/")
    assert api.result("GET", project + "subsets/stats/")
    api.result("GET", f"projects/{api.account}/")
    api.result("GET", "projects/")
    from openpyxl import load_workbook

    for endpoint in ("topics/correlation/", "topics/subset_correlation/"):
        csv_answer = api.call("GET", project + endpoint, params={"format": "csv"})
        assert csv_answer.status_code == 200, (endpoint, csv_answer.text[:300])
        assert csv_answer.headers["content-type"].startswith("text/csv")
        assert len(csv_answer.text.splitlines()) >= 2
        xlsx_answer = api.call("GET", project + endpoint, params={"format": "xlsx"})
        assert xlsx_answer.status_code == 200, (endpoint, xlsx_answer.text[:300])
        sheet = load_workbook(io.BytesIO(xlsx_answer.content)).active
        assert sheet.max_row >= 2 and sheet.max_column >= 2


@pytest.mark.parametrize("kind", list(POISONS))
def test_poison_document(api, kind):
    project, _ = new_project(api, f"poison {kind}")
    before = stored_state(api, project)
    response = api.post_json(project + "docs/", f"[{GOOD_DOC}, {POISONS[kind]}]")
    if response.status_code == 200 and kind in CONTROL_IN_TEXT:
        statuses = response.json()["result"]
        assert len(statuses) == 2 and all(s.get("_id") for s in statuses), statuses
        after = stored_state(api, project)
        assert len(after[0]) == len(before[0]) + 2
        assert_project_works(api, project, len(BASE_DOCS) + 2)
        return
    error = assert_error(response)
    assert stored_state(api, project) == before, (
        f"the rejected upload ({error['code']}) stored something: uploads are all-or-nothing")
    assert_project_works(api, project, len(BASE_DOCS))


@pytest.mark.parametrize("name", ["a\x01b", "tab\tand\x1bescape", "nul\x00"])
def test_topic_name_with_control_character(api, name):
    project, _ = new_project(api, f"poison topic {name!r}")
    before = stored_state(api, project)
    response = api.call("POST", project + "topics/", data={"name": name, "text": "forest"})
    assert_error(response)
    assert stored_state(api, project) == before
    assert_project_works(api, project, len(BASE_DOCS))


def test_topic_name_lone_surrogate(api):
    project, _ = new_project(api, "poison topic surrogate")
    before = stored_state(api, project)
    response = api.post_json(project + "topics/", '{"name": "a\\ud800b", "text": "forest"}')
    assert_error(response)
    assert stored_state(api, project) == before
    assert_project_works(api, project, len(BASE_DOCS))


# ---- POST docs/delete/ -------------------------------------------------------------------

def delete_docs(api: Api, project: str, ids, how: str) -> requests.Response:
    if how == "form":
        return api.call("POST", project + "docs/delete/", data={"ids": json.dumps(ids)})
    return api.call("POST", project + "docs/delete/", data=json.dumps({"ids": ids}),
                    headers={"Content-Type": "application/json"})


@pytest.mark.parametrize("how", ["form", "json"])
def test_delete_documents(api, how):
    project, ids = new_project(api, f"delete {how}")
    record = api.result("GET", project)
    counts_before = record["counts"]
    # ids[0] and ids[1] are the two "Chapter 1" documents, both in "water"
    gone = ids[:2]
    response = delete_docs(api, project, gone, how)
    assert response.status_code == 200, response.text[:500]
    assert response.json()["error"] is None
    for doc_id in gone:
        assert_error(api.call("GET", f"{project}docs/id/{doc_id}/"))
        assert api.call("GET", f"{project}docs/id/{doc_id}/").status_code == 404
    for doc_id in ids[2:]:
        assert api.result("GET", f"{project}docs/id/{doc_id}/")["_id"] == doc_id
    listed = [d["_id"] for d in api.result("GET", project + "docs/", params={"limit": 1000})]
    assert sorted(listed) == sorted(ids[2:])
    counts = api.result("GET", project)["counts"]
    assert counts["__all__"] == counts_before["__all__"] - 2
    assert counts.get("water", 0) == counts_before["water"] - 2
    assert counts.get("Chapter 1", 0) == 0
    assert counts["forest"] == counts_before["forest"]
    assert api.result("GET", project)["document_count"] == len(ids) - 2
    assert_project_works(api, project, len(ids) - 2)
    found = api.result("GET", project + "docs/search/", params={"text": "river", "limit": 50})
    assert not {r[0]["document"]["_id"] for r in found["search_results"]} & set(gone)


@pytest.mark.parametrize("ids", [
    ["no-such-document"],
    "REAL+UNKNOWN",
    None,
    "a string",
    [1, 2],
    [["nested"]],
    ["\ud800"],
])
@pytest.mark.parametrize("how", ["form", "json"])
def test_delete_unknown_or_bad_ids(api, ids, how):
    project, real = new_project(api, f"delete bad {how} {ids!r}")
    if ids == "REAL+UNKNOWN":
        ids = [real[0], "no-such-document"]
    before = stored_state(api, project)
    if how == "json":
        body = json.dumps({"ids": ids})  # ensure_ascii: a lone surrogate travels as \ud800
        response = api.call("POST", project + "docs/delete/", data=body.encode("ascii"),
                            headers={"Content-Type": "application/json"})
    else:
        response = api.call("POST", project + "docs/delete/", data={"ids": json.dumps(ids)})
    assert_error(response)
    assert stored_state(api, project) == before, "a refused deletion deleted something"
    assert_project_works(api, project, len(BASE_DOCS))
