"""The saved-token file, ~/.luminoso/tokens.json, as the official client keeps
it: a JSON object of tokens keyed by each server's netloc (host:port)."""
from __future__ import annotations

import json
import os
import secrets
from pathlib import Path

TOKEN_FILE_MODE = 0o600
TOKEN_DIR_MODE = 0o700


def token_file_path() -> Path:
    """~/.luminoso/tokens.json, where the official client keeps tokens.
    Computed on each call: HOME may change (tests, notebook kernels)."""
    return Path.home() / ".luminoso" / "tokens.json"


def read_tokens(path: Path | str | None = None) -> dict:
    """Saved tokens keyed by server netloc (host:port); {} if the file is
    missing or unreadable."""
    try:
        tokens = json.loads(Path(path or token_file_path()).read_text())
    except (OSError, ValueError):
        return {}
    return tokens if isinstance(tokens, dict) else {}


def save_token(netloc: str, token: str, path: Path | str | None = None) -> Path:
    """Save `token` for the server at `netloc`, keeping other servers' tokens.

    The file is replaced atomically and is never readable by other users: the
    new content goes to a 0600 temporary file in the same folder, which then
    replaces the old file.
    """
    path = Path(path or token_file_path())
    path.parent.mkdir(mode=TOKEN_DIR_MODE, parents=True, exist_ok=True)
    tokens = read_tokens(path)
    tokens[netloc] = token
    temp_path = path.with_name(f".{path.name}.{secrets.token_hex(8)}.tmp")
    descriptor = os.open(temp_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, TOKEN_FILE_MODE)
    try:
        with os.fdopen(descriptor, "w") as file:
            json.dump(tokens, file)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temp_path, path)
    except BaseException:
        temp_path.unlink(missing_ok=True)
        raise
    return path
