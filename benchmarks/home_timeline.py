"""Home timeline latency: a member following 500 accounts, on a database of 1,000,000 posts.

Run: .venv/bin/python benchmarks/home_timeline.py [--posts 1000000 ...] [--requests 1000]
                                                  [--postgres URL [--only-postgres]] [--rebuild]
                                                  [--clear-cache]

The database (5,000 accounts, 1,000 of them local; follows; posts of every visibility, a fifth
of them replies; mentions, likes and boosts) is migrated with Alembic and bulk-loaded
(benchmarks/_timeline_data.py), once: the built database is kept (a SQLite file in
benchmarks/.cache, a PostgreSQL database on the server; benchmarks/_timeline_cache.py), keyed
by the migrations, the loader and the size, and each run times a fresh copy of it.
`--clear-cache` drops them. A real `harbour serve` answers GET
/api/v1/timelines/home?limit=20 with the reader's token, for the newest page and for a page
six months back (max_id); p50 and p99 over --requests requests after a warm-up, and the
node's CPU time per request (from /proc, the steadier figure on a shared machine). The
baseline is a bare Starlette JSON endpoint under uvicorn, hit by the same client just before
each page is timed, so both meet the same minute's load. In-process probes then split a page
into the SQL that picks the posts and the rendering of Status entities, and print the
database's plan for the timeline query. Last, a full garbage collection is timed in this
process (which then holds what a node's holds) before and after `settle_heap()`: on a shared
machine that pause, a page's p99 when it strikes, is steadier to compare than the p99
itself. Several sizes (`--posts 10000 100000 1000000`) print the newest page's figures by
size at the end: the curve issue 18 asks for, which should not grow with the table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from contextlib import closing
from datetime import timedelta
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks._servers import bare_server, cpu_seconds, settled  # noqa: E402
from benchmarks._timeline_cache import clear_cache, database  # noqa: E402
from benchmarks._timeline_data import NOW, READER, READER_PASSWORD, Shape  # noqa: E402
from benchmarks._timeline_probe import probe  # noqa: E402
from content.paging import Window  # noqa: E402
from tests.rig.nodes import NodeProcess, free_port  # noqa: E402

WARM_UP = 20
DEEP_ID = int((NOW - timedelta(days=180)).timestamp() * 1000) << 16
PAGES = {"newest page": {}, "page 6 months back (max_id)": {"max_id": str(DEEP_ID)}}


def latencies(http: httpx.Client, path: str, params: dict[str, str], count: int) -> list[float]:
    """Seconds each of `count` sequential GETs took, after a warm-up."""
    for _ in range(WARM_UP):
        http.get(path, params=params).raise_for_status()
    times = []
    for _ in range(count):
        started = time.perf_counter()
        response = http.get(path, params=params)
        times.append(time.perf_counter() - started)
        response.raise_for_status()
    return times


def p50_p99(times: list[float]) -> tuple[float, float]:
    """The median and 99th percentile, in milliseconds."""
    return statistics.median(times) * 1000, statistics.quantiles(times, n=100)[98] * 1000


def bare_latency(workdir: Path, count: int = 1000) -> tuple[float, float]:
    """p50 and p99 (ms) of `count` GETs of a bare Starlette JSON endpoint under uvicorn."""
    with bare_server(workdir, port := free_port()), httpx.Client() as http:
        bare = latencies(http, f"http://127.0.0.1:{port}/.well-known/nodeinfo", {}, count)
    return p50_p99(bare)


def reader_token(node: NodeProcess) -> str:
    """A read token for the reader, by the password grant as a client app gets one."""
    return node.app_token(READER, READER_PASSWORD)


def run_backend(workdir: Path, url: str, args: argparse.Namespace) -> str:
    """Times the pages on a real node, beside the bare endpoint timed just before, then
    probes them in process; the newest page's figures, for the curve."""
    newest = ""
    node = NodeProcess(port=free_port(), data_dir=workdir / f"node-{free_port()}", database_url=url)
    node.start()
    try:
        token = reader_token(node)
        assert node.process is not None
        settled(node.process.pid)  # what a node does just after it starts is not a page
        with closing(node.client()) as http:
            http.headers["authorization"] = f"Bearer {token}"
            for label, params in PAGES.items():
                page = http.get("/api/v1/timelines/home?limit=20", params=params).json()
                assert len(page) == 20, f"{label}: {len(page)} statuses"
                # The same minute's load, and as many requests (at least 100).
                bare_p50, bare_p99 = bare_latency(workdir, max(args.requests, 100))
                assert node.process is not None
                cpu = cpu_seconds(node.process.pid)
                times = latencies(http, "/api/v1/timelines/home?limit=20", params, args.requests)
                cpu = (cpu_seconds(node.process.pid) - cpu) / (args.requests + WARM_UP) * 1000
                p50, p99 = p50_p99(times)
                figures = (
                    f"p50 {p50:.1f} ms, p99 {p99:.1f} ms, node CPU {cpu:.1f} ms a request; "
                    f"bare just before p50 {bare_p50:.2f} ms, p99 {bare_p99:.2f} ms"
                )
                newest = newest or figures
                print(
                    f"  GET home {label}: {figures}; {p50 / bare_p50:.1f}x bare p50, "
                    f"{p99 / bare_p99:.1f}x bare p99 ({args.requests} requests)"
                )
    finally:
        node.stop()
    for label, params in PAGES.items():
        window = Window(limit=20, max_id=int(params["max_id"]) if params else None)
        found = asyncio.run(probe(url, READER, window, node.base_url, args.probes))
        print(
            f"  in process, {label}: timeline query {found.query_ms:.1f} ms "
            f"({found.query_statements} statements), rendering 20 statuses "
            f"{found.render_ms:.1f} ms ({found.render_statements} statements); "
            f"CPU for both {found.cpu_ms:.1f} ms; median of {args.probes}"
        )
        if label == "newest page":
            for plan in found.plans:
                print(f"    plan: {plan}")
    return newest


def full_collection_ms(runs: int = 5) -> tuple[float, float]:
    """Median milliseconds of a full garbage collection in this process, which holds what a
    node's process holds after start-up (every module and model, the app's routes and
    templates, the rendering the probes did): as it is, then after `settle_heap()`, which
    `harbour serve` and `harbour worker` call once started."""
    import gc

    from node import commands
    from node.app import create_app
    from node.settings import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.load(
            {"HARBOUR_DOMAIN": "gc.bench", "HARBOUR_DATA_DIR": tmp, "HARBOUR_SECRET_KEY": "x" * 32}
        )
        app = create_app(settings, run_worker=False)

        def timed() -> float:
            times = []
            for _ in range(runs):
                started = time.perf_counter()
                gc.collect()
                times.append(time.perf_counter() - started)
            return statistics.median(times) * 1000

        before = timed()
        commands.settle_heap()
        after = timed()
        gc.unfreeze()
        del app
    return before, after


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--posts",
        type=int,
        nargs="+",
        default=[1_000_000],
        help="one size, or several for a curve (e.g. 10000 100000 1000000)",
    )
    # 1,000: a p99 of 200 is their second worst, and a node's first seconds put one or two
    # requests of 15-40 ms there (none after ~3 s of requests): 16-19 ms on a quiet machine
    # whose p99 of 1,000 was 7-10 ms.
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--probes", type=int, default=30)
    parser.add_argument("--postgres", help="admin URL; also runs on a new PostgreSQL database")
    parser.add_argument("--rebuild", action="store_true", help="rebuild the cached SQLite file")
    parser.add_argument("--only-postgres", action="store_true", help="skip the SQLite run")
    parser.add_argument(
        "--clear-cache", action="store_true", help="drop the kept databases (both) and stop"
    )
    args = parser.parse_args()
    if args.clear_cache:
        clear_cache(args.postgres)
        return
    curve: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for posts in args.posts:
            shape = Shape.of_posts(posts)
            print(
                f"{shape.posts} posts, {shape.accounts} accounts; "
                f"the reader follows {shape.followed}"
            )
            backends = {} if args.only_postgres else {"SQLite": None}
            if args.postgres:
                backends["PostgreSQL"] = args.postgres
            for name, admin_url in backends.items():
                print(f"{name}:")
                with database(workdir, admin_url, shape, args.rebuild) as url:
                    newest = run_backend(workdir, url, args)
                curve.append(f"  {name}, {shape.posts} posts: {newest}")
    if len(args.posts) > 1:
        print("newest page by table size:")
        print("\n".join(curve))
    before, after = full_collection_ms()
    print(
        f"a full garbage collection in a process holding the app: {before:.1f} ms; "
        f"after settle_heap (gc.freeze): {after:.1f} ms (median of 5)"
    )


if __name__ == "__main__":
    main()
