"""A worker holds a claim of inbox items while it applies them (`InboxApplier`): each host's
queue renews its own items' lease, never waiting for another host's; a queue that waits for
a slot past half its lease gives its items back (attack17), and so does one another worker
overtook (attack18)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from federation import jobs
from federation.inbox import InboxItem
from federation.inbox_apply import InboxApplier, _claimed_with_actor
from tests.federation.test_delivery import federation_with
from tests.federation.test_liveness import HOSTS, claimed_likes, queue_likes
from tests.federation.test_liveness import postgresql as postgresql  # the fixture

pytestmark = pytest.mark.anyio


async def always() -> bool:
    return True


async def test_a_hosts_renewal_never_waits_for_another_hosts_item_being_applied(
    postgresql: tuple[str, async_sessionmaker[AsyncSession]],
) -> None:
    """Renewing the whole claim waited for the row another host's item held while it was
    applied alone (its fetches up to 2 minutes): the claim's hosts went one at a time, and
    two renewals of one claim deadlocked."""
    _, sessions = postgresql
    await queue_likes(sessions, 1, "a.example")
    await queue_likes(sessions, 2, "b.example")
    fed = federation_with(sessions, httpx.MockTransport(lambda _: httpx.Response(202)), HOSTS)
    async with sessions() as session:
        slow, *others = await jobs.claim_due(session, InboxItem, 3)
    applier = InboxApplier(fed)
    async with sessions() as applying:  # a.example's item applied alone: its row held
        assert await _claimed_with_actor(applying, slow.id, str(slow.claim)) is not None
        async with asyncio.timeout(10):
            going_on = await applier._going_on(others, always, others, check=True)
        await applying.rollback()
    assert going_on == others


async def test_items_waiting_for_a_slot_past_half_their_lease_are_given_back(
    postgresql: tuple[str, async_sessionmaker[AsyncSession]],
) -> None:
    _, sessions = postgresql
    lease = timedelta(seconds=0.4)
    fed, items = await claimed_likes(sessions, 2, lease=lease)
    async with asyncio.timeout(10):  # every slot taken by other hosts' queues
        await InboxApplier(fed, lease).apply(items, asyncio.Semaphore(0))
    async with sessions() as session:
        rows = (await session.execute(select(InboxItem.state, InboxItem.claim))).all()
    assert [tuple(row) for row in rows] == [("queued", None)] * 2  # due again, anyone's


async def states(sessions: async_sessionmaker[AsyncSession]) -> list[tuple[str, bool]]:
    """Each inbox item's state, and whether it is claimed, in the order they came."""
    async with sessions() as session:
        rows = await session.execute(
            select(InboxItem.state, InboxItem.claim.is_not(None)).order_by(InboxItem.id)
        )
        return [(state, claimed) for state, claimed in rows]


async def test_a_queue_another_worker_overtook_gives_the_rest_back(
    postgresql: tuple[str, async_sessionmaker[AsyncSession]],
) -> None:
    """Its lease ran out during a step (an item alone, tried twice, then a liveness lock
    taken again: longer than the half lease ahead of it), another worker claimed the next
    two items, and this one renewed the last and applied it before them."""
    _, sessions = postgresql
    lease = timedelta(seconds=1)
    fed, items = await claimed_likes(sessions, 4, lease=lease)
    applier = InboxApplier(fed, lease)
    assert await applier.together(items[:1]) is None  # then a step outlasts what was left
    await asyncio.sleep(1.2)
    async with sessions() as session:  # the other worker; its claim's limit takes two
        await jobs.claim_due(session, InboxItem, 2, lease=jobs.LEASE)
    await applier.apply(items[1:], asyncio.Semaphore(1))
    assert await states(sessions) == [
        ("applied", False),
        ("queued", True),  # the other worker's
        ("queued", True),
        ("queued", False),  # given back: due after them, for whoever holds the host next
    ]


@pytest.mark.expect_failures(r"harbour.worker: applying 2 inbox items failed")
async def test_a_queue_whose_give_back_fails_leaves_the_others_going(
    postgresql: tuple[str, async_sessionmaker[AsyncSession]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """It failed the whole pass, and the claim's other queues went on running beside the
    next pass's (attack18)."""
    _, sessions = postgresql
    lease = timedelta(seconds=0.4)
    fed, items = await claimed_likes(sessions, 2, lease=lease)

    async def lost(*_: object) -> None:
        raise ConnectionError("the database went away")

    monkeypatch.setattr(jobs, "give_back", lost)
    async with asyncio.timeout(10):  # every slot taken: given back at half the lease
        await InboxApplier(fed, lease).apply(items, asyncio.Semaphore(0))
    assert await states(sessions) == [("queued", True)] * 2  # their lease runs out
