"""CPU an idle `harbour serve` (its worker in process) uses each second.

Run: .venv/bin/python benchmarks/idle_cpu.py [--runs 3] [--sqlite] [--postgres URL]
     [--settle 20] [--window 10]

Each run starts a node on a fresh database (a scratch PostgreSQL database with --postgres,
dropped afterwards), lets it settle for --settle seconds with nothing to do, then reads its
user and system CPU time from /proc over --window seconds. The worker's idle passes are what
is left: on a busy node each of them is time taken from the requests, and the test suite
runs hundreds of idle nodes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._servers import cpu_seconds, scratch_database  # noqa: E402
from benchmarks.startup import bytecode_kept  # noqa: E402
from tests.rig.nodes import NodeProcess, free_port  # noqa: E402


def idle_cpu_ms(workdir: Path, database_url: str, settle: float, window: float) -> float:
    """Milliseconds of CPU a node used per second of a window with nothing to do."""
    node = NodeProcess(
        port=free_port(),
        data_dir=workdir / uuid.uuid4().hex,
        database_url=database_url,
        extra_env=bytecode_kept(workdir),
    )
    node.start()
    try:
        assert node.process is not None
        time.sleep(settle)
        before = cpu_seconds(node.process.pid)
        time.sleep(window)
        return (cpu_seconds(node.process.pid) - before) / window * 1000
    finally:
        node.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sqlite", action="store_true", help="measure on SQLite")
    parser.add_argument("--postgres", help="admin URL, e.g. postgresql://postgres@127.0.0.1/test")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds idle first")
    parser.add_argument("--window", type=float, default=10.0, help="seconds measured")
    args = parser.parse_args()
    backends = {
        **({"sqlite": None} if args.sqlite or not args.postgres else {}),
        **({"postgresql": args.postgres} if args.postgres else {}),
    }
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for backend, admin_url in backends.items():
            runs = []
            for _ in range(args.runs):
                with scratch_database(workdir, admin_url) as url:
                    runs.append(idle_cpu_ms(workdir, url, args.settle, args.window))
            shown = ", ".join(f"{r:.1f}" for r in runs)
            print(
                f"idle harbour serve on {backend}: {statistics.median(runs):.1f} ms of CPU "
                f"per second (median of {args.runs}: {shown})"
            )


if __name__ == "__main__":
    main()
