"""A stop (SIGTERM) that comes while the worker claims again for a host that just ended
(`_claiming`, not a pass): the hosts' senders that claim starts were made after
`run_forever` took the list of tasks to wait for, so it returned with them still running
(found by attack6). `harbour worker` then ends its event loop, which cancels them: their
claims stayed held until another worker's release after the liveness grace (PostgreSQL)
or the next start (SQLite), where a stop gives back what it does not send, due at once."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from federation import delivery, worker
from federation.context import Federation
from federation.delivery import Delivery
from federation.worker import Worker
from tests.federation.test_slow_hosts import BASE, loopback, send, wait_for_state
from tests.federation.test_slow_hosts import servers as servers  # the fixture
from tests.rig import world

pytestmark = pytest.mark.anyio


async def test_a_stop_during_a_hosts_claim_returns_with_nothing_held(
    sessions: async_sessionmaker[AsyncSession],
    servers: tuple[Federation, str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    fed, arrived, stopped = servers[0], list[float](), Worker(servers[0])
    async with sessions() as session, session.begin():
        await world.local_member(session, "alice", base_url=BASE)
    monkeypatch.setattr(worker, "POLL_SECONDS", 60.0)  # only a host's end claims again
    async with loopback("leisurely", arrived) as host:
        first = await send(fed, 1, host)
        claim = delivery.claim

        async def stopped_meanwhile(*args: Any, **kwargs: Any) -> Any:
            """The SIGTERM lands while this claim waits on the database."""
            if asyncio.current_task() is stopped._claiming:  # as the host's first send ended
                stopped.stop()
                await asyncio.sleep(0.2)  # a busy database: the claim takes a while
            return await claim(*args, **kwargs)

        monkeypatch.setattr(delivery, "claim", stopped_meanwhile)
        running = asyncio.create_task(stopped.run_forever())
        while not arrived:  # the host is being sent to
            await asyncio.sleep(0.01)
        second = await send(fed, 2, host)  # passed over: its host is busy
        await wait_for_state(sessions, Delivery, first, {"delivered"})
        await asyncio.wait_for(running, 30)
        left = [t for t in asyncio.all_tasks() if "_send_to" in repr(t.get_coro())]
        async with sessions() as session:
            held = await session.scalar(select(Delivery.claim).where(Delivery.id == second))
        for task in left:  # as `harbour worker`'s event loop ends
            task.cancel()
        await asyncio.gather(*left, return_exceptions=True)
        assert (len(left), held) == (0, None)
