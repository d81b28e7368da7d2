"""What the share tests have in common: the example dashboard published on the
demo project, and the share front on a thread over the server's data folder."""
from __future__ import annotations

import os
import re
from pathlib import Path

from conftest import REPO

DASHBOARD = REPO / "lumiwork" / "notebooks" / "dashboards" / "topic-terms.ipynb"


def sharing_client(server):
    from lumiwork.client.sharing import SharingClient

    return SharingClient.connect(server.url, token=server.token)


def local_link(url: str, front_url: str) -> str:
    """A link the server made (for the configured share address) on the front under test."""
    return re.sub(r"^https?://[^/]+", front_url, url)


def kernel_pids(voila_pid: int) -> list[int]:
    """The kernels a Voila process runs (its child processes)."""
    children = Path(f"/proc/{voila_pid}/task/{voila_pid}/children")
    return [int(pid) for pid in children.read_text().split()] if children.exists() else []


def environment_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    return dict(item.split("=", 1) for item in raw.decode("utf-8", "replace").split("\0") if "=" in item)


def token_of(link: str) -> str:
    return link.split("#t=", 1)[1]


__all__ = ["DASHBOARD", "environment_of", "kernel_pids", "local_link", "os", "sharing_client", "token_of"]
