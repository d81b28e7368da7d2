"""WordNet 3.0 (Princeton University; WordNet 3.0 licence) from Debian's
``wordnet-base``: its synsets and the links between them, read from the
``data.*`` files (format: wndb(5WN))."""
from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

PACKAGE = "wordnet-base"
LICENCE = "WordNet 3.0 licence, (c) 2006 Princeton University, via Debian's wordnet-base"
#: Where Debian's wordnet-base puts WordNet 3.0 (the server passes its own setting).
DIRECTORY = Path("/usr/share/wordnet")
FILES = ("data.noun", "data.verb", "data.adj", "data.adv")
# Pointers that link related meanings: hypernym/hyponym (and instance),
# similar-to, also-see, derivation, pertainym, and part/member/substance holonyms
# and meronyms (coconut -> palm, milk, meat). Antonyms ("!") are left out: an
# antonym is related but must not become a neighbour of the same sense.
RELATIONS = frozenset({"@", "@i", "~", "~i", "&", "^", "+", "\\", "%p", "#p", "%m", "#m",
                       "%s", "#s"})


class Missing(RuntimeError):
    """WordNet's data files are not installed."""


def files(directory: Path | str | None = None) -> list[Path]:
    """The data files in `directory` (default DIRECTORY); Missing names what to install."""
    folder = Path(directory) if directory is not None else DIRECTORY
    paths = [folder / name for name in FILES]
    absent = [p.name for p in paths if not p.is_file()]
    if absent:
        raise Missing(f"WordNet 3.0 is not installed in {folder} (missing {', '.join(absent)}): "
                      f"apt-get install {PACKAGE}")
    return paths


def synsets(paths: list[Path]) -> Iterator[tuple[str, list[str], list[str]]]:
    """Each synset as (offset-and-pos key, its words, linked keys).

    A multi-word lemma stands for its head, the last word ("edible_nut" -> nut,
    "coconut_palm" -> palm): most of WordNet's links to everyday words go through
    such lemmas. Measured on Siddhartha: coconut@20 against the cookbook 2 -> 3,
    benchmarks/knowledge.py's coconut gold list (coconut*@20) 4 -> 5, river unchanged.
    """
    for path in paths:
        pos_of_file = {"noun": "n", "verb": "v", "adj": "a", "adv": "r"}[path.name.split(".")[1]]
        with open(path, encoding="latin-1") as handle:
            for line in handle:
                if line.startswith("  "):  # the licence header
                    continue
                fields = line.split(" | ", 1)[0].split()
                offset, pos = fields[0], pos_of_file
                n_words = int(fields[3], 16)
                lemmas = [fields[4 + 2 * i].lower().split("(")[0].split("_")[-1] for i in range(n_words)]
                at = 4 + 2 * n_words
                n_pointers = int(fields[at])
                links = []
                for p in range(n_pointers):
                    symbol, target, target_pos = fields[at + 1 + 4 * p: at + 4 + 4 * p]
                    if symbol in RELATIONS:
                        links.append(f"{target}{'a' if target_pos == 's' else target_pos}")
                yield f"{offset}{pos}", lemmas, links


def pairs(paths: list[Path], index: dict[str, int]) -> Iterator[tuple[int, int]]:
    """Linked word pairs (row ids in `index`): the words of one synset, and the
    words of each synset with those of the synsets it links to."""
    members: dict[str, list[int]] = {}
    linked: dict[str, list[str]] = {}
    for key, lemmas, links in synsets(paths):
        members[key] = [index[w] for w in dict.fromkeys(lemmas) if w in index]
        linked[key] = links
    for key, ids in members.items():
        for target in linked[key]:
            for i in ids:
                for j in members.get(target, ()):
                    yield i, j
        for i in ids:
            for j in ids:
                yield i, j
