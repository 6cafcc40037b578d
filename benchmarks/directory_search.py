"""Directory search latency on 100,000 listings, on SQLite and PostgreSQL.

Run: .venv/bin/python benchmarks/directory_search.py [--listings 100000] [--requests 1000]
                                                     [--postgres URL [--only-postgres]]

Each database is migrated and bulk-loaded (benchmarks/_directory_data.py). A real `harbour
serve` answers GET /directory (the server-rendered page with 20 results) for each kind of
search below; p50 and p99 over --requests sequential requests (a p99 of 200 is their
second-slowest, which swung 13-25 ms between runs), once the node has settled after its
start (`settled`) and after a warm-up. The baseline
is a bare Starlette JSON endpoint under uvicorn, hit by the same client in the same run.
In-process, `content.directory.search` alone is timed for the same searches (median), each
probe in a fresh session on a fresh connection, so no plan cached by an earlier probe helps.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._directory_data import Shape, build  # noqa: E402
from benchmarks._servers import scratch_database, settled  # noqa: E402
from benchmarks.home_timeline import bare_latency, latencies, p50_p99  # noqa: E402
from content import directory  # noqa: E402
from content.directory import Query  # noqa: E402
from content.paging import Window  # noqa: E402
from node.database import create_engine, create_sessionmaker  # noqa: E402
from tests.rig.nodes import NodeProcess, free_port  # noqa: E402

SEARCHES: dict[str, dict[str, str]] = {
    "no filter": {},
    "country": {"country": "RO"},
    "category": {"category": "migration-legal"},
    "language": {"language": "bg"},
    "country+category+language": {"country": "DE", "category": "prep", "language": "pt"},
    "words (common)": {"q": "night clinic"},
    "words (rare: one city)": {"q": "CRO7town"},
    "country+words": {"country": "PT", "q": "shelter"},
    "country+category+language+words (rare)": {
        "country": "BG",
        "category": "housing",
        "language": "tr",
        "q": "peer",
    },
}


def as_query(params: dict[str, str]) -> Query:
    return Query(
        country=params.get("country", ""),
        category=params.get("category", ""),
        language=params.get("language", ""),
        text=params.get("q", ""),
    )


async def in_process(url: str, probes: int) -> dict[str, tuple[float, int]]:
    """The median milliseconds of `directory.search` alone, and how many rows it returned.

    Each probe runs in a fresh session on a fresh connection, as a request may meet it: on
    one reused connection psycopg prepares a repeated statement and PostgreSQL would serve
    every later probe from that one cached plan."""
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    found = {}
    try:
        for label, params in SEARCHES.items():
            times, rows = [], []
            for _ in range(probes):
                await engine.dispose()  # the next session opens a new connection
                async with sessions() as session:
                    await session.execute(text("SELECT 1"))  # connect outside the clock
                    started = time.perf_counter()
                    rows = await directory.search(session, as_query(params), Window(limit=20))
                    times.append(time.perf_counter() - started)
            found[label] = (statistics.median(times) * 1000, len(rows))
    finally:
        await engine.dispose()
    return found


def run_backend(workdir: Path, url: str, args: argparse.Namespace, bare_p50: float) -> None:
    node = NodeProcess(port=free_port(), data_dir=workdir / f"node-{free_port()}", database_url=url)
    node.start()
    try:
        assert node.process is not None
        settled(node.process.pid)  # what a node does just after it starts is not a search
        with node.client() as http:
            for label, params in SEARCHES.items():
                p50, p99 = p50_p99(latencies(http, "/directory", params, args.requests))
                print(
                    f"  GET /directory {label}: p50 {p50:.1f} ms, p99 {p99:.1f} ms "
                    f"= {p50 / bare_p50:.1f}x bare p50"
                )
    finally:
        node.stop()
    for label, (ms, count) in asyncio.run(in_process(url, args.probes)).items():
        print(
            f"  in process, search {label}: {ms:.2f} ms ({count} rows), median, fresh connections"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--probes", type=int, default=30)
    parser.add_argument("--postgres", help="admin URL; also runs on a new PostgreSQL database")
    parser.add_argument("--only-postgres", action="store_true", help="skip the SQLite run")
    args = parser.parse_args()
    shape = Shape(listings=args.listings)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        bare_p50, bare_p99 = bare_latency(workdir)
        print(f"{shape.listings} listings from {shape.organisations} organisations")
        print(f"bare Starlette JSON endpoint: p50 {bare_p50:.2f} ms, p99 {bare_p99:.2f} ms")
        backends = {} if args.only_postgres else {"SQLite": None}
        if args.postgres:
            backends["PostgreSQL"] = args.postgres
        for name, admin_url in backends.items():
            print(f"{name}:")
            with scratch_database(workdir, admin_url) as url:
                started = time.perf_counter()
                build(url, shape)
                print(f"  built in {time.perf_counter() - started:.0f} s")
                run_backend(workdir, url, args, bare_p50)


if __name__ == "__main__":
    main()
