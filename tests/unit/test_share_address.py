"""Where share links point: $LUMIWORK_SHARE_URL, else the running front's
recorded address, else the default; a stopped front's record is not used."""
from __future__ import annotations

import json
import subprocess
import sys

from lumiwork.server.sharing.address import ADDRESS_FILE, forget_front_address, record_front_address, share_base_url
from lumiwork.settings import DEFAULT_SHARE_PORT, Settings


def settings(**values) -> Settings:
    return Settings.from_environment({"HOME": "/home/x", **values})


def test_links_follow_the_running_front_unless_an_address_is_set(tmp_path):
    default = f"http://127.0.0.1:{DEFAULT_SHARE_PORT}"
    assert share_base_url(tmp_path, settings()) == default
    record = record_front_address(tmp_path, "127.0.0.1", 9123)
    assert share_base_url(tmp_path, settings()) == "http://127.0.0.1:9123"
    given = settings(LUMIWORK_SHARE_URL="https://dash.example.org/")
    assert share_base_url(tmp_path, given) == "https://dash.example.org"
    # a second front on the same folder takes over; the first one stopping leaves its record alone
    second = record_front_address(tmp_path, "::1", 9124)
    forget_front_address(tmp_path, record)
    assert share_base_url(tmp_path, settings()) == "http://[::1]:9124"
    forget_front_address(tmp_path, second)
    assert share_base_url(tmp_path, settings()) == default


def test_a_front_on_every_interface_or_one_that_died_gives_no_address(tmp_path):
    assert record_front_address(tmp_path, "0.0.0.0", 9125) is None
    assert not (tmp_path / ADDRESS_FILE).exists()
    gone = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tmp_path / ADDRESS_FILE).write_text(json.dumps({"url": "http://127.0.0.1:9126", "pid": int(gone.stdout)}))
    assert share_base_url(tmp_path, settings()) == f"http://127.0.0.1:{DEFAULT_SHARE_PORT}"
    (tmp_path / ADDRESS_FILE).write_text("{not json")
    assert share_base_url(tmp_path, settings()) == f"http://127.0.0.1:{DEFAULT_SHARE_PORT}"
