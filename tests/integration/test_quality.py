"""Semantic quality on the cookbook's Siddhartha project."""
import re

RIVER_NEIGHBOURS = {"flowed", "rainy", "transported", "ferried across", "stream", "middle",
                    "laughed", "reached the large", "sequence"}


def test_top_terms_name_the_characters(demo_project):
    terms = demo_project.get("terms", limit=20)
    texts = {t["text"].lower() for t in terms}
    assert {"siddhartha", "govinda", "kamala", "vasudeva"} <= texts
    assert any(" " in t["term"] for t in terms), "no multi-word term in the top 20"


def test_river_neighbours_overlap_the_cookbook(demo_project):
    results = demo_project.get("terms/search", text="river", limit=20)["search_results"]
    texts = {r[0]["text"].lower() for r in results}
    assert len(RIVER_NEIGHBOURS & texts) >= 3, texts


def test_doc_search_finds_conceptual_matches(demo_project):
    found = demo_project.get("docs/search", text="river", limit=10)
    results = found["search_results"]
    without_word = [m for m, _ in results if "river" not in m["document"]["text"].lower()]
    assert without_word, "every top-10 document contains the word itself"
    with_word = [m for m, _ in results if re.search(r"\briver\b", m["document"]["text"], re.I)]
    for match in with_word:
        spans = match["exact_indices"]
        assert spans
        assert all(match["document"]["text"][s:e].lower() == "river" for s, e in spans)
    for match in without_word:
        assert match["exact_indices"] == []
    assert found["num_exact_matches"] >= len(with_word)


def test_subset_stats_list_the_chapters(demo_project):
    stats = demo_project.get("subsets/stats")
    names = [s["subset"] for s in stats]
    chapters = [n for n in names if n != "__all__"]
    assert "__all__" in names and len(chapters) == 12
    assert "Chapter 1: THE SON OF THE BRAHMAN" in chapters and "Chapter 12: GOVINDA" in chapters
    counts = {s["subset"]: s["count"] for s in stats}
    assert sum(counts[c] for c in chapters) == counts["__all__"]
    assert counts["__all__"] == len(demo_project.get("docs", limit=5000))
