"""Inbox ingestion: signed activities per second accepted (202) and applied, by a real node.

Run: .venv/bin/python benchmarks/inbox.py [--activities 2000] [--concurrency 8] [--postgres URL]
                                          [--no-worker] [--kept 0,10000,100000,1000000]
                                          [--statuses 0,10000,100000,1000000]

A remote actor (served from this process) sends signed Create activities mentioning a
member of a real `harbour serve` on loopback. Requests are signed before the clock starts,
so the figures are the receiver's, with the node's CPU per request accepted (its user and
system time while the POSTs were sent, the worker's included) and per item applied (until
the last was: accept and apply, the steadier figure on a shared machine). The baseline is
a bare Starlette endpoint under uvicorn that reads the body and answers 202, hit by the
same client in the same run, with its CPU per request too: the node's CPU per request
accepted against the bare endpoint's ("x bare by CPU") is the ratio to read on a shared
machine, where the bare endpoint's rate swings from run to run (2,900-5,100/s on two cores
at load 3-5, its CPU per request 190-225 us) and the rate ratio with it.

With --no-worker the node applies nothing (`serve --no-worker`): the accept path alone, as
profiled (`py-spy record --pid` on the node during the POSTs).

With --kept, the run is repeated on a fresh node for each number of finished inbox items
already in the table (ended jobs are kept 14 days), bulk-loaded before the clock starts: the
apply rate must not fall as they grow. Before the clock starts, a worker poll that finds
nothing due (what an idle node runs every second) is timed in process on that table.

With --statuses, it is repeated on a node whose database already holds that many posts (with
the accounts, follows, feeds, likes and boosts around them: the home timeline benchmark's
database, from its kept copies), the curve of issue 18: the apply rate must not fall as the
tables grow either.
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from sqlalchemy import create_engine, insert, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from activitypub import generate_keypair  # noqa: E402
from activitypub.actors import Actor, PublicKey  # noqa: E402
from activitypub.vocab import ActorType  # noqa: E402
from benchmarks._servers import bare_server, cpu_seconds, scratch_database  # noqa: E402
from benchmarks._timeline_cache import database as timeline_database  # noqa: E402
from benchmarks._timeline_data import Shape  # noqa: E402
from content.orm import new_id, utcnow  # noqa: E402
from federation import jobs  # noqa: E402
from federation.inbox import InboxItem  # noqa: E402
from node.database import create_engine as create_async_engine  # noqa: E402
from node.database import create_sessionmaker, driver_url  # noqa: E402
from tests.rig.listeners import answer_document  # noqa: E402
from tests.rig.nodes import NodeProcess, free_port  # noqa: E402
from tests.rig.signing import signed_post  # noqa: E402


def serve_actor(port: int, document: dict[str, object]) -> ThreadingHTTPServer:
    body = json.dumps(document).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            answer_document(self, body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def blast(
    port: int, host: str, requests: list[tuple[dict[str, str], bytes]], concurrency: int
) -> tuple[float, int]:
    """Send every request from `concurrency` keep-alive connections (stdlib http.client,
    which outpaces an async Python client here); returns (seconds, how many got 202)."""
    pending = list(reversed(requests))
    lock = threading.Lock()
    accepted = 0

    def worker() -> None:
        nonlocal accepted
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        while True:
            with lock:
                if not pending:
                    break
                headers, body = pending.pop()
            connection.request(
                "POST", "/users/alice/inbox", body=body, headers={**headers, "host": host}
            )
            response = connection.getresponse()
            response.read()
            with lock:
                accepted += response.status == 202
        connection.close()

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, accepted


def keep_finished(database: str, actor_id: int, count: int) -> None:
    """Bulk-load `count` applied inbox items from the last 14 days, as a busy node keeps."""
    engine = create_engine(driver_url(database, asynchronous=False))
    now = utcnow()
    with engine.begin() as connection:
        for start in range(0, count, 10_000):
            rows = [
                {
                    "id": new_id(),
                    "activity_id": f"https://old.bench/activities/{number}",
                    "activity_type": "Create",
                    "actor_id": actor_id,
                    "body": "{}",
                    "received_at": now - timedelta(seconds=number),
                    "state": "applied",
                    "attempts": 1,
                    "next_attempt_at": now - timedelta(seconds=number),
                }
                for number in range(start, min(start + 10_000, count))
            ]
            connection.execute(insert(InboxItem.__table__), rows)
        if connection.dialect.name == "postgresql":
            connection.execute(text("ANALYZE inbox_items"))  # as autovacuum would
    engine.dispose()


def idle_claim_ms(database: str, probes: int = 20) -> float:
    """Median milliseconds of one worker poll finding nothing due (what an idle node runs
    every second), in process, on the table as loaded."""

    async def probe() -> float:
        engine = create_async_engine(database)
        times = []
        try:
            for _ in range(probes):
                async with create_sessionmaker(engine)() as session:
                    started = time.perf_counter()
                    claimed = await jobs.claim_due(session, InboxItem, 16)
                    times.append(time.perf_counter() - started)
                    assert not claimed
        finally:
            await engine.dispose()
        return statistics.median(times) * 1000

    return asyncio.run(probe())


def make_requests(
    node: NodeProcess, eve: str, private_pem: str, count: int
) -> list[tuple[dict[str, str], bytes]]:
    """Signed Create activities from eve to alice (signed before any clock starts)."""
    requests = []
    for number in range(count):
        note_id = f"{eve}/statuses/{number}"
        activity = {
            "id": f"{note_id}/activity",
            "type": "Create",
            "actor": eve,
            "to": [f"{node.base_url}/users/alice"],
            "object": {
                "id": note_id,
                "type": "Note",
                "attributedTo": eve,
                "content": f"<p>note {number} for alice</p>",
                "to": [f"{node.base_url}/users/alice"],
                "published": "2026-11-01T10:00:00Z",
            },
        }
        requests.append(
            signed_post(
                "/users/alice/inbox",
                activity,
                host=node.domain,
                key_id=f"{eve}#main-key",
                private_pem=private_pem,
            )
        )
    return requests


def bare_run(
    port: int, pid: int, requests: list[tuple[dict[str, str], bytes]], args: argparse.Namespace
) -> tuple[float, float]:
    """The bare endpoint's (requests a second, CPU seconds a request) for one blast."""
    cpu_before = cpu_seconds(pid)
    seconds, answered = blast(port, "bare", requests, args.concurrency)
    return len(requests) / seconds, (cpu_seconds(pid) - cpu_before) / max(answered, 1)


def run_node(
    args: argparse.Namespace,
    eve: str,
    private_pem: str,
    sizes: tuple[int, int],
    bare: list[tuple[float, float]],
) -> tuple[float, int, int, float, int, float, tuple[float, float]]:
    """(accept seconds, how many got 202, applied, applied seconds, posts, idle poll ms, the
    node's CPU seconds while the POSTs were sent, and until all were applied) on a
    fresh node with `sizes`: finished inbox items kept and posts already stored; measures the
    bare endpoint first if `bare` is empty."""
    kept, statuses = sizes
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        database = stack.enter_context(
            timeline_database(Path(tmp), args.postgres, Shape.of_posts(statuses), rebuild=False)
            if statuses
            else scratch_database(Path(tmp), args.postgres)
        )
        workdir = Path(tmp)
        node = NodeProcess(port=free_port(), data_dir=workdir / "node", database_url=database)
        node.extra_env.update(
            HARBOUR_FEDERATION_MODE="open", HARBOUR_DEV_HOSTS="remote.bench=127.0.0.1"
        )
        if args.no_worker:
            node.command = ("serve", "--no-worker")
        node.start()
        node.create_member("alice")
        try:
            requests = make_requests(node, eve, private_pem, args.activities)
            # The first request fetches eve's key; leave it out of the timing.
            warm = blast(node.port, node.domain, requests[:1], 1)
            assert warm[1] == 1, "the warm-up activity was refused"
            engine = create_engine(driver_url(database, asynchronous=False))
            with engine.connect() as connection:
                eve_id = connection.scalar(
                    text("SELECT id FROM accounts WHERE uri = :uri"), {"uri": eve}
                )
            keep_finished(database, eve_id, kept)
            time.sleep(1.5)  # the warm-up item applied: nothing is due
            idle_ms = 0.0 if args.no_worker else idle_claim_ms(database)  # one is queued
            time.sleep(0.5)
            if not bare:
                bare_port = free_port()
                with bare_server(workdir, bare_port, "/users/alice/inbox") as (_, bare_pid):
                    bare.extend(bare_run(bare_port, bare_pid, requests[1:], args) for _ in range(3))
            assert node.process is not None
            cpu_before = cpu_seconds(node.process.pid)
            started = time.perf_counter()
            seconds, accepted = blast(node.port, node.domain, requests[1:], args.concurrency)
            cpu = cpu_seconds(node.process.pid) - cpu_before
            with engine.connect() as connection:
                if args.no_worker:  # nothing is applied: the rows stored are counted
                    stored = connection.scalar(text("SELECT count(*) FROM inbox_items"))
                # Every applied Create stores one post of eve's: the warm-up and each POST
                # answered 202 (past the inbox's burst of 3,000 a domain, 429s are refused).
                while not args.no_worker:
                    stored = connection.scalar(
                        text("SELECT count(*) FROM posts WHERE account_id = :eve"), {"eve": eve_id}
                    )
                    if stored >= 1 + accepted or time.perf_counter() - started > 600:
                        break
                    time.sleep(0.1)
                    connection.rollback()
                applied_seconds = time.perf_counter() - started
            cpu_applied = cpu_seconds(node.process.pid) - cpu_before
            engine.dispose()
        finally:
            node.stop()
    return seconds, accepted, stored, applied_seconds, stored, idle_ms, (cpu, cpu_applied)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--activities", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--postgres", help="admin URL; runs on a new PostgreSQL database")
    parser.add_argument(
        "--no-worker", action="store_true", help="the node's worker off: the accept path alone"
    )
    parser.add_argument(
        "--kept", default="0", help="finished inbox items kept, e.g. 0,10000,100000,1000000"
    )
    parser.add_argument(
        "--statuses", default="0", help="posts already stored, e.g. 0,10000,100000,1000000"
    )
    args = parser.parse_args()
    keys = generate_keypair()
    actor_port = free_port()
    remote = f"remote.bench:{actor_port}"
    eve = f"http://{remote}/users/eve"
    serve_actor(
        actor_port,
        Actor(
            id=eve,
            type=ActorType.PERSON,
            preferred_username="eve",
            inbox=f"{eve}/inbox",
            outbox=f"{eve}/outbox",
            public_key=PublicKey(f"{eve}#main-key", eve, keys.public_pem),
        ).to_document(),
    )
    sent = args.activities - 1
    print(
        f"backend: {'PostgreSQL' if args.postgres else 'SQLite'}; {sent} signed activities, "
        f"concurrency {args.concurrency}"
    )
    bare: list[tuple[float, float]] = []
    runs = [(int(k), int(s)) for k in args.kept.split(",") for s in args.statuses.split(",")]
    for number, (kept, statuses) in enumerate(runs):
        seconds, accepted, applied, applied_seconds, stored, idle_ms, (cpu, cpu_all) = run_node(
            args, eve, keys.private_pem, (kept, statuses), bare
        )
        bare_rate = statistics.median(rate for rate, _ in bare)
        bare_cpu = statistics.median(cpu for _, cpu in bare)
        if number == 0:
            print(
                f"bare Starlette endpoint: {bare_rate:.0f} requests/s (median of 3), "
                f"{bare_cpu * 1e6:.0f} us of CPU a request"
            )
        accept_rate = sent / seconds
        print(
            f"with {kept} finished inbox items kept, {statuses} posts stored: "
            f"idle worker poll {idle_ms:.2f} ms (median)"
        )
        print(
            f"harbour inbox accepted (verified, stored): {accept_rate:.0f}/s "
            f"= {accept_rate / bare_rate:.2f}x bare; {accepted}/{sent} got 202; node CPU "
            f"{cpu / max(accepted, 1) * 1e6:.0f} us per request accepted "
            f"= {bare_cpu * max(accepted, 1) / cpu:.2f}x bare by CPU"
        )
        apply_rate = applied / applied_seconds
        print(
            f"harbour accepted and applied (posts stored): {apply_rate:.0f}/s "
            f"= {apply_rate / bare_rate:.3f}x bare end to end; {applied} applied, {stored} posts; "
            f"node CPU {cpu_all / max(applied, 1) * 1e6:.0f} us per item accepted and applied"
        )


if __name__ == "__main__":
    main()
