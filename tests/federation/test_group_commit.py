"""Group commit: rows handed in together are committed together, each caller answered only
once its row is durable, and a bad row fails only its own caller."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession, async_sessionmaker

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


async def test_a_quick_write_holds_one_connection_while_batches_keep_coming(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """One connection for a run of batches; after a batch failed (its rows then each the long
    way), a fresh one for what waits."""
    engine = sessions.kw["bind"]
    holds: list[AsyncConnection] = []
    handed_in: list[asyncio.Future[str]] = []

    @asynccontextmanager
    async def hold() -> AsyncIterator[AsyncConnection]:
        async with engine.connect() as connection:
            holds.append(connection)
            yield connection

    def hand_in(name: str) -> None:
        """A request arriving while a batch is written: it waits for the next batch."""
        handed_in.append(asyncio.ensure_future(writes.write(name)))

    async def quick(connection: AsyncConnection, names: Sequence[str]) -> list[str]:
        if names == ["first.example"]:
            hand_in("second.example")
        if "not a host" in names:
            hand_in("after.example")
            raise ValueError("a bad row")
        rows = [{"domain": name, "first_seen_at": utcnow()} for name in names]
        await connection.execute(insert(KnownServer), rows)
        await connection.commit()
        return [f"quick {name}" for name in names]

    writes = GroupCommit(sessions, add_servers, quick, hold=hold)
    assert await writes.write("first.example") == "quick first.example"
    assert await handed_in.pop() == "quick second.example"
    assert len(holds) == 1  # two batches, one connection

    answers = await asyncio.gather(
        writes.write("a.example"), writes.write("not a host"), return_exceptions=True
    )
    assert answers[0] == "stored a.example" and isinstance(answers[1], ValueError)
    assert await handed_in.pop() == "quick after.example"
    assert len(holds) == 3 and holds[1] is not holds[2]  # a fresh one after the failure
    assert await stored(sessions) == 4


async def test_rows_go_the_long_way_when_no_connection_can_be_held(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    @asynccontextmanager
    async def hold() -> AsyncIterator[None]:
        raise ConnectionError("the database is away")
        yield

    async def quick(held: None, names: Sequence[str]) -> list[str]:
        raise AssertionError("never asked without a connection")

    writes = GroupCommit(sessions, add_servers, quick, hold=hold)
    answers = await asyncio.gather(writes.write("a.example"), writes.write("b.example"))
    assert list(answers) == ["stored a.example", "stored b.example"]
    assert await stored(sessions) == 2
