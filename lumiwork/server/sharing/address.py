"""Where share links point: $LUMIWORK_SHARE_URL when set, else the address the
running share front (`lumiwork dashboard serve`) recorded in the data folder,
else the front's default address. So a front started on another port gets
links that open on it, with nothing to configure."""
from __future__ import annotations

import json
import os
from pathlib import Path

from ...settings import DEFAULT_SHARE_PORT, Settings

ADDRESS_FILE = "front.json"
WILDCARD_HOSTS = ("0.0.0.0", "::", "")


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process: running
        return True
    return True


def record_front_address(dashboards_dir: Path, host: str, port: int) -> str | None:
    """Note a front's address for the links the server makes; returns what was
    recorded (for forget_front_address). A front listening on every interface
    records nothing: only the person who runs it knows the name colleagues
    use (LUMIWORK_SHARE_URL)."""
    if host in WILDCARD_HOSTS:
        return None
    dashboards_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    shown = f"[{host}]" if ":" in host else host
    record = json.dumps({"url": f"http://{shown}:{port}", "pid": os.getpid()})
    temporary = dashboards_dir / f"{ADDRESS_FILE}.{os.getpid()}.tmp"
    temporary.write_text(record, encoding="utf-8")
    temporary.replace(dashboards_dir / ADDRESS_FILE)
    return record


def forget_front_address(dashboards_dir: Path, record: str | None) -> None:
    """Remove a front's recorded address when it stops, unless another front
    has recorded its own since."""
    path = dashboards_dir / ADDRESS_FILE
    try:
        if record is not None and path.read_text(encoding="utf-8") == record:
            path.unlink()
    except OSError:
        pass


def share_base_url(dashboards_dir: Path, settings: Settings) -> str:
    """The address share links start with (see the module's docstring)."""
    if settings.share_url_given:
        return settings.share_url_given
    try:
        recorded = json.loads((dashboards_dir / ADDRESS_FILE).read_text(encoding="utf-8"))
        if isinstance(recorded.get("url"), str) and _running(int(recorded.get("pid", 0))):
            return recorded["url"].rstrip("/")
    except (OSError, ValueError, TypeError, AttributeError):
        pass  # no front recorded, or a damaged record: the default
    return f"http://127.0.0.1:{DEFAULT_SHARE_PORT}"
