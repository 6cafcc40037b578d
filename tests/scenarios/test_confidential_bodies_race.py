"""Attack on `delivery.drop_forgotten` with real processes: two `harbour worker` processes on
one PostgreSQL database deliver reports the instance actor forwards (what members tell in
confidence, kept no longer than it takes to send them) to two servers, one worker each.
The test holds the two servers' health rows, so each worker's outcomes wait there after
ending its deliveries, both transactions open at once. Before, each saw the other's delivery
still open and the reports' words stayed until the hourly prune.

The split is made, not hoped for: the first server's deliveries fall due alone; once one
worker holds them (its outcomes waiting), it is frozen (SIGSTOP) while the second server's
fall due, so only the other worker can claim them. A whole claim of the first server's
(`worker.BATCH`, 1,000 reports) once stood in for that; on a loaded CI machine the test
waited 60 s in vain for two workers' outcomes (one worker, it seems, had taken both)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler

import psycopg
import pytest
from sqlalchemy import func, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import instance_actor
from content.orm import utcnow
from federation import delivery, jobs
from federation.delivery import Delivery, DeliveryBody
from federation.hosts import RemoteHost
from tests.rig.listeners import LoopbackServer
from tests.rig.nodes import Replica, free_port, read_database, wait_for
from tests.scenarios.test_inbox_after_a_worker_kill import worker_of
from tests.scenarios.test_inbox_order_across_workers import node as node  # the fixture
from tests.scenarios.test_several_processes import job_states

pytestmark = pytest.mark.processes
REPORTS = 4  # each worker's first outcome ends the first report's delivery to its server
HOLD = "SELECT domain FROM remote_hosts WHERE domain = ANY(%(hosts)s) FOR UPDATE"
WAITING = (
    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'"
    " AND query LIKE '%%remote_hosts%%'"
)


def waiting(look: psycopg.Connection[object]) -> int:
    """Transactions waiting for the health rows the test holds."""
    return int(look.execute(WAITING).fetchone()[0])  # type: ignore[index]


class _Accepting(BaseHTTPRequestHandler):
    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("content-length") or 0))
        self.send_response(202)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def servers() -> Iterator[list[str]]:
    """Two servers that accept every delivery at once; their hosts."""
    running = [LoopbackServer(("127.0.0.1", free_port()), _Accepting) for _ in range(2)]
    threads = [threading.Thread(target=server.serve_forever) for server in running]
    for thread in threads:
        thread.start()
    yield [f"127.0.0.1:{server.server_port}" for server in running]
    for server in running:
        server.shutdown()
        server.server_close()


async def owners(session: AsyncSession, host: str) -> set[str]:
    """Who holds `host`'s open deliveries: their claims' owner parts (`liveness.MARK`...)."""
    claims = await session.scalars(
        select(Delivery.claim).where(
            Delivery.host == host, Delivery.claim.is_not(None), Delivery.state.in_(jobs.OPEN_STATES)
        )
    )
    return {str(claim)[:9] for claim in claims}


def test_two_workers_ending_reports_at_once_keep_none_of_their_words(
    node: list[Replica], servers: list[str]
) -> None:
    web = node[0]

    async def forward(session: AsyncSession) -> None:
        instance = await instance_actor(session)
        assert instance is not None
        for number in range(REPORTS):
            flag = {"id": f"{instance.uri}#flags/{number}", "type": "Flag", "actor": instance.uri}
            flag["content"] = f"what a member told in confidence {number}"
            inboxes = [f"http://{host}/inbox" for host in servers]
            await delivery.enqueue(session, flag, instance.id, inboxes)
        for host, when in zip(servers, (timedelta(minutes=-1), timedelta(days=1)), strict=True):
            await session.execute(
                update(Delivery)
                .where(Delivery.host == host)
                .values(next_attempt_at=utcnow() + when)
            )
        await jobs.announce(session)
        await session.commit()

    async def second_due(session: AsyncSession) -> None:
        await session.execute(
            update(Delivery)
            .where(Delivery.host == servers[1])
            .values(next_attempt_at=utcnow() - timedelta(minutes=1))
        )
        await jobs.announce(session)
        await session.commit()

    async def hosts_known(session: AsyncSession) -> None:
        for host in servers:
            session.add(RemoteHost(domain=host, failures=0))
        await session.commit()

    def holders(host: str) -> set[str]:
        return read_database(web, lambda session: owners(session, host))

    read_database(web, hosts_known)
    conninfo = make_url(web.database_url).set(drivername="postgresql")
    address = conninfo.render_as_string(hide_password=False)
    with psycopg.connect(address) as held, psycopg.connect(address, autocommit=True) as look:
        held.execute(HOLD, {"hosts": servers})  # a transaction open until the commit below
        read_database(web, forward)
        wait_for(lambda: waiting(look) >= 1, what="the first worker's outcomes held")
        (first,) = holders(servers[0])
        frozen = read_database(web, lambda session: worker_of(session, first))
        assert frozen is not None
        os.kill(frozen, signal.SIGSTOP)  # only the other worker can claim the second's now
        try:
            read_database(web, second_due)
            wait_for(lambda: bool(holders(servers[1])), what="the second server's claimed")
        finally:
            os.kill(frozen, signal.SIGCONT)
        assert first not in holders(servers[1])
        wait_for(lambda: waiting(look) >= 2, what="both workers' outcomes held")
        held.commit()
    wait_for(
        lambda: set(job_states(web, "deliveries")) == {"delivered"},
        timeout=120,
        what="every report delivered",
    )

    async def left(session: AsyncSession) -> tuple[int, int]:
        bodies = await session.scalar(select(func.count()).select_from(DeliveryBody))
        ended = await session.scalar(select(func.count()).select_from(Delivery))
        return int(bodies or 0), int(ended or 0)

    # The later worker drops the bodies in a commit of its own, just after the one that
    # ended its deliveries: wait for it (without the fix they stay until the hourly prune).
    wait_for(lambda: read_database(web, left)[0] == 0, timeout=30, what="the reports' words gone")
    assert read_database(web, left) == (0, 2 * REPORTS)
