"""The local server: every API (v4, Compass) as a dialect of one pipeline
(`core`), over one store (`db`), one build lifecycle (`builds`) and one model
cache (`models`); `app` composes them and `runner` runs them.

Importing this package loads nothing of the web stack: the build process
imports `lumiwork.server.db` and `lumiwork.server.builds.child` only."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .runner import EmbeddedServer, bootstrap, default_data_dir, serve

__all__ = ["EmbeddedServer", "bootstrap", "default_data_dir", "serve"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from . import runner

        return getattr(runner, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
