"""Corpus loaders: Siddhartha sentences and chapters; CSV/JSONL files."""
import json

import pytest

from lumiwork import datasets


def test_siddhartha_sentences_and_chapters(siddhartha_path):
    docs = datasets.siddhartha(siddhartha_path)
    assert 1200 < len(docs) < 1400
    chapters = list(dict.fromkeys(d["subsets"][0] for d in docs))
    assert chapters[0] == "Chapter 1: THE SON OF THE BRAHMAN"
    assert chapters[9] == "Chapter 10: THE SON" and chapters[-1] == "Chapter 12: GOVINDA"
    assert len(chapters) == 12
    texts = [d["text"] for d in docs]
    assert not any("Gutenberg" in t or "Dedicated to" in t for t in texts)
    assert all(t.count('"') % 2 == 0 for t in texts if t.startswith('"') and t.endswith('"'))


def test_quoted_speech_stays_whole():
    paragraph = '"Stop. Listen! Do you hear?" he asked. Then he left.'
    assert datasets.split_sentences(paragraph) == [
        '"Stop. Listen! Do you hear?" he asked.', "Then he left."]


def test_missing_text_names_where_to_put_it(tmp_path, monkeypatch):
    monkeypatch.delenv("LUMIWORK_SIDDHARTHA")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    with pytest.raises(datasets.DatasetError, match="siddhartha.txt"):
        datasets.siddhartha_path(download=False)
    with pytest.raises(datasets.DatasetError, match="no Siddhartha text at"):
        datasets.siddhartha_path(tmp_path / "nope.txt")


def test_csv_latin1_missing_text_and_repeated_subset(tmp_path):
    path = tmp_path / "feedback.csv"
    rows = ("text,title,date,subset,subset\n"
            "Café was great,first,2024-05-01T12:00:00,store A,weekend\n"
            ",empty,2024-05-02,store B,\n"
            "Crème brûlée too sweet,third,1714564800,store A,\n")
    path.write_bytes(rows.encode("latin-1"))
    read = datasets.read_documents(path)
    assert [d["text"] for d in read.documents] == ["Café was great", "Crème brûlée too sweet"]
    assert read.documents[0]["subsets"] == ["store A", "weekend"]
    assert read.documents[0]["date"] == 1714564800.0 == read.documents[1]["date"]
    assert read.problems == ["row 3: no text"]


def test_json_lines(tmp_path):
    path = tmp_path / "docs.jsonl"
    lines = [{"text": "one", "subsets": ["a"], "date": "2024-05-01T12:00:00Z"}, {"title": "none"},
             {"text": "two", "subset": "b"}]
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    read = datasets.read_documents(path)
    assert [d.get("subsets") for d in read.documents] == [["a"], ["b"]]
    assert read.documents[0]["date"] == 1714564800.0
    assert read.problems == ["line 2: no text"]


def test_csv_without_text_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("title,body\nx,y\n")
    with pytest.raises(datasets.DatasetError, match="no 'text' column"):
        datasets.read_documents(path)


def test_review_products_cover_every_review():
    products = [datasets.review_product(f"{review}_1") for review in range(1, 310)]
    assert products[0] == "Apex AD2600 DVD player" and products[-1] == "Creative Nomad Jukebox Zen Xtra"
    assert len(set(products)) == 5
    with pytest.raises(datasets.DatasetError):
        datasets.review_product("310_1")


def test_a_damaged_reviews_archive_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    (tmp_path / "lumiwork").mkdir()
    (tmp_path / "lumiwork" / "vaderSentiment-3.3.2.tar.gz").write_bytes(b"not the archive")
    with pytest.raises(datasets.DatasetError, match="SHA-256"):
        datasets.reviews_path()
    with pytest.raises(datasets.DatasetError, match="no vaderSentiment-3.3.2.tar.gz at"):
        datasets.reviews_path(tmp_path / "elsewhere.tar.gz")
