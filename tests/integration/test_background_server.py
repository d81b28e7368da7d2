"""Background knowledge as users meet it: GET / and job messages say whether it
is in use, unseen words get vectors and are named, and a server without it
still works and says so."""
import numpy as np
import pytest
import requests

from lumiwork import vectors as packing
from lumiwork.client import LuminosoClient
from lumiwork.server import EmbeddedServer


def test_documentation_and_job_say_background_is_in_use(server, demo_project):
    text = requests.get(server.url).text
    assert "This server: in use: GloVe 6B 50d retrofitted to WordNet 3.0" in text
    jobs = demo_project.get("jobs", verbose=True)
    assert "background knowledge in use" in jobs[-1]["message"]


def test_unseen_words_get_vectors_and_are_listed(demo_project):
    [answer] = demo_project.post_data("docs/vectors", '[{"text": "thoughtful"}]', "application/json")
    assert answer["terms"] == []
    assert answer["background_terms"] == [{"term": "thoughtful|en", "start": 0, "end": 10}]
    vector = packing.unpack(answer["vector"])
    assert np.linalg.norm(vector) == pytest.approx(1, abs=1e-3)
    found = demo_project.get("terms/search", text="thoughtful", limit=5)
    assert found["background_terms"][0]["term"] == "thoughtful|en" and found["search_results"]
    means = {s["subset"]: packing.unpack(s["mean"]) for s in demo_project.get("subsets/stats")}
    first, twelfth = (float(means[name] @ vector) for name in
                      ("Chapter 1: THE SON OF THE BRAHMAN", "Chapter 12: GOVINDA"))
    assert first != 0 and twelfth != 0 and first != twelfth


def test_term_objects_say_whether_they_drew_on_background(demo_project):
    terms = demo_project.get("terms", limit=200)
    sources = {t["text"].lower(): t["background"] for t in terms}
    assert sources["siddhartha"] is False       # a name: its own project meaning
    assert any(sources.values())                # common words did draw on it


def test_server_without_background_works_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv("LUMIWORK_BACKGROUND", "off")
    with EmbeddedServer(tmp_path / "data", token_file=tmp_path / "tokens.json",
                        password="no background pw") as bare:
        assert "unavailable, projects use their own text only" in requests.get(bare.url).text
        account = LuminosoClient.connect(f"{bare.url}projects/{bare.setup.account_id}/", token=bare.token)
        project = account.change_path(account.post("", name="bare")["project_id"])
        project.upload("docs", [{"text": "The river flows past the boat."}, {"text": "Water and boats."}])
        job = project.wait_for(project.post("docs/recalculate"), interval=0.1)
        assert "unavailable" in job["message"]
        [answer] = project.post_data("docs/vectors", '[{"text": "thoughtful river"}]', "application/json")
        assert answer["background_terms"] == [] and answer["terms"]
