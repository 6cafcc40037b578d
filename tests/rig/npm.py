"""Node.js packages the tests use, installed from a committed lock file with `npm ci`."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
from pathlib import Path

import pytest


def npm_installed(folder: Path, package: str, what: str) -> Path:
    """`folder` with its locked packages installed (once); skips where Node.js and npm are
    absent, saying that `what` needs them, and fails instead on CI."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        if os.environ.get("CI"):
            pytest.fail(f"Node.js and npm are needed for {what}")
        pytest.skip(f"Node.js and npm are not installed; {what} need them")
    # Test workers run in parallel: one installs while the others wait for it.
    with (folder / "node_modules.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (folder / "node_modules" / package).exists():
            subprocess.run(
                ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=folder,
                check=True,
                timeout=600,
            )
    return folder
