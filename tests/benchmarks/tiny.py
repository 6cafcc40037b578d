"""Every benchmark in benchmarks/ runs at a tiny size in the suite and prints its figures, so
none of them can break unnoticed. Each runs as a user runs it: a script in a process of its
own. The tests are spread over a few modules so the suite's workers share them."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCHMARKS = Path(__file__).resolve().parent.parent.parent / "benchmarks"
MS = r"[\d.]+ ms"


def run(script: str, *args: str) -> str:
    """The script's output; it must exit 0."""
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=BENCHMARKS.parent,
    )
    assert result.returncode == 0, f"{script} exited {result.returncode}:\n{result.stderr}"
    return result.stdout


def shows(output: str, *patterns: str) -> None:
    for pattern in patterns:
        assert re.search(pattern, output), f"no line matching {pattern!r} in:\n{output}"
