"""Quarantine of servers met for the first time, on a real database of each backend: what it
holds back, for how long, and who ends it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content.orm import utcnow
from moderation import allowlist, audit, domain_blocks, policy, quarantine
from moderation.domain_blocks import BlockTerms, Severity
from moderation.policy import FederationMode
from moderation.quarantine import KnownServer

NEW = "new.example"
OPEN = FederationMode.OPEN
pytestmark = pytest.mark.anyio


async def held(session: AsyncSession) -> list[str]:
    """The servers public places leave out for being in quarantine."""
    return list(await session.scalars((await policy.limited(session)).held))


async def test_a_new_server_is_held_back_until_admitted(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await quarantine.meet(session, NEW, days=7)
        assert await quarantine.is_quarantined(session, NEW)
        assert await policy.is_limited(session, NEW)  # follows wait for approval
        assert await held(session) == [NEW]  # out of public timelines
        assert not await policy.may_fetch_media_from(session, NEW, OPEN)
        assert [s.domain for s in await quarantine.quarantined(session)] == [NEW]

        assert await quarantine.admit(session, NEW, None)
        assert not await quarantine.admit(session, NEW, None)  # once is enough
        await session.commit()
    async with sessions() as session:
        assert not await quarantine.is_quarantined(session, NEW)
        assert not await policy.is_limited(session, NEW)
        assert await held(session) == []
        assert await policy.may_fetch_media_from(session, NEW, OPEN)
        entry, who = (await audit.recent(session))[0]
        assert (entry.action, entry.target, who) == (quarantine.ADMIT, NEW, audit.COMMAND_LINE)


async def test_quarantine_ends_by_itself_and_meeting_again_does_not_prolong_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await quarantine.meet(session, NEW, days=7)
        await session.execute(
            update(KnownServer).values(quarantined_until=utcnow() - timedelta(seconds=1))
        )
        await quarantine.meet(session, NEW, days=7)  # talks again: still its first date
        assert not await quarantine.is_quarantined(session, NEW)
        assert not await policy.is_limited(session, NEW)
        assert await quarantine.quarantined(session) == []


async def test_partners_and_servers_met_without_quarantine_are_never_held(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await quarantine.meet(session, "partner.example", days=7)
        await allowlist.allow(session, "partner.example")
        await quarantine.meet(session, "old.example", days=0)  # allowlist mode, or days off
        for host in ("partner.example", "old.example"):
            assert not await quarantine.is_quarantined(session, host)
            assert await policy.may_fetch_media_from(session, host, OPEN)
        assert await held(session) == []
        assert not await quarantine.admit(session, "old.example", None)


async def test_a_silenced_server_stays_limited_when_its_quarantine_ends(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        await quarantine.meet(session, NEW, days=7)
        await domain_blocks.block(session, BlockTerms(NEW, Severity.SILENCE))
        assert await quarantine.admit(session, NEW, None)
        assert await policy.is_limited(session, NEW)
        assert (await policy.limited(session)).domains == [NEW]  # silenced still
        assert await held(session) == []
