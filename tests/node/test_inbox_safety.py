"""Moderation made while a host's inbox batch applies (`federation.inbox_apply`), by an admin
in another connection, as a web process or the CLI would: a suspension's purge and a batch
that changed a follow both succeed (on PostgreSQL they deadlocked), an account suspended
while its batch applied keeps nothing of it, and a correction applied twice (its batch
rolled back and run again) costs its server one correction of its budget."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from sqlalchemy import delete, event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from content import accounts, relationships
from content.accounts import Account
from content.relationships import Follow
from federation import jobs, outbox, resolve
from federation.inbox import InboxItem
from moderation.domain_blocks import BlockTerms, block
from moderation.verdicts import PolicyGeneration
from node.database import driver_url
from node.moderating import AccountAction, act_on_account
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import alice_follows_eve, deliver, note_to_alice
from tests.node.test_inbox_batches import kept, worker_knowing_eve
from tests.rig.remote import FakeServer
from tests.rig.strict import inbox_outcome

pytestmark = pytest.mark.anyio
Admin = Callable[[AsyncSession], Awaitable[None]]


PAUSE = 5.0  # seconds the worker waits for the admin's change (`Moderator`)


class Moderator:
    """An admin's change made in a thread of its own, with its own engine, once the
    worker's engine runs a statement `when` picks: the worker waits PAUSE seconds for it
    there (long enough for a change that need not wait for the worker to commit first, or
    to reach the lock it waits on; 1.5 s was too short for a suspension in a CI run)."""

    def __init__(self, services: Services, change: Admin, when: Callable[[str], bool]) -> None:
        self.services, self.change, self.when = services, change, when
        self.armed, self.failed = True, list[BaseException]()
        self.done = threading.Event()
        self.done_in_pause = False
        self.thread = threading.Thread(target=self._run)

    def _run(self) -> None:
        try:
            asyncio.run(self._change())
        except BaseException as error:  # the test reports it
            self.failed.append(error)
        finally:
            self.done.set()

    async def _change(self) -> None:
        url = driver_url(self.services.settings.database_url, asynchronous=True)
        # On SQLite a change that waits for the batch's write lock waits out PAUSE too: more
        # than sqlite3's 5 s, which the worker never holds the lock for without the pause.
        waits = {"timeout": 60} if url.startswith("sqlite") else {}
        engine = create_async_engine(url, connect_args=waits)
        try:
            async with async_sessionmaker(engine, expire_on_commit=False)() as session:
                await self.change(session)
                await session.commit()
        finally:
            await engine.dispose()

    def _hook(self, connection: Any, cursor: Any, statement: str, *_: Any) -> None:
        if self.armed and self.when(statement):
            self.armed = False
            self.thread.start()
            self.done_in_pause = self.done.wait(PAUSE)

    async def during(self, worker_pass: Awaitable[int]) -> None:
        engine = self.services.engine.sync_engine
        event.listen(engine, "after_cursor_execute", self._hook)
        try:
            await worker_pass
        finally:
            event.remove(engine, "after_cursor_execute", self._hook)
        await asyncio.to_thread(self.done.wait, 60)
        assert not self.armed, "the worker never ran the statement"
        assert not self.failed, f"the admin's change failed: {self.failed!r}"


def eve_follows_alice() -> dict[str, str]:
    return {
        "id": f"{EVE}#follows/9",
        "type": "Follow",
        "actor": EVE,
        "object": f"{BASE}/users/alice",
    }


async def alice_has_no_follower(services: Services) -> bool:
    """Neither asked nor accepted."""
    async with services.sessions() as session:
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        asked = await relationships.pending_requests(session, alice)
        return not asked and await relationships.count_followers(session, alice) == 0


def accept_of_alices_follow() -> dict[str, object]:
    follow = {"id": f"{BASE}/f/1", "type": "Follow", "actor": f"{BASE}/users/alice"}
    return {
        "id": f"{EVE}#accepts/1",
        "type": "Accept",
        "actor": EVE,
        "object": {**follow, "object": EVE},
    }


def follow_changed(statement: str) -> bool:
    return statement.lstrip().upper().startswith("UPDATE FOLLOWS")


def policy_read(statement: str) -> bool:
    return statement.lstrip().upper().startswith("SELECT") and "policy_generation" in statement


async def test_a_suspension_and_a_batch_that_changed_a_follow_both_hold(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """The batch accepts alice's follow (its row updated) and is then held while an admin
    suspends eve's server. On PostgreSQL the suspension took the policy's row and waited for
    the follow's, the batch the other way round: one of them was aborted as a deadlock.
    Now both hold: the batch is applied, then purged by the suspension."""
    worker = await worker_knowing_eve(client, services)
    await alice_follows_eve(services, accepted=False)
    accept = accept_of_alices_follow()
    for activity in (note_to_alice(1), accept, note_to_alice(2)):
        assert (await deliver(client, activity)).status_code == 202

    async def suspend(session: AsyncSession) -> None:
        await block(session, BlockTerms(domain="remote.example"))

    started = time.monotonic()
    await Moderator(services, suspend, follow_changed).during(worker.run_once())
    assert time.monotonic() - started < 30
    assert await kept(services) == []
    async with services.sessions() as session:
        assert (await session.scalars(select(Follow))).all() == []
        for activity_id in (f"{EVE}/statuses/1/activity", accept["id"]):
            assert await inbox_outcome(session, str(activity_id)) == ("applied", None)


async def test_an_account_suspended_while_its_batch_applies_keeps_nothing_of_it(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """An admin suspends eve (her account, not her server) after the batch read the policy.
    If the suspension commits while the batch is held (SQLite: the batch has not written
    yet), the batch is applied again under it and nothing of it is kept (it was: account
    moderation did not move the policy's generation). On PostgreSQL the suspension waits
    for the batch, which held the generation, and comes after it."""
    worker = await worker_knowing_eve(client, services)
    for number in (1, 2, 3):
        assert (await deliver(client, note_to_alice(number))).status_code == 202

    async def suspend_eve(session: AsyncSession) -> None:
        moderator = await accounts.get_local(session, "alice")
        eve = await session.scalar(select(Account).where(Account.uri == EVE))
        assert moderator is not None and eve is not None
        await act_on_account(services.federation, session, moderator, eve, AccountAction.SUSPEND)

    moderator = Moderator(services, suspend_eve, policy_read)
    await moderator.during(worker.run_once())
    postgresql = services.settings.database_url.startswith("postgresql")
    assert moderator.done_in_pause is not postgresql
    async with services.sessions() as session:
        states = [
            (await inbox_outcome(session, f"{EVE}/statuses/{n}/activity"))[0] for n in (1, 2, 3)
        ]
    if moderator.done_in_pause:  # the suspension came first: nothing of the batch is kept
        assert await kept(services) == [f"{EVE}/statuses/0"]
        assert states == ["refused"] * 3
    else:  # the batch came first, whole
        assert states == ["applied"] * 3


async def test_a_member_blocking_an_account_while_its_batch_applies_keeps_no_follow(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """alice blocks eve once eve's batch has stored her follow of alice: the block ends
    follows both ways, and the batch's follow does not outlive it (on PostgreSQL the block
    did not see the follow not yet committed, and the batch then kept it)."""
    worker = await worker_knowing_eve(client, services)
    assert (await deliver(client, eve_follows_alice())).status_code == 202

    async def alice_blocks_eve(session: AsyncSession) -> None:
        alice = await accounts.get_local(session, "alice")
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        assert alice is not None and eve is not None
        await outbox.block(services.federation, session, alice, eve)

    def follow_stored(statement: str) -> bool:
        return statement.lstrip().upper().startswith("INSERT INTO FOLLOWS")

    await Moderator(services, alice_blocks_eve, follow_stored).during(worker.run_once())
    assert await alice_has_no_follower(services)


async def test_a_suspension_and_an_item_applied_alone_that_changed_a_follow_both_hold(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """As above for an item applied alone (its handler may fetch, so it does not hold the
    policy's generation from the start): its check does not wait for the suspension with
    the follow's row held; it rolls back, waits for it with nothing held, and is applied
    once more under it."""
    worker = await worker_knowing_eve(client, services)
    await alice_follows_eve(services, accepted=False)
    assert (await deliver(client, accept_of_alices_follow())).status_code == 202
    async with services.sessions() as session:
        [item] = await jobs.claim_due(session, InboxItem, 1)

    async def suspend(session: AsyncSession) -> None:
        await block(session, BlockTerms(domain="remote.example"))

    moderator = Moderator(services, suspend, follow_changed)
    await moderator.during(worker._applier.alone(item))
    postgresql = services.settings.database_url.startswith("postgresql")
    async with services.sessions() as session:
        assert (await session.scalars(select(Follow))).all() == []
        state, _ = await inbox_outcome(session, f"{EVE}#accepts/1")
    # SQLite: the suspension waits for the item's write lock and purges after its commit.
    assert state == ("refused" if postgresql else "applied")


async def test_the_first_policy_change_ever_waits_for_a_batch_too(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """On a node whose policy never changed there is no generation's row to hold: the
    batch makes it (generation 0), so a first suspension waits for the batch and purges
    after it. (Before, on PostgreSQL, the suspension's purge did not see the batch's posts,
    which it had not committed yet, and the batch's check found no row to wait for.)"""
    worker = await worker_knowing_eve(client, services)
    async with services.sessions() as session:
        await session.execute(delete(PolicyGeneration))
        await session.commit()
    for number in (1, 2):
        assert (await deliver(client, note_to_alice(number))).status_code == 202

    async def suspend(session: AsyncSession) -> None:
        await block(session, BlockTerms(domain="remote.example"))

    def note_stored(statement: str) -> bool:
        return statement.lstrip().upper().startswith("INSERT INTO POSTS")

    await Moderator(services, suspend, note_stored).during(worker.run_once())
    assert await kept(services) == []
