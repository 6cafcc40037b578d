"""Group commit: rows handed in together are committed together, each caller answered only
once its row is durable, and a bad row fails only its own caller."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content.orm import utcnow
from federation.group_commit import GroupCommit
from moderation.quarantine import KnownServer

pytestmark = pytest.mark.anyio


async def add_servers(session: AsyncSession, names: Sequence[str]) -> list[str]:
    """Adds a known server per name; a name with a space is refused (a bad row)."""
    if any(" " in name for name in names):
        raise ValueError("a bad row")
    session.add_all(KnownServer(domain=name, first_seen_at=utcnow()) for name in names)
    return [f"stored {name}" for name in names]


async def stored(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(KnownServer)) or 0)


async def test_rows_arriving_together_share_commits_and_each_is_answered(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    batches: list[int] = []

    async def counted(session: AsyncSession, names: Sequence[str]) -> list[str]:
        batches.append(len(names))
        return await add_servers(session, names)

    writes = GroupCommit(sessions, counted)
    names = [f"s{number}.example" for number in range(30)]
    answers = await asyncio.gather(*(writes.write(name) for name in names))
    assert answers == [f"stored {name}" for name in names]
    assert await stored(sessions) == 30
    assert len(batches) < 30 and sum(batches) == 30


async def test_a_bad_row_fails_only_its_own_caller(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    writes = GroupCommit(sessions, add_servers)
    names = ["a.example", "not a host", "b.example"]
    answers = await asyncio.gather(*(writes.write(name) for name in names), return_exceptions=True)
    assert answers[0] == "stored a.example" and answers[2] == "stored b.example"
    assert isinstance(answers[1], ValueError)
    assert await stored(sessions) == 2


async def test_a_quick_write_answers_its_batch_and_one_that_declines_sends_it_the_long_way(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async def quick(held: None, names: Sequence[str]) -> list[str] | None:
        """Stores a batch on its own session unless a name is left for the long way."""
        if any(name.startswith("long") for name in names):
            return None
        async with sessions() as session:
            answers = [f"quick {name}" for name in await add_servers(session, names)]
            await session.commit()
        return answers

    writes = GroupCommit(sessions, add_servers, quick)
    assert await writes.write("a.example") == "quick stored a.example"
    assert await writes.write("long.example") == "stored long.example"
    assert await stored(sessions) == 2
