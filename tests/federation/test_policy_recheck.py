"""The policy asked again for the hosts a worker is sending to (`PolicyRecheck`): a claim's
verdicts answer for RECHECK_SECONDS, then one query for them all sees a block made
meanwhile; a failed query leaves the claims' answers standing."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from federation import policy_recheck
from federation.policy_recheck import PolicyRecheck
from moderation import domain_blocks
from moderation.domain_blocks import BlockTerms
from tests.federation.test_delivery import federation_with

pytestmark = pytest.mark.anyio
HOSTS = [f"server{number}.example" for number in range(500)]


async def test_one_query_answers_every_host_and_a_block_is_seen_within_the_interval(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(policy_recheck, "RECHECK_SECONDS", 0.2)
    fed = federation_with(sessions, httpx.MockTransport(lambda _: httpx.Response(202)), [])
    recheck = PolicyRecheck(fed, lambda: HOSTS)
    statements: list[str] = []
    engine = sessions.kw["bind"].sync_engine
    listen = event.listens_for(engine, "before_cursor_execute")

    @listen
    def count(*args: object) -> None:
        statements.append(str(args[2]))

    try:
        recheck.told(HOSTS[:2], HOSTS[:1])  # what a claim has just read: nothing is asked
        assert (await recheck.allowed(HOSTS[0]), await recheck.allowed(HOSTS[1])) == (True, False)
        assert statements == []
        await asyncio.sleep(0.25)
        answers = await asyncio.gather(*(recheck.allowed(host) for host in HOSTS))
        assert all(answers)
        assert len(statements) <= 3  # the switches, the blocks (a session's own statements)
        asked = len(statements)
        assert await recheck.allowed(HOSTS[7])  # within the interval: nothing asked
        assert len(statements) == asked
        async with sessions() as session, session.begin():
            await domain_blocks.block(session, BlockTerms(HOSTS[7]))
        await asyncio.sleep(0.25)
        assert not await recheck.allowed(HOSTS[7])
        assert await recheck.allowed(HOSTS[8])
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.mark.expect_failures(r"the federation policy could not be asked again: down")
async def test_a_failed_query_leaves_the_claims_answers_standing(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    fed = federation_with(sessions, httpx.MockTransport(lambda _: httpx.Response(202)), [])

    async def down(*_: object) -> set[str]:
        raise OSError("down")

    monkeypatch.setattr(policy_recheck, "federating", down)
    assert await PolicyRecheck(fed, lambda: HOSTS).allowed(HOSTS[0])
