"""Whether a process has ended, read from /proc (Linux), for tests of processes the node
starts."""

from __future__ import annotations

import time
from pathlib import Path


def gone(pid: int) -> bool:
    """Whether the process has ended (a zombie not yet reaped has)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0] == "Z"
    except OSError:
        return True


def wait_gone(pid: int, seconds: float = 10.0) -> bool:
    """Whether the process ends within `seconds` (blocking: no event loop runs meanwhile)."""
    until = time.monotonic() + seconds
    while not gone(pid) and time.monotonic() < until:
        time.sleep(0.01)
    return gone(pid)
