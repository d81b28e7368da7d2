"""Corpus loaders: the cookbook's Siddhartha project and analysts' own CSV/JSONL files."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
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
    subset column may repeat) or JSON lines / a JSON array of objects. Rows
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
    'split_sentences'
]
