"""Projects in other languages: their own lemmas, stopwords and term tags, and a
clear 400 for a language the engine does not support."""
import pytest

from lumiwork.client import LuminosoClientError

GERMAN = [
    "Der Fluss fließt ruhig durch das grüne Tal.",
    "Das Boot fährt langsam über den breiten Fluss.",
    "Die Flüsse dieses Landes sind lang und breit.",
    "Der alte Fährmann rudert das Boot über den Fluss.",
    "Im dunklen Wald stehen hohe Bäume.",
    "Die Bäume im Wald sind im Sommer grün.",
]
FRENCH = [
    "Le fleuve coule lentement vers la mer.",
    "Les bateaux traversent le fleuve chaque matin.",
    "Le vieux passeur conduit son bateau sur le fleuve.",
    "Les arbres de la forêt sont verts en été.",
    "Dans la forêt, les arbres sont très hauts.",
]


@pytest.mark.parametrize("language,texts,expected,stopword,name", [
    ("de", GERMAN, {"fluß|de", "boot|de", "baum|de", "wald|de"}, "der|de", "German"),
    ("fr", FRENCH, {"fleuve|fr", "bateau|fr", "arbre|fr", "forêt|fr"}, "le|fr", "French"),
])
def test_a_project_in_another_language(account_client, language, texts, expected, stopword, name):
    created = account_client.post("", name=f"in {language}", language=language)
    assert created["language"] == language
    project = account_client.change_path(created["project_id"])
    assert project.get("")["language"] == language
    project.upload("docs", [{"text": t} for t in texts])
    job = project.wait_for(project.post("docs/recalculate"), interval=0.1)
    assert "background knowledge in use" in job["message"] and name in job["message"]
    terms = {t["term"] for t in project.get("terms", limit=100)}
    assert expected <= terms, terms
    assert stopword not in terms and all(t.endswith(f"|{language}") for t in terms)
    word = next(iter(expected)).split("|")[0]
    found = project.get("terms/search", terms=[f"{word}|{language}"], limit=3)["search_results"]
    assert found[0][0]["term"] == f"{word}|{language}"


def test_unsupported_language_is_refused_at_creation(account_client):
    before = len(account_client.get(""))
    with pytest.raises(LuminosoClientError) as info:
        account_client.post("", name="klingon", language="tlh")
    assert info.value.code == "UNSUPPORTED_LANGUAGE" and "en, de, fr" in info.value.message
    assert len(account_client.get("")) == before


def test_unsupported_document_language_is_refused_at_upload(account_client):
    project = account_client.change_path(account_client.post("", name="doc language")["project_id"])
    with pytest.raises(LuminosoClientError) as info:
        project.upload("docs", [{"text": "ok"}, {"text": "nope", "language": "xx"}])
    assert info.value.code == "BAD_DOCUMENTS"
    assert project.get("docs") == []


def test_general_knowledge_of_another_language(account_client):
    """German words meet German general knowledge: a word used once ("Kahn")
    finds its synonym, and one the project never used ("Schiff") is placed
    by it, tagged in the project's language."""
    project = account_client.change_path(account_client.post("", name="Kahn", language="de")["project_id"])
    project.upload("docs", [{"text": t} for t in [*GERMAN, "Ein Kahn liegt am Ufer."]])
    project.wait_for(project.post("docs/recalculate"), interval=0.1)
    once = project.get("terms/search", text="Kahn", limit=3)["search_results"]
    assert [term["term"] for term, _ in once[:2]] == ["kahn|de", "boot|de"]
    unseen = project.get("terms/search", text="Schiff", limit=3)
    assert unseen["background_terms"] == [{"term": "schiff|de", "start": 0, "end": 6}]
    assert unseen["evidence"]["basis"] == "background" and unseen["evidence"]["nearest"] == "Boot"
    assert unseen["search_results"][0][0]["term"] == "boot|de"
