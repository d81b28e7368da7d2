"""The general-knowledge space for every build, loaded (or built and cached)
once; or the reason it cannot be had."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from ...engine import background as background_space

log = logging.getLogger(__name__)


class BackgroundProvider:
    """Loads the background space on first `get()` from its cache folder
    (building it there the first time). `enabled=False` (LUMIWORK_BACKGROUND=off)
    builds every project from its own text only, and says so."""

    def __init__(self, cache_dir: Path, wordnet_dir: Path = background_space.WORDNET_DIR, enabled: bool = True):
        self.cache_dir = Path(cache_dir)
        self.wordnet_dir = Path(wordnet_dir)
        self.enabled = enabled
        self._background: background_space.Background | None = None
        self._problem: str | None = None if enabled else "turned off (LUMIWORK_BACKGROUND=off)"
        self._lock = threading.Lock()

    def get(self) -> background_space.Background | None:
        with self._lock:
            if self._background is None and self._problem is None:
                try:
                    self._background = background_space.load_or_build(self.cache_dir, wordnet_dir=self.wordnet_dir)
                except background_space.BackgroundUnavailable as exc:
                    self._problem = str(exc)
                    log.warning("background knowledge unavailable: %s", exc)
                except Exception as exc:  # a damaged cache file: say so, keep serving
                    self._problem = f"could not be loaded ({type(exc).__name__})"
                    log.exception("background knowledge could not be loaded")
            return self._background

    def status(self) -> str:
        """One line for GET / and job logs."""
        with self._lock:
            background, problem = self._background, self._problem
        if background is not None:
            return (f"in use: {background.info.get('method', 'background space')}, "
                    f"{len(background.words):,} words (cache key {background.key})")
        if problem is not None:
            return f"unavailable, projects use their own text only: {problem}"
        return "loading (it starts with the server; recalculations wait for it)"
