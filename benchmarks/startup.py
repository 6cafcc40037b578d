"""Start-up time and idle memory of `harbour serve`, against a bare Starlette app under uvicorn.

Run: .venv/bin/python benchmarks/startup.py [--runs 5] [--postgres URL] [--harbour PROGRAM]

Each run starts a process on a fresh SQLite database (and, with --postgres, a fresh PostgreSQL
database), times the first answered request, waits for the process to settle, then reads its
resident memory (VmRSS) from /proc, printed in MiB and in MB (10^6 bytes), the unit of
issue 18's goal (< 80 MB). The CPU time a process used until its first answer is
read from /proc too: on a shared machine it varies less than the wall clock. The baseline
is a one-file Starlette app under the same uvicorn, measured in the same run, so the ratios
hold on a noisy shared machine. Both are polled for their first answer the same way (every
20 ms). A third figure is that bare app made to import SQLAlchemy's ORM, its asyncio
extension and aiosqlite before it starts: what no node of this stack can start without, so
the floor under the restart ratio. `--harbour` runs another install's program, e.g. the
runtime-only one `make run` makes, without the test extras (some of them, such as rich, are
imported by httpx when present).

A node keeps its compiled bytecode, as every real install does (pip compiles it, or Python
writes `__pycache__` on the first start), even when this benchmark runs with
PYTHONDONTWRITEBYTECODE set (the test harness sets it): otherwise each restart would compile
Harbour's modules from source again (~0.2 s of CPU) and measure a start no
operator meets. The bytecode goes to the run's temporary folder (PYTHONPYCACHEPREFIX), so
the first start of the first run also compiles the libraries; where this benchmark itself
keeps bytecode beside the sources (as `make test` does), the node keeps it there too, and
the suite's tiny run does not compile everything again (~2.5 s of CPU).
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

from benchmarks._servers import (  # noqa: E402
    bare_server,
    cpu_seconds,
    scratch_database,
    wait_until_listening,
)
from tests.rig import nodes  # noqa: E402
from tests.rig.nodes import NodeProcess, free_port  # noqa: E402

SETTLE_SECONDS = 2.0
RSS_GOAL_MB = 80  # issue 18: idle RSS under 80 MB (10^6 bytes, not MiB)
RESTART_GOAL = 2.0  # issue 18: restart to the first answer under 2x bare uvicorn


def bytecode_kept(workdir: Path) -> dict[str, str]:
    """The environment that lets a node keep its bytecode, as a real install does: beside
    the sources where this process keeps it there already (`make test`, which has compiled
    it all by then), else in the run's temporary folder."""
    if not sys.flags.dont_write_bytecode and sys.pycache_prefix is None:
        return {}
    return {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(workdir / "bytecode")}


def rss_mib(pid: int) -> float:
    """Resident memory of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def megabytes(mib: float) -> float:
    """MiB (what /proc reports, in KiB) as MB, the unit of the goal."""
    return mib * 1024 * 1024 / 1e6


# What a node cannot start without, imported by the bare app for the floor's figure: the
# stack's ORM with its asyncio extension, and the SQLite driver it runs on.
STACK_FLOOR = ("sqlalchemy.orm", "sqlalchemy.ext.asyncio", "aiosqlite")


def measure_bare(workdir: Path) -> tuple[float, float, float]:
    """(first answer, its CPU time, idle RSS) of the bare app."""
    with bare_server(workdir, free_port()) as (first_answer, pid):
        cpu = cpu_seconds(pid)
        time.sleep(SETTLE_SECONDS)
        return first_answer, cpu, rss_mib(pid)


def measure_floor(workdir: Path) -> float:
    """The bare app's first answer when it has imported STACK_FLOOR first."""
    with bare_server(workdir, free_port(), imports=STACK_FLOOR) as (first_answer, _pid):
        return first_answer


def measure_harbour(workdir: Path, database_url: str) -> tuple[float, float, float, float]:
    """(first start incl. migrations and key generation, restart, its CPU time, idle RSS
    after restart)."""
    node = NodeProcess(
        port=free_port(),
        data_dir=workdir / uuid.uuid4().hex,
        database_url=database_url,
        extra_env=bytecode_kept(workdir),
    )
    first = start(node)
    node.stop()
    node.port = free_port()
    again = start(node)
    assert node.process is not None
    cpu = cpu_seconds(node.process.pid)
    time.sleep(SETTLE_SECONDS)
    memory = rss_mib(node.process.pid)
    node.stop()
    return first, again, cpu, memory


def start(node: NodeProcess) -> float:
    """Seconds from launching `harbour serve` to its first answer."""
    started = time.perf_counter()
    node.launch()
    return wait_until_listening(node.port) - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", help="admin URL, e.g. postgresql://postgres@127.0.0.1/test")
    parser.add_argument("--harbour", type=Path, help="the harbour program to start")
    args = parser.parse_args()
    if args.harbour:
        nodes.HARBOUR = args.harbour
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bare = [measure_bare(workdir) for _ in range(args.runs)]
        bare_start = statistics.median(b[0] for b in bare)
        bare_cpu = statistics.median(b[1] for b in bare)
        bare_rss = statistics.median(b[2] for b in bare)
        print(
            f"bare Starlette+uvicorn: first answer {bare_start * 1000:.0f} ms "
            f"(CPU {bare_cpu * 1000:.0f} ms), idle RSS {bare_rss:.1f} MiB "
            f"= {megabytes(bare_rss):.1f} MB (median of {args.runs})"
        )
        floor = statistics.median(measure_floor(workdir) for _ in range(args.runs))
        print(
            f"the same app importing {', '.join(STACK_FLOOR)} first: first answer "
            f"{floor * 1000:.0f} ms = {floor / bare_start:.1f}x bare (the fixed stack's "
            f"floor under the restart goal; median of {args.runs})"
        )
        backends = {"sqlite": None, **({"postgresql": args.postgres} if args.postgres else {})}
        for backend, admin_url in backends.items():
            runs = []
            for _ in range(args.runs):
                with scratch_database(workdir, admin_url) as url:
                    runs.append(measure_harbour(workdir, url))
            first = statistics.median(r[0] for r in runs)
            again = statistics.median(r[1] for r in runs)
            cpu = statistics.median(r[2] for r in runs)
            memory = statistics.median(r[3] for r in runs)
            print(
                f"harbour serve on {backend}: first start {first * 1000:.0f} ms "
                f"(migrations + 3 RSA keys), restart {again * 1000:.0f} ms "
                f"= {again / bare_start:.1f}x bare (CPU {cpu * 1000:.0f} ms "
                f"= {cpu / bare_cpu:.1f}x bare; goal < {RESTART_GOAL:.0f}x); idle RSS "
                f"{memory:.1f} MiB = {megabytes(memory):.1f} MB = {memory / bare_rss:.1f}x bare "
                f"(goal < {RSS_GOAL_MB} MB: {_verdict(megabytes(memory) < RSS_GOAL_MB)}) "
                f"(median of {args.runs})"
            )


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


if __name__ == "__main__":
    main()
