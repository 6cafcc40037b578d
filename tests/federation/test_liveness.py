"""A worker's liveness on PostgreSQL (`federation.liveness`): what a dead worker claimed,
deliveries and inbox items alike, goes back once it has been dead for the grace; what a
live worker holds stays its own, a worker whose lock's connection was cut included; what a
worker may no longer start is given back, unsent. A killed worker's fan-out had waited out
its 5-minute lease; a cut worker's deliveries were given back at once and sent twice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from federation import delivery, jobs, liveness
from federation.context import Federation
from federation.delivery import Delivery
from federation.delivery_outcomes import Outcomes, Sent
from federation.inbox import InboxItem
from federation.inbox_apply import InboxApplier
from federation.transport import PostResult
from federation.worker import Worker
from node.database import create_engine, create_sessionmaker
from tests.federation.test_delivery import federation_with
from tests.federation.test_slow_hosts import remote_actor
from tests.rig import world
from tests.rig.databases import PostgresDatabases

pytestmark = pytest.mark.anyio
BASE = "https://harbour.test"
HOSTS = [f"s{n}.test" for n in range(3)]
GRACE = 1.0  # the real one (30 s) outlasts the transport's deadline
CUT_GRACE = 8.0  # longer than a cut and the lock taken again


@pytest.fixture
async def postgresql(
    postgresql_databases: PostgresDatabases,
) -> AsyncIterator[tuple[str, async_sessionmaker[AsyncSession]]]:
    url = postgresql_databases.create()
    engine = create_engine(url)
    yield url, create_sessionmaker(engine)
    await engine.dispose()
    postgresql_databases.drop(url)


async def holding(url: str, grace: float = GRACE) -> tuple[liveness.Liveness, asyncio.Task[None]]:
    """A liveness lock held, as a worker holds it while it lives."""
    alive = liveness.Liveness(url, grace=grace)
    task = asyncio.create_task(alive.hold())
    await until(lambda: alive.ready(alive.epoch) is True)
    return alive, task


async def lock_held(sessions: async_sessionmaker[AsyncSession], alive: liveness.Liveness) -> int:
    """The backend holding `alive`'s lock, or 0."""
    async with sessions() as session:
        found = await session.scalar(
            text(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = :locks"
                " AND objid = :number AND objsubid = 2 AND granted"
            ),
            {"locks": liveness.LOCKS, "number": alive.number},
        )
        return int(found or 0)


async def until(condition: Callable[[], bool | Awaitable[bool]], seconds: float = 10) -> None:
    async with asyncio.timeout(seconds):
        while not await _value(condition()):
            await asyncio.sleep(0.02)


async def _value(result: bool | Awaitable[bool]) -> bool:
    return await result if not isinstance(result, bool) else result


async def claims(sessions: async_sessionmaker[AsyncSession]) -> dict[str, str | None]:
    async with sessions() as session:
        rows = await session.execute(select(Delivery.host, Delivery.claim))
        return {host: claim for host, claim in rows}


async def queue_deliveries(sessions: async_sessionmaker[AsyncSession]) -> None:
    async with sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        activity = {"id": f"{BASE}/users/alice#creates/1", "type": "Create"}
        await delivery.enqueue(session, activity, alice.id, [f"https://{h}/inbox" for h in HOSTS])


async def queue_likes(
    sessions: async_sessionmaker[AsyncSession], count: int, host: str = "eve.example"
) -> None:
    """`count` Likes of eve's (of `host`) in the inbox."""
    async with sessions() as session, session.begin():
        eve = await remote_actor(session, host, "eve")
        for number in range(count):
            activity = {"id": f"https://{host}/{number}", "type": "Like", "actor": eve.uri}
            session.add(
                InboxItem(
                    activity_id=activity["id"],
                    activity_type="Like",
                    actor_id=eve.id,
                    body=json.dumps(activity),
                )
            )


async def claimed_likes(
    sessions: async_sessionmaker[AsyncSession], count: int, **claim: Any
) -> tuple[Federation, list[InboxItem]]:
    """`count` Likes of eve's in the inbox, claimed (`jobs.claim_due`), and a federation
    context to apply them in."""
    await queue_likes(sessions, count)
    fed = federation_with(sessions, httpx.MockTransport(lambda _: httpx.Response(202)), HOSTS)
    async with sessions() as session:
        return fed, await jobs.claim_due(session, InboxItem, count, **claim)


async def test_a_dead_workers_claims_go_back_after_the_grace_and_a_live_ones_stay(
    postgresql: tuple[str, async_sessionmaker[AsyncSession]],
) -> None:
    url, sessions = postgresql
    await queue_deliveries(sessions)
    await queue_likes(sessions, 1)
    (alive, living), (doomed, dying) = await holding(url), await holding(url)
    deaths: liveness.Deaths = {}

    async def release() -> int:
        async with sessions() as session:
            return await liveness.release_dead(session, deaths, InboxItem, Delivery, grace=GRACE)

    async with sessions() as session:
        kept = await delivery.claim(session, 2, owner=alive.owner)
        lost = await delivery.claim(session, 1, owner=doomed.owner)
        await jobs.claim_due(session, InboxItem, 1, owner=doomed.owner)
    assert await release() == 0  # both alive
    dying.cancel()  # its lock's connection closes, as a killed process's would
    await asyncio.gather(dying, return_exceptions=True)

    async def let_go() -> bool:  # once its backend has seen the connection close
        return await lock_held(sessions, doomed) == 0

    # Looked at before that (a loaded machine), the death was first seen a grace later.
    await until(let_go)
    assert await release() == 0  # dead, but only just: it may still be sending
    await asyncio.sleep(GRACE)
    assert await release() == 2
    held = await claims(sessions)
    assert {held[job.host] for job in kept} == {kept[0].claim}  # the live worker's, as claimed
    assert held[lost[0].host] is None
    async with sessions() as session:
        assert await session.scalar(select(InboxItem.claim)) is None
        again = await delivery.claim(session, 3)  # due again at once, not in 5 minutes
    assert [job.host for job in again] == [lost[0].host]
    assert deaths == {}  # forgotten once its claims are gone
    living.cancel()
    await asyncio.gather(living, return_exceptions=True)


@pytest.mark.expect_failures(r"liveness lock was lost")
async def test_a_worker_whose_lock_is_cut_keeps_its_claims_and_starts_nothing_meanwhile(
    postgresql: tuple[str, async_sessionmaker[AsyncSession]],
) -> None:
    url, sessions = postgresql
    await queue_deliveries(sessions)
    alive, living = await holding(url, CUT_GRACE)  # a cut of ~2 s is well within it
    owner, epoch = alive.owner, alive.epoch
    deaths: liveness.Deaths = {}

    async def release() -> int:
        async with sessions() as session:
            return await liveness.release_dead(session, deaths, Delivery, grace=CUT_GRACE)

    async with sessions() as session:
        kept = await delivery.claim(session, 3, owner=owner)
        backend = await lock_held(sessions, alive)
        await session.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
        await session.commit()
    await until(lambda: alive.ready(epoch) is None)  # no send starts while it is lost
    await until(lambda: _lock_is(sessions, alive, held=False))
    assert await release() == 0
    assert list(deaths) == [owner]  # seen dead
    await until(lambda: _lock_is(sessions, alive, held=True))  # taken again, same number
    assert await release() == 0
    assert deaths == {}  # seen alive: forgotten
    assert alive.ready(epoch) is None  # it goes on after HOLD_OFF, not at once
    await asyncio.sleep(CUT_GRACE)
    assert await release() == 0
    assert alive.owner == owner and alive.epoch == epoch  # what it claimed is still its own
    assert set((await claims(sessions)).values()) == {kept[0].claim}
    await until(lambda: alive.ready(epoch) is True, liveness.HOLD_OFF)
    living.cancel()
    await asyncio.gather(living, return_exceptions=True)


async def _lock_is(
    sessions: async_sessionmaker[AsyncSession], alive: liveness.Liveness, *, held: bool
) -> bool:
    return (await lock_held(sessions, alive) != 0) == held


async def test_a_workers_delivery_claims_carry_its_liveness(
    postgresql: tuple[str, async_sessionmaker[AsyncSession]],
) -> None:
    url, sessions = postgresql
    await queue_deliveries(sessions)
    answer = asyncio.Event()

    async def slow(_request: httpx.Request) -> httpx.Response:
        await answer.wait()
        return httpx.Response(202)

    worker = Worker(federation_with(sessions, httpx.MockTransport(slow), HOSTS), listen_to=url)
    running = asyncio.create_task(worker.run_forever())

    async def all_claimed() -> bool:
        return all((await claims(sessions)).values())

    try:
        await until(all_claimed)
        owners = {str(claim)[:9] for claim in (await claims(sessions)).values()}
        assert len(owners) == 1 and owners.pop().startswith(liveness.MARK)
    finally:
        answer.set()
        worker.stop()
        await running


async def test_after_a_cut_as_long_as_the_grace_what_was_claimed_before_is_left(
    postgresql: tuple[str, async_sessionmaker[AsyncSession]],
) -> None:
    url, sessions = postgresql
    alive, living = await holding(url, liveness.STALE_SECONDS + 0.5)
    epoch = alive.epoch
    living.cancel()  # its lock is gone, as long as another worker may give its claims back
    await asyncio.gather(living, return_exceptions=True)
    assert alive.ready(epoch) is None
    await asyncio.sleep(1.0)
    living = asyncio.create_task(alive.hold())
    await until(lambda: _lock_is(sessions, alive, held=True))
    assert alive.ready(epoch) is False  # never sent: another worker may have it now
    assert alive.epoch == epoch + 1 and alive.ready(alive.epoch) is None  # after HOLD_OFF
    living.cancel()
    await asyncio.gather(living, return_exceptions=True)


async def test_a_delivery_left_unsent_is_given_back_due_at_once_with_no_attempt_counted(
    postgresql: tuple[str, async_sessionmaker[AsyncSession]],
) -> None:
    _, sessions = postgresql
    await queue_deliveries(sessions)
    fed = federation_with(sessions, httpx.MockTransport(lambda _: httpx.Response(202)), HOSTS)
    async with sessions() as session:
        claimed = await delivery.claim(session, 3, owner=f"{liveness.MARK}00000001")
    left, *sent = claimed
    outcomes = Outcomes(fed)
    await outcomes.record(Sent(left.host, [left], [None], set()))
    await outcomes.record(Sent(sent[0].host, sent[:1], [PostResult(202)], set()))
    held = await claims(sessions)
    assert (held[left.host], held[sent[1].host]) == (None, sent[1].claim)
    async with sessions() as session:
        states = dict((await session.execute(select(Delivery.host, Delivery.state))).all())
        assert await session.scalar(select(Delivery.attempts).where(Delivery.id == left.id)) == 0
        again = await delivery.claim(session, 3)
    assert states == {left.host: "queued", sent[0].host: "delivered", sent[1].host: "queued"}
    assert [job.host for job in again] == [left.host]


async def test_inbox_items_a_worker_may_not_start_are_given_back_unapplied(
    postgresql: tuple[str, async_sessionmaker[AsyncSession]],
) -> None:
    _, sessions = postgresql
    fed, items = await claimed_likes(sessions, 2, owner=f"{liveness.MARK}00000001")

    async def never() -> bool:  # claimed before a long cut: maybe another worker's now
        return False

    await InboxApplier(fed).apply(items, asyncio.Semaphore(1), never)
    async with sessions() as session:
        rows = (await session.execute(select(InboxItem.state, InboxItem.claim))).all()
        again = await jobs.claim_due(session, InboxItem, 2)
    assert [tuple(row) for row in rows] == [("queued", None)] * 2
    assert len(again) == 2  # due again at once
