"""The general-knowledge space of each language, loaded (or built and cached)
once per language; or the reason a language has none."""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from ...engine import background as background_space
from ...engine.text import SUPPORTED_LANGUAGES

log = logging.getLogger(__name__)


class BackgroundProvider:
    """Loads a language's background space on its first `get(language)`, from
    the cache folder (building it there the first time). `enabled=False`
    (LUMIWORK_BACKGROUND=off) builds every project from its own text only, and
    says so."""

    def __init__(self, cache_dir: Path, wordnet_dir: Path = background_space.WORDNET_DIR, enabled: bool = True):
        self.cache_dir = Path(cache_dir)
        self.wordnet_dir = Path(wordnet_dir)
        self.enabled = enabled
        self._backgrounds: dict[str, background_space.Background] = {}
        self._problems: dict[str, str] = {}
        self._lock = threading.Lock()

    def get(self, language: str = "en") -> background_space.Background | None:
        """The background for `language`, or None (the reason: `status(language)`)."""
        with self._lock:
            if language in self._backgrounds or language in self._problems:
                return self._backgrounds.get(language)
            if not self.enabled:
                self._problems[language] = "turned off (LUMIWORK_BACKGROUND=off)"
                return None
            try:
                self._backgrounds[language] = background_space.load_or_build(
                    self.cache_dir, language=language, wordnet_dir=self.wordnet_dir)
            except background_space.BackgroundUnavailable as exc:
                self._problems[language] = str(exc)
                log.warning("background knowledge for %s unavailable: %s", language, exc)
            except Exception as exc:  # a damaged cache file: say so, keep serving
                self._problems[language] = f"could not be loaded ({type(exc).__name__})"
                log.exception("background knowledge for %s could not be loaded", language)
            return self._backgrounds.get(language)

    def status(self, language: str = "en") -> str:
        """One line for a job's message and GET /: what `language`'s builds use."""
        with self._lock:
            background, problem = self._backgrounds.get(language), self._problems.get(language)
        if background is not None:
            return (f"in use: {background.info.get('method', 'background space')}, "
                    f"{len(background.words):,} words (cache key {background.key})")
        if problem is not None:
            return f"unavailable, projects use their own text only: {problem}"
        if not self.enabled:
            return "unavailable, projects use their own text only: turned off (LUMIWORK_BACKGROUND=off)"
        found = background_space.knowledge_status(language, self.wordnet_dir)
        if not found["available"]:
            return f"unavailable, projects use their own text only: {found['message']}"
        if language == "en":
            return "loading (it starts with the server; recalculations wait for it)"
        return f"not loaded yet ({found['message']}); the first build in this language loads it"

    def statuses(self) -> dict[str, str]:
        """`status` of every language a project may have."""
        return {language: self.status(language) for language in SUPPORTED_LANGUAGES}
