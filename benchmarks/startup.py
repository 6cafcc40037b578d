"""Start-up time and idle memory of `harbour serve`, against a bare Starlette app under uvicorn.

Run: .venv/bin/python benchmarks/startup.py [--runs 5] [--postgres URL]

Each run starts a process on a fresh SQLite database (and, with --postgres, a fresh PostgreSQL
database), times the first answered request, waits for the process to settle, then reads its
resident memory (VmRSS) from /proc. The baseline is a one-route Starlette app under the same
uvicorn, measured in the same run, so the ratios hold on a noisy shared machine.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from pathlib import Path

import httpx
import psycopg

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.rig.nodes import NodeProcess, free_port  # noqa: E402

SETTLE_SECONDS = 2.0
BARE_APP = textwrap.dedent(
    """
    import sys, uvicorn
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    async def hello(request):
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/.well-known/nodeinfo", hello)])
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
    """
)


def rss_mib(pid: int) -> float:
    """Resident memory of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def measure_bare(workdir: Path) -> tuple[float, float]:
    script = workdir / "bare.py"
    script.write_text(BARE_APP)
    port = free_port()
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, str(script), str(port)])
    try:
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/.well-known/nodeinfo", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.02)
        elapsed = time.perf_counter() - started
        time.sleep(SETTLE_SECONDS)
        return elapsed, rss_mib(process.pid)
    finally:
        process.terminate()
        process.wait()


def measure_harbour(workdir: Path, database_url: str) -> tuple[float, float, float]:
    """(first start incl. migrations and key generation, restart, idle RSS after restart)."""
    node = NodeProcess(port=free_port(), data_dir=workdir / uuid.uuid4().hex,
                       database_url=database_url)
    first = node.start()
    node.stop()
    node.port = free_port()
    again = node.start()
    time.sleep(SETTLE_SECONDS)
    assert node.process is not None
    memory = rss_mib(node.process.pid)
    node.stop()
    return first, again, memory


def postgres_database(admin_url: str) -> tuple[str, str]:
    name = f"harbour_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    return f"{admin_url.rpartition('/')[0]}/{name}", name


def drop_postgres(admin_url: str, name: str) -> None:
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--postgres", help="admin URL, e.g. postgresql://postgres@127.0.0.1/test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bare = [measure_bare(workdir) for _ in range(args.runs)]
        bare_start = statistics.median(b[0] for b in bare)
        bare_rss = statistics.median(b[1] for b in bare)
        print(f"bare Starlette+uvicorn: first answer {bare_start * 1000:.0f} ms, "
              f"idle RSS {bare_rss:.1f} MiB (median of {args.runs})")
        backends = {"sqlite": lambda: (f"sqlite:///{workdir / uuid.uuid4().hex}.db", None)}
        if args.postgres:
            backends["postgresql"] = lambda: postgres_database(args.postgres)
        for backend, make in backends.items():
            runs = []
            for _ in range(args.runs):
                url, name = make()
                try:
                    runs.append(measure_harbour(workdir, url))
                finally:
                    if name:
                        drop_postgres(args.postgres, name)
            first = statistics.median(r[0] for r in runs)
            again = statistics.median(r[1] for r in runs)
            memory = statistics.median(r[2] for r in runs)
            print(
                f"harbour serve on {backend}: first start {first * 1000:.0f} ms "
                f"(migrations + 3 RSA keys), restart {again * 1000:.0f} ms "
                f"= {again / bare_start:.1f}x bare; idle RSS {memory:.1f} MiB "
                f"= {memory / bare_rss:.1f}x bare (median of {args.runs})"
            )


if __name__ == "__main__":
    main()
