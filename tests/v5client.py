"""The official API v5 client, luminoso-api 3.1.1, unmodified, for the tests.

The test extra pins the v4 client, luminoso-api 1.1.1, and both versions are the
package `luminoso_api`; so scripts/install puts 3.1.1 in a folder of its own
beside the venv (`<venv>/luminoso-api-3.1.1`, pip's --target) with its four
console scripts. The scripts run as they are, with that folder on PYTHONPATH;
in-process, the package is loaded from that folder under the name
`luminoso_api_v5` (its modules import each other relatively, so its code is
used exactly as released), beside the 1.1.1 package the v4 tests import.
"""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

FOLDER = Path(sys.prefix) / "luminoso-api-3.1.1"
PACKAGE = "luminoso_api_v5"


def official():
    """The 3.1.1 package (LuminosoClient, VERSION, the error classes)."""
    if PACKAGE in sys.modules:
        return sys.modules[PACKAGE]
    init = FOLDER / "luminoso_api" / "__init__.py"
    if not init.is_file():
        pytest.fail(f"luminoso-api 3.1.1 is not installed at {FOLDER}: run `bash scripts/install test`")
    spec = importlib.util.spec_from_file_location(PACKAGE, init, submodule_search_locations=[str(init.parent)])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[PACKAGE] = module
    spec.loader.exec_module(module)
    assert module.VERSION == "3.1.1", module.VERSION
    return module


def v5_client_module():
    official()
    return sys.modules[PACKAGE + ".v5_client"]


def script(name: str, *args: str, stdin: str = "", home: Path | None = None, cwd: Path | None = None,
           timeout: float = 300) -> subprocess.CompletedProcess:
    """Run one of the four console scripts (lumi-upload, lumi-download, lumi-api,
    lumi-save-token) as installed, with `stdin` as its input."""
    path = FOLDER / "bin" / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `bash scripts/install test`")
    env = {**os.environ, "PYTHONPATH": str(FOLDER)}
    if home is not None:
        env["HOME"] = str(home)
    return subprocess.run([str(path), *args], input=stdin, capture_output=True, text=True, env=env,
                          cwd=cwd, timeout=timeout, check=False)
