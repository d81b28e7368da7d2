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
    assert "  en: in use: GloVe 6B 50d retrofitted to WordNet 3.0" in text
    for language in ("de", "fr", "es", "it", "pt", "nl"):  # each says what it would use, or how to get it
        assert f"\n  {language}: " in text
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
        assert "en: unavailable, projects use their own text only" in requests.get(bare.url).text
        account = LuminosoClient.connect(f"{bare.url}projects/{bare.setup.account_id}/", token=bare.token)
        project = account.change_path(account.post("", name="bare")["project_id"])
        project.upload("docs", [{"text": "The river flows past the boat."}, {"text": "Water and boats."}])
        job = project.wait_for(project.post("docs/recalculate"), interval=0.1)
        assert "unavailable" in job["message"]
        [answer] = project.post_data("docs/vectors", '[{"text": "thoughtful river"}]', "application/json")
        assert answer["background_terms"] == [] and answer["terms"]
        unseen = project.get("terms/search", text="thoughtful")
        assert unseen["search_results"] == [] and unseen["evidence"]["basis"] == "unknown"
        assert "no general knowledge is in use" in unseen["evidence"]["message"]


def test_answers_say_what_they_rest_on(demo_project):
    floor = demo_project.get("")["noise_floor"]
    assert 0 < floor < 1
    known = demo_project.get("terms/search", text="river", limit=20)
    assert known["evidence"]["basis"] == "terms" and known["evidence"]["message"] == ""
    assert known["evidence"]["noise_floor"] == pytest.approx(floor, abs=1e-4)
    # the phrases that only repeat the query are left out of its neighbours
    texts = [term["text"].lower() for term, _ in known["search_results"]]
    assert texts[0] == "river" and not [t for t in texts[1:] if "river" in t.split()]
    assert [t for t, _ in demo_project.get("terms/search", terms=["river|en"], limit=20)["search_results"]
            if "river" in t["text"].lower().split() and t["text"].lower() != "river"]

    general = demo_project.get("terms/search", text="bicycle", limit=5)["evidence"]
    assert general["basis"] == "background" and general["supported"]
    assert general["support"] > general["noise_floor"] and general["nearest"] in general["message"]
    assert "general knowledge only" in general["message"]


def test_a_word_general_knowledge_cannot_place_gets_no_conceptual_matches(demo_project):
    answer = demo_project.get("docs/search", text="smartphone", limit=5)
    evidence = answer["evidence"]
    assert evidence["basis"] == "background" and not evidence["supported"]
    assert evidence["support"] < evidence["noise_floor"] and "noise" in evidence["message"]
    assert answer["search_results"] and answer["num_related_matches"] == 0
    assert all(match["conceptual_indices"] == [] for match, _ in answer["search_results"])
    placed = demo_project.get("docs/search", text="bicycle", limit=5)
    assert placed["evidence"]["supported"] and placed["num_related_matches"] > 0


@pytest.mark.parametrize("text,basis,named", [("the", "stopwords", "stopword"),
                                               ("xqzt", "unknown", "check the spelling")])
def test_a_query_nobody_knows_ranks_nothing_and_says_why(demo_project, text, basis, named):
    for route in ("terms/search", "docs/search"):
        answer = demo_project.get(route, text=text)
        assert answer["search_results"] == [] and answer["evidence"]["basis"] == basis
        assert named in answer["evidence"]["message"] and text in answer["evidence"]["message"]
    [vector] = demo_project.upload("docs/vectors", [{"text": text}])
    assert vector["evidence"]["basis"] == basis
