"""Independent implementations installed for the tests: Fedify (npm)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.rig.npm import npm_installed

FEDIFY_DIR = Path(__file__).parent / "fedify"


@pytest.fixture(scope="session")
def fedify() -> Path:
    """The folder with Fedify installed from the lock file; skips only where Node.js is absent."""
    return npm_installed(FEDIFY_DIR, "@fedify/fedify", "the Fedify interop tests")
