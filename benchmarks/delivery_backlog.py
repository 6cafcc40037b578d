"""Deliveries to hosts with a backlog: queues longer than a host's 4 senders, where each
send is recorded before its sender's next (`federation.host_queue`). A fan-out (one delivery
a host) is `fanout.py`'s.

Run: .venv/bin/python benchmarks/delivery_backlog.py [--per-host 250] [--answer 0.002]
     [--runs 3] [--postgres]

In process: a worker on a fresh migrated database (a scratch PostgreSQL one with
--postgres) sends --per-host activities to each of 8 hosts, a mock transport answering 202
after --answer seconds. Prints the process's CPU time a delivery (every thread: SQLite's
too), the wall time and how many outcome writes (group commits) it took; medians of --runs.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from federation import delivery, delivery_outcomes  # noqa: E402
from federation.delivery_outcomes import Outcomes, Sent  # noqa: E402
from federation.worker import Worker  # noqa: E402
from node.database import create_engine, create_sessionmaker  # noqa: E402
from tests.federation.test_delivery import BASE, federation_with  # noqa: E402
from tests.rig import world  # noqa: E402
from tests.rig.databases import PostgresDatabases, SQLiteDatabases  # noqa: E402

HOSTS = [f"h{n}.test" for n in range(8)]
WRITES = [0]


async def one_run(url: str, per_host: int, answer: float) -> tuple[float, float]:
    """CPU-ms a delivery and seconds to deliver them all."""
    engine = create_engine(url)
    sessions = create_sessionmaker(engine)

    async def handle(_request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(answer)
        return httpx.Response(202)

    fed = federation_with(sessions, httpx.MockTransport(handle), HOSTS)
    async with sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        inboxes = [f"https://{host}/inbox" for host in HOSTS]
        for number in range(per_host):
            activity = {"id": f"{BASE}/users/alice#creates/{number}", "type": "Create"}
            await delivery.enqueue(session, activity, alice.id, inboxes)
    worker, done = Worker(fed), 0
    cpu, wall = time.process_time(), time.perf_counter()
    while ran := await worker.run_once():
        done += ran
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    await fed.transport.aclose()
    await engine.dispose()
    return cpu * 1000 / done, wall


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--per-host", type=int, default=250)
    parser.add_argument("--answer", type=float, default=0.002)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--postgres", action="store_true", help="the tests' PostgreSQL server")
    args = parser.parse_args()
    write = Outcomes._write

    async def counted(self: Outcomes, sent: list[Sent]) -> None:
        WRITES[0] += 1
        await write(self, sent)

    delivery_outcomes.Outcomes._write = counted  # type: ignore[method-assign]
    databases = PostgresDatabases() if args.postgres else SQLiteDatabases(Path(tempfile.mkdtemp()))
    cpus, walls, writes = [], [], []
    try:
        for _ in range(args.runs):
            url, WRITES[0] = databases.create(), 0
            try:
                cpu, wall = asyncio.run(one_run(url, args.per_host, args.answer))
            finally:
                databases.drop(url)
            cpus.append(cpu)
            walls.append(wall)
            writes.append(WRITES[0])
    finally:
        if isinstance(databases, PostgresDatabases):
            databases.close()
    print(
        f"{'PostgreSQL' if args.postgres else 'SQLite'}: {args.per_host * len(HOSTS)} deliveries"
        f" to {len(HOSTS)} hosts answering in {args.answer * 1000:.0f} ms, medians of"
        f" {args.runs}: {statistics.median(cpus):.3f} CPU-ms a delivery (runs: "
        + " ".join(f"{c:.3f}" for c in cpus)
        + f"), {statistics.median(walls):.2f} s, {statistics.median(writes):.0f} outcome writes"
    )


if __name__ == "__main__":
    main()
