"""List timeline latency beside the home timeline's, in process, on the home benchmark's data.

Run: .venv/bin/python benchmarks/list_timeline.py [--posts 200000] [--runs 50]
                                                  [--postgres URL]

The database is benchmarks/_timeline_data.py's (the reader follows 500 accounts). The reader
gets a list of 50 of them; then the SQL of one page (limit 20) is timed, median and p99 over
--runs runs in new sessions: the newest page and one six months back, of the list and of the
home timeline, and of the home once the list is exclusive (its members left out).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from benchmarks._servers import scratch_database  # noqa: E402
from benchmarks._timeline_data import NOW, READER, Shape, build  # noqa: E402
from content import timeline_lists, timelines  # noqa: E402
from content.accounts import Account  # noqa: E402
from content.paging import Window  # noqa: E402
from content.timeline_lists import TimelineList  # noqa: E402
from node.database import create_engine, create_sessionmaker  # noqa: E402

MEMBERS = 50
DEEP_ID = int((NOW - timedelta(days=180)).timestamp() * 1000) << 16
WINDOWS = {"newest page": Window(limit=20), "6 months back": Window(limit=20, max_id=DEEP_ID)}


async def measure(url: str, followed: list[int], runs: int) -> None:
    """Print the medians and p99s of each timeline and page."""
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)
    async with sessions() as session, session.begin():
        reader = await session.scalar(select(Account).where(Account.username == READER))
        assert reader is not None
        found = await timeline_lists.create(session, reader, "bench")
        await timeline_lists.add_members(session, found, reader, followed[:MEMBERS])
    for label, exclusive in (("", False), (" (list exclusive)", True)):
        async with sessions() as session, session.begin():
            listed = await session.get(TimelineList, found.id)
            assert listed is not None
            listed.exclusive = exclusive
        for page, window in WINDOWS.items():
            for name in ("list", "home"):
                if exclusive and name == "list":
                    continue
                times = []
                for _ in range(runs + 3):
                    async with sessions() as session:
                        reader = await session.scalar(
                            select(Account).where(Account.username == READER)
                        )
                        assert reader is not None
                        listed = await session.get(TimelineList, found.id)
                        assert listed is not None
                        started = time.perf_counter()
                        if name == "list":
                            entries = await timelines.list_timeline(session, listed, window=window)
                        else:
                            entries = await timelines.home(session, reader, window=window)
                        times.append((time.perf_counter() - started) * 1000)
                times = sorted(times[3:])
                p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
                print(
                    f"{name}{label}, {page}: {len(entries)} posts, "
                    f"p50 {statistics.median(times):.1f} ms, p99 {p99:.1f} ms"
                )
    await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=200_000)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--postgres", default=None)
    args = parser.parse_args()
    with (
        tempfile.TemporaryDirectory() as workdir,
        scratch_database(Path(workdir), args.postgres) as url,
    ):
        started = time.perf_counter()
        built = build(url, Shape.of_posts(args.posts))
        print(f"built {args.posts} posts in {time.perf_counter() - started:.0f} s")
        asyncio.run(measure(url, built.followed_ids, args.runs))


if __name__ == "__main__":
    main()
