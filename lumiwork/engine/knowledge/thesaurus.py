"""LibreOffice's MyThes thesauri from Debian's ``mythes-*`` packages: for each
headword, its meanings, each a list of synonyms (and, marked so, broader terms).

File format (``.dat``): the first line names the encoding; then each entry is
``headword|n`` followed by n meaning lines ``(part of speech)|synonym|synonym...``.
A synonym may carry notes in parentheses: register ("ugs.", "fam."), a broader
term ("generic term", "Oberbegriff"), or an opposite ("antonym", "Gegenteil"),
which this reader leaves out: an opposite must not become a neighbour.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

DIRECTORY = Path("/usr/share/mythes")
# language -> (file in DIRECTORY, Debian package, licence as Debian's copyright file states it)
THESAURI: dict[str, tuple[str, str, str]] = {
    "en": ("th_en_US_v2.dat", "mythes-en-us",
           "LibreOffice English thesaurus (derived from WordNet), permissive notice-keeping licence of "
           "LibreOffice's dictionaries/en (Kevin Atkinson et al.), via Debian's mythes-en-us"),
    "de": ("th_de_DE_v2.dat", "mythes-de", "OpenThesaurus (Daniel Naber et al.), LGPL, via Debian's mythes-de"),
    "fr": ("thes_fr.dat", "mythes-fr",
           "French thesaurus (Kevin Hendricks, Frédéric Labbé, Laurent Godard), LGPL-2.1+, via Debian's mythes-fr"),
    "es": ("th_es_ES_v2.dat", "mythes-es",
           "Spanish thesaurus (Marcelo Garrone), LGPL-2.1, via Debian's mythes-es"),
    "it": ("th_it_IT_v2.dat", "mythes-it",
           "Thesaurus italiano (Daniela Volta, Giovanni Zuliani, Davide Prina), GPL-3+, via Debian's mythes-it"),
    "pt": ("th_pt_PT_v2.dat", "mythes-pt-pt",
           "European Portuguese thesaurus, GPL-2+ (as Debian's copyright file states), via Debian's mythes-pt-pt"),
}
# Notes that mark a synonym as an opposite, in the thesauri's languages.
OPPOSITE = re.compile(r"\((?:[^)]*\b(?:antonym|antonyme?|gegenteil|gegensatz|contraire|antónimo|antonimo|"
                      r"contrario))[^)]*\)", re.IGNORECASE)
NOTE = re.compile(r"\([^)]*\)")
# A synonym kept as a node: one word, or a phrase of at most MAX_WORDS words.
MAX_WORDS = 3
WORD = re.compile(r"[^\W\d_]+(?:['’\-][^\W\d_]+)*")


class Missing(RuntimeError):
    """No thesaurus for a language is installed (or none exists as a package)."""


def path_for(language: str, directory: Path | str | None = None) -> Path:
    """The installed thesaurus of a language; Missing says what to install."""
    if language not in THESAURI:
        raise Missing(f"no thesaurus for {language!r} installs as a Debian package (LibreOffice ships "
                      f"none for it)")
    name, package, _ = THESAURI[language]
    path = (Path(directory) if directory is not None else DIRECTORY) / name
    if not path.is_file():
        raise Missing(f"the {language} thesaurus is not installed ({path.name}): apt-get install {package}")
    return path


def entries(path: Path) -> Iterator[tuple[str, list[str]]]:
    """(headword, synonyms) for each meaning of each entry, synonyms cleaned
    (notes removed, opposites left out, whitespace collapsed)."""
    with open(path, "rb") as handle:
        encoding = handle.readline().decode("ascii", "replace").strip() or "utf-8"
        encoding = {"ISO8859-1": "latin-1", "ISO8859-15": "iso8859-15"}.get(encoding, encoding)
        text = handle.read().decode(encoding, errors="replace")
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        head, sep, count = lines[i].rpartition("|")
        i += 1
        if not sep or not count.strip().isdigit():
            continue
        headword = clean(head)
        for line in lines[i:i + int(count)]:
            synonyms = [clean(part) for part in line.split("|")[1:] if not OPPOSITE.search(part)]
            if headword:
                yield headword, [s for s in synonyms if s and s.lower() != headword.lower()]
        i += int(count)


def clean(item: str) -> str:
    """A thesaurus item without its notes, case kept (German nouns need it to be
    lemmatized): "(sich) speisen" -> "speisen", "city (generic term)" -> "city";
    "" when not made of at most MAX_WORDS words."""
    words = WORD.findall(NOTE.sub(" ", item))
    return " ".join(words) if 0 < len(words) <= MAX_WORDS else ""


def pairs(path: Path, normalize: Callable[[str], str] = str.lower) -> Iterator[tuple[str, str]]:
    """(headword, synonym) pairs, each item passed through `normalize` word by
    word (default: lowercase; the engine passes its lemmatizer, so that the
    thesaurus' words meet a project's terms: German "Fluss" -> "fluß")."""
    cache: dict[str, str] = {}

    def norm(item: str) -> str:
        found = cache.get(item)
        if found is None:
            found = cache[item] = " ".join(normalize(word) for word in item.split(" "))
        return found

    for headword, synonyms in entries(path):
        head = norm(headword)
        for synonym in synonyms:
            other = norm(synonym)
            if other != head:
                yield head, other
