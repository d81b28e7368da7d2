"""The cookbook flow with the unmodified official client, luminoso-api 1.1.1."""
import json
from pathlib import Path

import numpy as np
import pytest
from conftest import PASSWORD
from luminoso_api.errors import (
    LuminosoAuthError,
    LuminosoClientError,
    LuminosoLoginError,
)
from luminoso_api.v4_client import LuminosoClient
from pack64 import unpack64


def test_connect_with_password_and_saved_token(server, tmp_path):
    client = LuminosoClient.connect(server.url, username="analyst@example.com", password=PASSWORD)
    token_file = str(tmp_path / "tokens.json")
    token = client.save_token(token_file)
    saved = json.loads(Path(token_file).read_text())
    assert saved == {server.netloc: token}
    again = LuminosoClient.connect(server.url, token_file=token_file)
    assert again.get("ping") == "pong"
    # connect() with only the URL uses the token the server saved in ~/.luminoso
    default = LuminosoClient.connect(server.url)
    assert default.get("accounts")["default_account"] == server.setup.account_id


def test_connect_without_url_path_moves_to_default_account(server, demo_project, monkeypatch):
    from luminoso_api import v4_client

    # With no URL, connect() starts from the client's built-in API root: point that here.
    monkeypatch.setattr(v4_client, "URL_BASE", server.url.rstrip("/"))
    client = LuminosoClient.connect(token=server.token)
    assert client.url == f"{server.url}projects/{server.setup.account_id}/"
    assert "Siddhartha" in [p["name"] for p in client.get()]


def test_wrong_password_is_a_login_error(server):
    with pytest.raises(LuminosoLoginError) as info:
        LuminosoClient.connect(server.url, username="analyst@example.com", password="nope")
    assert info.value.args[0]["code"] == "AUTH_CREDS_INVALID"


def test_documentation_and_ping(server):
    client = LuminosoClient.connect(server.url, token=server.token)
    text = client.documentation()
    assert "topics/stats" in text and "distance" in text
    for method in ("get", "post", "put", "delete"):
        assert getattr(client, method)("ping") == "pong"


def test_create_upload_recalculate_wait(server):
    account = LuminosoClient.connect(f"{server.url}projects/{server.setup.account_id}",
                                     token=server.token)
    info = account.post(name="cookbook flow")
    assert info["path"] == f"/projects/{server.setup.account_id}/{info['project_id']}/"
    project = account.change_path(info["project_id"])
    docs = [{"text": "The river flowed past the ferry.", "title": "a", "subsets": ["x"]},
            {"text": "Siddhartha listened to the river.", "colour": "blue"},
            {"text": "The ferryman carried travellers across the river."}]
    statuses = project.upload("docs", docs)
    assert len(statuses) == 3 and all(s["_id"] for s in statuses)
    assert "colour" in statuses[1]["warnings"][0]
    job = project.post("docs/recalculate")
    assert isinstance(job, int)
    result = project.wait_for(job, interval=0.2)
    assert result["success"] is True and result["source_type"] == "recalculator"
    assert result["stop_time"] >= result["start_time"]
    jobs = project.get("jobs", verbose=True)
    assert [j["job_id"] for j in jobs] == [job]
    assert project.get("jobs") == []
    listed = account.get("", name="cookbook flow")
    assert listed[0]["counts"] == {"__all__": 3, "x": 1}
    assert listed[0]["last_update"] >= listed[0]["creation_date"]
    doc = project.get(f"docs/id/{statuses[0]['_id']}")
    assert doc["text"] == docs[0]["text"]
    river = next(t for t in doc["terms"] if t["term"] == "river|en")
    assert doc["text"][river["start"]:river["end"]] == "river"
    assert np.isclose(np.linalg.norm(unpack64(doc["vector"])), 1, atol=1e-3)


def test_topics_create_get_delete(official_project):
    before = official_project.get("topics")
    assert [t["name"] for t in before] == ["Negative Sentiment", "Positive Sentiment",
                                           "Characters", "River"]
    topic = official_project.post("topics", name="Coconut", text="coconut")
    assert len(topic["_id"]) == 36 and len(topic["vector"]) == 451
    assert official_project.get(f"topics/id/{topic['_id']}")["text"] == "coconut"
    related = official_project.get("terms/search", topic=topic["_id"])["search_results"]
    assert related[0][0]["term"] == "coconut|en"
    official_project.delete(f"topics/id/{topic['_id']}")
    assert official_project.get("topics") == before
    with pytest.raises(LuminosoClientError):
        official_project.get(f"topics/id/{topic['_id']}")


def test_top_terms_shape(official_project):
    terms = official_project.get("terms", limit=20)
    assert len(terms) == 20
    for term in terms:
        assert set(term) >= {"term", "text", "score", "distinct_doc_count", "total_doc_count",
                             "vector"}
        assert term["term"].endswith("|en")
        assert np.linalg.norm(unpack64(term["vector"])) == pytest.approx(1, abs=1e-3)
    scores = [t["score"] for t in terms]
    assert scores == sorted(scores, reverse=True)


def test_term_search_by_text_and_topic(official_project):
    results = official_project.get("terms/search", text="river")["search_results"]
    assert len(results) == 10
    assert results[0][0]["text"] == "river" and results[0][1] == pytest.approx(1, abs=1e-3)
    river_topic = next(t for t in official_project.get("topics") if t["name"] == "River")
    by_topic = official_project.get("terms/search", topic=river_topic["_id"], limit=5)
    assert [r[0]["term"] for r in by_topic["search_results"]] == \
        [r[0]["term"] for r in results[:5]]


def test_doc_search_by_text_and_vector(official_project):
    found = official_project.get("docs/search", text="river", limit=10)
    assert len(found["search_results"]) == 10
    match, _ = found["search_results"][0]
    assert set(match) == {"document", "exact_indices", "conceptual_indices"}
    assert found["exact_terms"] == ["river|en"]
    subset_stats = official_project.get("subsets/stats")
    chapter = next(s for s in subset_stats if s["subset"].startswith("Chapter 8"))
    by_vector = official_project.get("docs/search", vector=chapter["mean"], limit=3)
    assert len(by_vector["search_results"]) == 3
    scores = [s for _, s in by_vector["search_results"]]
    assert scores == sorted(scores, reverse=True)


def test_topic_stats_and_text_correlation(official_project):
    stats = official_project.get("topics/stats")
    topics = {t["_id"]: t["name"] for t in official_project.get("topics")}
    assert set(stats) == set(topics) | {".all"}
    for entry in stats.values():
        corr = entry["correlation"]
        assert corr["Zscore"] == pytest.approx(corr["mean"] / (corr["stdev"] / corr["n"] ** 0.5))
        assert entry["distance"] > 0
    correlations = official_project.put("topics/text_correlation",
                                        text="he heard the water quietly flowing")
    assert set(correlations) == set(topics)
    best = max(correlations, key=correlations.get)
    assert topics[best] == "River"


def test_ignore_list_round_trip(official_project):
    top = [t["term"] for t in official_project.get("terms", limit=5)]
    official_project.put("terms/ignorelist", term=top[0])
    assert official_project.get("terms/ignorelist") == {"fullstring": [top[0]], "substring": []}
    assert top[0] not in [t["term"] for t in official_project.get("terms", limit=5)]
    related = official_project.get("terms/search", text="siddhartha govinda")["search_results"]
    assert top[0] not in [r[0]["term"] for r in related]
    official_project.delete("terms/ignorelist", term=top[0])
    assert official_project.get("terms/ignorelist") == {"fullstring": [], "substring": []}
    assert [t["term"] for t in official_project.get("terms", limit=5)] == top


def test_subset_vectors_and_doc_vectors(official_project):
    stats = official_project.get("subsets/stats")
    means = {s["subset"]: unpack64(s["mean"]) for s in stats}
    counts = {s["subset"]: s["count"] for s in stats}
    docs = official_project.get("docs", limit=5000)
    first, last = "Chapter 1: THE SON OF THE BRAHMAN", "Chapter 12: GOVINDA"
    for chapter in (first, last, "__all__"):
        # a subset's mean is the plain average of its documents' vectors
        vectors = np.array([unpack64(d["vector"]) for d in docs if chapter in d["subsets"]])
        assert len(vectors) == counts[chapter]
        assert np.abs(vectors.mean(axis=0) - means[chapter]).max() < 1e-5
    # (the cookbook asks about "thoughtful", which occurs once and gets no vector here)
    text = "the ferryman and the river"
    vector = unpack64(official_project.upload("docs/vectors", [{"text": text}])[0]["vector"])
    assert vector.shape == (150,) and np.linalg.norm(vector) == pytest.approx(1, abs=1e-3)
    assert abs(np.dot(vector, means[first]) - np.dot(vector, means[last])) > 1e-3
    assert np.linalg.norm(means["__all__"]) < 1


def test_save_to_file_xlsx_and_csv(official_project, tmp_path):
    from openpyxl import load_workbook

    xlsx = tmp_path / "topic-subset-corrs.xlsx"
    official_project.save_to_file("topics/subset_correlation", str(xlsx), format="xlsx")
    rows = list(load_workbook(xlsx).active.values)
    assert rows[0][1] == "__all__" and len(rows) == 5 and len(rows[0]) == 14
    csv_path = tmp_path / "topic-topic.csv"
    official_project.save_to_file("topics/correlation", str(csv_path), format="csv")
    lines = csv_path.read_text().splitlines()
    assert lines[0].split(",")[1:] == ["Negative Sentiment", "Positive Sentiment", "Characters",
                                       "River"]
    diagonal = [float(line.split(",")[i + 1]) for i, line in enumerate(lines[1:])]
    assert diagonal == pytest.approx([1, 1, 1, 1], abs=1e-3)


def test_accounts_users_usage_and_password(server, tmp_path):
    client = LuminosoClient.connect(server.url, username="analyst@example.com", password=PASSWORD)
    accounts = client.get("accounts")
    account = server.setup.account_id
    assert accounts["default_account"] == account
    assert accounts["accounts"][0]["permissions"] == ["read", "write", "create", "account_manage"]
    users = client.get(f"accounts/{account}/users")
    assert users["members"]["analyst@example.com"] == ["read", "write", "create", "account_manage"]
    usage = client.get(f"accounts/{account}/usage", billing_period=[2026, 11])
    assert set(usage) == {"call_counts", "project_space", "total_space"}
    assert usage["total_space"]["total"] == sum(p["space"] for p in usage["project_space"].values())
    # a second user, made by the operator, gets read access through the API
    server.store.create_user("guest@example.com", "guest password 1", server.store.accounts.create("guest"))
    changed = client.put(f"accounts/{account}/users/guest@example.com", permissions=["read"],
                         reset=True)
    assert changed["members"]["guest@example.com"] == ["read"]
    guest = LuminosoClient.connect(server.url, username="guest@example.com",
                                   password="guest password 1")
    guest.put("user/password", old_password="guest password 1", new_password="guest password 2")
    with pytest.raises(LuminosoAuthError):
        guest.get("accounts")  # the old token died with the old password
    again = LuminosoClient.connect(server.url, username="guest@example.com",
                                   password="guest password 2")
    assert account in [a["account_id"] for a in again.get("accounts")["accounts"]]


def test_topic_stats_follow_topic_edits_despite_the_cache(server):
    account = LuminosoClient.connect(f"{server.url}projects/{server.setup.account_id}",
                                     token=server.token)
    project = account.change_path(account.post(name="stats cache")["project_id"])
    project.upload("docs", [{"text": "The river flowed past the ferry."},
                            {"text": "The merchant counted his money in the city."},
                            {"text": "The ferryman carried travellers across the river."}])
    project.wait_for(project.post("docs/recalculate"), interval=0.1)
    topic = project.post("topics", name="T", text="river")
    first = project.get("topics/stats")
    assert first == project.get("topics/stats")  # answered again, from the cache
    project.put(f"topics/id/{topic['_id']}", text="money")
    edited = project.get("topics/stats")
    assert edited[topic["_id"]]["correlation"]["mean"] != first[topic["_id"]]["correlation"]["mean"]
    other = project.post("topics", name="U", text="river")
    added = project.get("topics/stats")
    assert set(added) == {topic["_id"], other["_id"], ".all"}
    assert added[other["_id"]]["correlation"] == pytest.approx(first[topic["_id"]]["correlation"], rel=1e-5)
