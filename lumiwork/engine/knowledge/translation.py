"""FreeDict's translating dictionaries into English, from Debian's
``dict-freedict-*-eng`` packages, in dictd's format: an index of lines
``headword <TAB> offset <TAB> length`` (numbers in dictd's base 64) into a
gzip-compressed text whose entries are the headword line (with its
pronunciation and part of speech) followed by the translations, one sense a
line, comma-separated, with notes, cross-references and tags around them.

A word's English translations place it in the English background space (see
background.py): Dutch "boot" lands near boat, ship and vessel.
"""
from __future__ import annotations

import gzip
import re
from collections.abc import Iterator
from pathlib import Path

DIRECTORY = Path("/usr/share/dictd")
# language -> (dictionary name, Debian package)
DICTIONARIES: dict[str, tuple[str, str]] = {
    "nl": ("freedict-nld-eng", "dict-freedict-nld-eng"),
    "de": ("freedict-deu-eng", "dict-freedict-deu-eng"),
    "fr": ("freedict-fra-eng", "dict-freedict-fra-eng"),
    "es": ("freedict-spa-eng", "dict-freedict-spa-eng"),
    "it": ("freedict-ita-eng", "dict-freedict-ita-eng"),
    "pt": ("freedict-por-eng", "dict-freedict-por-eng"),
}
LICENCE = "FreeDict {name} (FreeDict contributors), GPL-2+ (deu-eng GPL-3+), via Debian's {package}"
BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
# Lines of an entry that are not translations.
SKIPPED = re.compile(r"^\s*(?:see:|synonyms?:|note:|example:|antonyms?:)", re.IGNORECASE)
# Tags and notes around a translation: [domain], <part of speech>, (note), {cross-reference}.
ANNOTATION = re.compile(r"\[[^\]]*\]|<[^>]*>|\([^)]*\)|\{[^}]*\}")
NUMBERING = re.compile(r"^\s*\d+\.\s*")
MAX_WORDS = 3


class Missing(RuntimeError):
    """No translating dictionary for a language is installed."""


def licence(language: str) -> str:
    name, package = DICTIONARIES[language]
    return LICENCE.format(name=name, package=package)


def paths_for(language: str, directory: Path | str | None = None) -> tuple[Path, Path]:
    """(index, compressed text) of a language's dictionary into English;
    Missing says what to install."""
    if language not in DICTIONARIES:
        raise Missing(f"no dictionary from {language!r} into English installs as a Debian package")
    name, package = DICTIONARIES[language]
    folder = Path(directory) if directory is not None else DIRECTORY
    index, text = folder / f"{name}.index", folder / f"{name}.dict.dz"
    if not (index.is_file() and text.is_file()):
        raise Missing(f"the {language}-English dictionary is not installed ({name}): apt-get install {package}")
    return index, text


def decode_number(code: str) -> int:
    """dictd's base-64 number ("B" = 1, "BA" = 64)."""
    value = 0
    for char in code:
        value = value * 64 + BASE64.index(char)
    return value


def entries(index_path: Path, text_path: Path) -> Iterator[tuple[str, list[str]]]:
    """(headword, English translations) for each entry; translations cleaned
    of notes and tags, at most MAX_WORDS words each, lowercased."""
    with gzip.open(text_path, "rb") as handle:
        data = handle.read()
    with open(index_path, encoding="utf-8", errors="replace") as index:
        for line in index:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or parts[0].startswith("00database") or parts[0].startswith("00-database"):
                continue
            headword, offset, length = parts[0].strip(), decode_number(parts[1]), decode_number(parts[2])
            body = data[offset:offset + length].decode("utf-8", errors="replace").split("\n")[1:]
            translations = []
            for sense in body:
                if not sense.strip() or SKIPPED.match(sense):
                    continue
                for item in re.split(r"[,;]", ANNOTATION.sub(" ", NUMBERING.sub("", sense))):
                    words = re.findall(r"[A-Za-z][A-Za-z'\-]*", item)
                    if 0 < len(words) <= MAX_WORDS:
                        translations.append(" ".join(words).lower())
            if headword and translations:
                yield headword, list(dict.fromkeys(translations))
