"""The policy asked again for the hosts a worker is sending to (`PolicyRecheck`): a claim's
verdicts answer for RECHECK_SECONDS, then one query for them all sees a block made
meanwhile, and an account suspended meanwhile is sent only take-backs; a failed query
leaves the claims' answers standing."""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import Callable
from types import SimpleNamespace

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from activitypub import ActorType
from activitypub.actors import Actor, PublicKey
from content import accounts
from content.orm import utcnow
from federation import policy_recheck
from federation.delivery import Claimed
from federation.policy_recheck import PolicyRecheck
from moderation import domain_blocks, verdicts
from moderation.domain_blocks import BlockTerms
from moderation.policy import federating
from tests.federation.test_delivery import federation_with
from tests.rig.keys import keypair_for_tests

pytestmark = pytest.mark.anyio
HOSTS = [f"server{number}.example" for number in range(500)]


NUMBERS = itertools.count(1)


def to(
    host: str, inbox: str = "", kind: str = "Create", addressed: tuple[str, ...] = ()
) -> Claimed:
    """A claimed delivery of a `kind` activity to `inbox` (the host's shared one if none),
    addressed to those `addressed`."""
    activity = {"type": kind, "id": f"https://here.example/{kind}", "to": list(addressed)}
    body = json.dumps(activity).encode()
    inbox = inbox or f"https://{host}/inbox"
    return Claimed(next(NUMBERS), inbox, host, 1, "c", body, 0, utcnow())


def sending(hosts: list[str]) -> dict[str, list[Claimed]]:
    """Queues being sent to `hosts` (what they hold matters only for withholding)."""
    return {host: [] for host in hosts}


class Clock:
    """The recheck's monotonic clock, moved on by the test: how old a verdict is depends
    on the test's steps, not on how long a loaded machine takes over a query."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now

    def wait(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(policy_recheck, "time", SimpleNamespace(monotonic=clock.monotonic))
    return clock


async def test_one_query_answers_every_host_and_a_block_is_seen_within_the_interval(
    sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    fed = federation_with(sessions, httpx.MockTransport(lambda _: httpx.Response(202)), [])
    recheck = PolicyRecheck(fed, sending(HOSTS))
    statements: list[str] = []
    engine = sessions.kw["bind"].sync_engine
    listen = event.listens_for(engine, "before_cursor_execute")

    @listen
    def count(*args: object) -> None:
        statements.append(str(args[2]))

    try:
        recheck.told(HOSTS[:2], HOSTS[:1], 0)  # what a claim has just read: nothing is asked
        assert (await recheck.allows(to(HOSTS[0])), await recheck.allows(to(HOSTS[1]))) == (
            True,
            False,
        )
        assert statements == []
        clock.wait(policy_recheck.RECHECK_SECONDS)
        answers = await asyncio.gather(*(recheck.allows(to(host)) for host in HOSTS))
        assert all(answers)
        # The switches, the blocks, the suspended inboxes (and a session's own statements).
        assert len(statements) <= 4
        asked = len(statements)
        assert await recheck.allows(to(HOSTS[7]))  # within the interval: nothing asked
        assert len(statements) == asked
        async with sessions() as session, session.begin():
            await domain_blocks.block(session, BlockTerms(HOSTS[7]))
        assert await recheck.allows(to(HOSTS[7]))  # within the interval: not yet seen
        clock.wait(policy_recheck.RECHECK_SECONDS)
        assert not await recheck.allows(to(HOSTS[7]))
        assert await recheck.allows(to(HOSTS[8]))
    finally:
        event.remove(engine, "before_cursor_execute", count)


async def test_a_query_slower_than_the_interval_answers_the_sends_that_waited_for_it(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On a database slower than RECHECK_SECONDS, every send asked again for as long as it
    stayed that slow, and none went."""
    fed = federation_with(sessions, httpx.MockTransport(lambda _: httpx.Response(202)), [])
    asked: list[set[str]] = []

    async def slow(session: AsyncSession, hosts: set[str], mode: object) -> set[str]:
        asked.append(set(hosts))
        clock.wait(2 * policy_recheck.RECHECK_SECONDS)
        return await federating(session, hosts, mode)

    monkeypatch.setattr(policy_recheck, "federating", slow)
    recheck = PolicyRecheck(fed, sending(HOSTS))
    async with asyncio.timeout(30):  # the old code asked forever
        answers = await asyncio.gather(*(recheck.allows(to(host)) for host in HOSTS))
    assert all(answers)
    assert asked == [set(HOSTS)]


@pytest.mark.expect_failures(r"the federation policy could not be asked again: down")
async def test_a_failed_query_leaves_the_claims_answers_standing(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    fed = federation_with(sessions, httpx.MockTransport(lambda _: httpx.Response(202)), [])

    async def down(*_: object) -> set[str]:
        raise OSError("down")

    monkeypatch.setattr(policy_recheck, "federating", down)
    assert await PolicyRecheck(fed, sending(HOSTS)).allows(to(HOSTS[0]))


@pytest.mark.expect_failures(r"the federation policy could not be asked again: down")
async def test_a_block_read_stands_when_the_look_at_withholding_fails(
    sessions: async_sessionmaker[AsyncSession], clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The policy's answer and the look at withheld deliveries were one try: when the look
    failed, a block just read was thrown away and the send went on the claim's answer."""
    fed = federation_with(sessions, httpx.MockTransport(lambda _: httpx.Response(202)), [])

    async def down(*_: object) -> set[int]:
        raise OSError("down")

    monkeypatch.setattr(policy_recheck.withholding, "withheld", down)
    recheck = PolicyRecheck(fed, {HOSTS[9]: [to(HOSTS[9])], HOSTS[10]: []})
    recheck.told([HOSTS[9], HOSTS[10]], [HOSTS[9], HOSTS[10]], -1)  # looked at long ago
    async with sessions() as session, session.begin():
        await domain_blocks.block(session, BlockTerms(HOSTS[9]))
    clock.wait(policy_recheck.RECHECK_SECONDS)
    assert (await recheck.allows(to(HOSTS[9])), await recheck.allows(to(HOSTS[10]))) == (
        False,
        True,
    )


async def test_an_account_suspended_since_the_claim_is_sent_take_backs_only(
    sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    fed = federation_with(sessions, httpx.MockTransport(lambda _: httpx.Response(202)), [])
    host, inbox = HOSTS[3], f"https://{HOSTS[3]}/users/mallory/inbox"
    async with sessions() as session, session.begin():
        uri = f"https://{host}/users/mallory"
        key = PublicKey(id=f"{uri}#main-key", owner=uri, pem=keypair_for_tests(3).public_pem)
        actor = Actor(uri, ActorType.PERSON, "mallory", inbox, None, key)
        mallory = await accounts.upsert_remote(session, actor, host)
    jobs = {
        "Create": to(host, inbox),
        "Announce": to(host, inbox, "Announce"),
        "Delete": to(host, inbox, "Delete"),
        "Reject": to(host, inbox, "Reject"),
        "for others there": to(host),  # her server's shared inbox
        "bob's": to(host, f"https://{host}/users/bob/inbox"),
        # Through her server's shared inbox: a direct message to her alone is withheld; one
        # to her and another, or a post to followers naming her, goes.
        "to her alone": to(host, addressed=(uri,)),
        "to her and bob": to(host, addressed=(uri, f"https://{host}/users/bob")),
        "to followers": to(host, addressed=(uri, "https://here.example/followers")),
    }
    queues = sending(HOSTS) | {host: list(jobs.values())}
    recheck = PolicyRecheck(fed, queues)
    async with sessions() as session:
        recheck.told(HOSTS, HOSTS, await verdicts.generation(session))
    assert await recheck.allows(jobs["Create"])
    async with sessions() as session, session.begin():
        accounts.suspend(await session.merge(mallory))
    assert await recheck.allows(jobs["Create"])  # within the interval: nothing asked
    clock.wait(policy_recheck.RECHECK_SECONDS)
    allowed = {name: await recheck.allows(job) for name, job in jobs.items()}
    assert allowed == {
        "Create": False,
        "Announce": False,
        "Delete": True,
        "Reject": True,
        "for others there": True,
        "bob's": True,
        "to her alone": False,
        "to her and bob": True,
        "to followers": True,
    }


async def test_a_queue_looked_at_before_a_suspension_and_started_after_it_is_looked_at_again(
    sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> None:
    """A claim looks at its deliveries, a suspension commits, a query for another host's
    sends runs, and only then does the claim's queue start: it is looked at again (one
    generation for all queues marked it looked at, attack15). Once the suspension is
    lifted, a delivery withheld and claimed again goes."""
    fed = federation_with(sessions, httpx.MockTransport(lambda _: httpx.Response(202)), [])
    host, inbox = HOSTS[5], f"https://{HOSTS[5]}/users/mallory/inbox"
    uri = f"https://{host}/users/mallory"
    async with sessions() as session, session.begin():
        key = PublicKey(id=f"{uri}#main-key", owner=uri, pem=keypair_for_tests(3).public_pem)
        actor = Actor(uri, ActorType.PERSON, "mallory", inbox, None, key)
        mallory = await accounts.upsert_remote(session, actor, host)
    other = to(HOSTS[6])
    queues = {HOSTS[6]: [other]}
    recheck = PolicyRecheck(fed, queues)

    async def moderate(change: Callable[[accounts.Account], None]) -> int:
        async with sessions() as session, session.begin():
            change(await session.merge(mallory))
        async with sessions() as session:
            return await verdicts.generation(session)

    async with sessions() as session:
        recheck.told([HOSTS[6], host], [HOSTS[6], host], await verdicts.generation(session))
    await moderate(accounts.suspend)
    clock.wait(policy_recheck.RECHECK_SECONDS)
    assert await recheck.allows(other)  # a query, before the claim's queue started
    job = to(host, inbox)
    queues[host] = [job]
    clock.wait(policy_recheck.RECHECK_SECONDS)
    assert not await recheck.allows(job)
    generation = await moderate(accounts.unsuspend)
    recheck.told([host], [host], generation)  # claimed again
    assert await recheck.allows(job)
