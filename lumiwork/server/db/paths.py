"""The data folder's own permissions."""
from __future__ import annotations

import os
from pathlib import Path

from .database import DataDirError


def prepare_private_dir(path: Path) -> None:
    """Create a folder only its owner can read, or raise DataDirError."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)
    except OSError as exc:
        raise DataDirError(f"cannot use data folder {path}: {exc.strerror or exc}") from None
    if not os.access(path, os.W_OK | os.X_OK):
        raise DataDirError(f"cannot use data folder {path}: it is not writable")
