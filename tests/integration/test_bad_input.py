"""Bad input answers 4xx with a code and message, and leaves stored data alone."""
import json

import pytest
import requests


@pytest.fixture(scope="module")
def small_project(server, account_client):
    info = account_client.post("", name="bad input")
    project = account_client.change_path(info["project_id"])
    project.upload("docs", [{"text": "The river flowed."}, {"text": "A boat on the water."}])
    project.wait_for(project.post("docs/recalculate"), interval=0.1)
    return project


def raw(server, method, path, token=True, **kwargs):
    headers = kwargs.pop("headers", {})
    if token:
        headers["Authorization"] = f"Token {server.token}"
    return requests.request(method, server.url + path, headers=headers, timeout=30, **kwargs)


def project_path(project):
    return project.url.split("/api/v4/")[1]


def snapshot(project):
    return (project.get("docs", limit=1000), project.get("topics"), project.get("terms/ignorelist"))


def assert_error(response, status, code=None):
    assert response.status_code == status, response.text
    error = response.json()["error"]
    assert response.json()["result"] is None
    assert error["code"] and error["message"]
    if code:
        assert error["code"] == code
    return error


def test_malformed_json_body(server, small_project):
    before = snapshot(small_project)
    response = raw(server, "POST", project_path(small_project) + "docs/", data=b'[{"text": "x"',
                   headers={"Content-Type": "application/json"})
    assert_error(response, 400, "INVALID_JSON")
    assert snapshot(small_project) == before


def test_upload_with_a_bad_document_stores_nothing(server, small_project):
    before = snapshot(small_project)
    body = json.dumps([{"text": "Ferries cross rivers."}, {"title": "no text"}, {"text": "  "}])
    response = raw(server, "POST", project_path(small_project) + "docs/", data=body,
                   headers={"Content-Type": "application/json"})
    error = assert_error(response, 400, "BAD_DOCUMENTS")
    assert [("error" in s) for s in error["statuses"]] == [False, True, True]
    assert [s["error"]["code"] for s in error["statuses"][1:]] == ["NO_TEXT", "NO_TEXT"]
    assert snapshot(small_project) == before


def test_wrong_password(server):
    response = requests.post(server.url + "user/login/",
                             data={"username": "analyst@example.com", "password": "wrong"})
    assert_error(response, 401, "AUTH_CREDS_INVALID")


@pytest.mark.parametrize("header", [None, "Token not-a-real-token", "Bearer abc"])
def test_missing_or_unknown_token(server, header):
    headers = {"Authorization": header} if header else {}
    response = requests.get(server.url + "accounts/", headers=headers, timeout=30)
    assert_error(response, 401)


def test_user_without_permission_on_another_account(server, small_project):
    other_account = server.store.accounts.create("outsider's")
    server.store.create_user("outsider@example.com", "outsider password", other_account)
    token = requests.post(server.url + "user/login/", data={
        "username": "outsider@example.com", "password": "outsider password"}).json()["result"]["token"]
    before = snapshot(small_project)
    headers = {"Authorization": f"Token {token}"}
    for method, path in [("GET", "docs/"), ("POST", "topics/"), ("DELETE", "")]:
        response = requests.request(method, server.url + project_path(small_project) + path,
                                    headers=headers, data={"name": "x", "text": "y"}, timeout=30)
        assert_error(response, 403, "FORBIDDEN")
    assert snapshot(small_project) == before


@pytest.mark.parametrize("suffix", ["../nosuch/", "topics/id/1b2c3d4e-0000-4000-8000-000000000000/",
                                    "jobs/id/999/", "jobs/id/abc/", "docs/id/nope/"])
def test_unknown_ids(server, small_project, suffix):
    path = project_path(small_project) + suffix
    assert_error(raw(server, "GET", path), 404, "NOT_FOUND")


def test_non_numeric_limit(server, small_project):
    response = raw(server, "GET", project_path(small_project) + "terms/", params={"limit": "many"})
    error = assert_error(response, 400, "INVALID_PARAMETER")
    assert "limit" in error["message"]


def test_body_over_size_limit(tmp_path):
    from lumiwork.server import EmbeddedServer

    with EmbeddedServer(tmp_path / "data", token_file=tmp_path / "tokens.json",
                        password="size limit pw", max_body=10_000) as small:
        headers = {"Authorization": f"Token {small.token}", "Content-Type": "application/json"}
        account = small.setup.account_id
        created = requests.post(f"{small.url}projects/{account}/", headers=headers,
                                data=json.dumps({"name": "big"})).json()["result"]
        url = f"{small.url}projects/{account}/{created['project_id']}/docs/"
        body = json.dumps([{"text": "word " * 5000}])
        assert_error(requests.post(url, headers=headers, data=body), 413, "TOO_LARGE")
        listed = requests.get(url, headers=headers).json()["result"]
        assert listed == []


def test_too_many_texts_to_vectorize_are_refused(server, small_project, monkeypatch):
    from lumiwork.server.core.limits import LIMITS

    monkeypatch.setitem(LIMITS, "documents per upload", 3)
    path = project_path(small_project) + "docs/vectors/"
    texts = [{"text": f"river {i}"} for i in range(4)]
    error = assert_error(raw(server, "POST", path, json=texts), 413, "TOO_LARGE")
    assert "at most 3 texts" in error["message"]
    answered = raw(server, "POST", path, json=texts[:3])
    assert answered.status_code == 200 and len(answered.json()["result"]) == 3


def test_search_before_any_recalculation(server, account_client):
    info = account_client.post("", name="never built")
    project = account_client.change_path(info["project_id"])
    project.upload("docs", [{"text": "Nothing computed yet."}])
    for endpoint in ("terms/search/", "docs/search/"):
        response = raw(server, "GET", project_path(project) + endpoint, params={"text": "x"})
        assert_error(response, 400, "NO_ASSOC")


def test_method_not_allowed_and_unknown_endpoint(server):
    assert_error(raw(server, "DELETE", "accounts/"), 405, "METHOD_NOT_ALLOWED")
    assert_error(raw(server, "GET", "no/such/endpoint/"), 404, "NOT_FOUND")


def test_error_classes_of_the_official_client(server, small_project):
    from luminoso_api.errors import LuminosoAuthError, LuminosoClientError
    from luminoso_api.v4_client import LuminosoClient

    client = LuminosoClient.connect(small_project.url, token=server.token)
    with pytest.raises(LuminosoClientError):
        client.get("terms", limit="lots")
    with pytest.raises(LuminosoAuthError):
        LuminosoClient.connect(small_project.url, token="forged").get("terms")


@pytest.mark.parametrize("date", ["0001-01-01T00:00:00+05:00", "9999-12-31T23:59:59-05:00"])
def test_iso_dates_outside_years_1_to_9999_are_refused(server, small_project, date):
    before = snapshot(small_project)
    response = raw(server, "POST", project_path(small_project) + "docs/",
                   data=json.dumps([{"text": "dated", "date": date}]), headers={"Content-Type": "application/json"})
    error = assert_error(response, 400, "BAD_DOCUMENTS")
    assert "years 1 to 9999" in error["statuses"][0]["error"]["message"]
    assert snapshot(small_project) == before
