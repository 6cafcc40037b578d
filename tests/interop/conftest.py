"""Independent implementations installed for the tests: Fedify (npm)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

FEDIFY_DIR = Path(__file__).parent / "fedify"


@pytest.fixture(scope="session")
def fedify() -> Path:
    """The folder with Fedify installed from the lock file; skips only where Node.js is absent."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        if os.environ.get("CI"):
            pytest.fail("Node.js and npm are needed for the Fedify interop tests")
        pytest.skip("Node.js and npm are not installed; the Fedify interop tests need them")
    if not (FEDIFY_DIR / "node_modules" / "@fedify" / "fedify").exists():
        subprocess.run(
            ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=FEDIFY_DIR,
            check=True,
            timeout=600,
        )
    return FEDIFY_DIR
