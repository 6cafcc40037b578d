"""A worker process wakes when another process queues work on PostgreSQL (LISTEN/NOTIFY),
only once that work is committed, and listens again after its connection was cut."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import kept_connection
from federation import jobs, wakeups
from node.database import create_engine, create_sessionmaker

pytestmark = pytest.mark.anyio


@pytest.fixture
async def sessions(postgres: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = create_engine(postgres)
    yield create_sessionmaker(engine)
    await engine.dispose()


async def listening(postgres: str, wakeup: asyncio.Event) -> asyncio.Task[None]:
    """A listener started and past its first (catch-up) wake-up."""
    task = asyncio.create_task(wakeups.listen(postgres, wakeup))
    await asyncio.wait_for(wakeup.wait(), 5)
    wakeup.clear()
    return task


async def stop(task: asyncio.Task[None]) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_a_worker_wakes_when_the_work_is_committed_not_before(
    postgres: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    wakeup = asyncio.Event()
    task = await listening(postgres, wakeup)
    try:
        async with sessions() as session:
            await jobs.announce(session)
            await asyncio.sleep(0.3)
            assert not wakeup.is_set()  # still in the transaction
            await session.commit()
        await asyncio.wait_for(wakeup.wait(), 2)
        wakeup.clear()
        async with sessions() as session:
            await jobs.announce(session)
            await session.rollback()
        await asyncio.sleep(0.3)
        assert not wakeup.is_set()  # work rolled back wakes nobody
    finally:
        await stop(task)


@pytest.mark.expect_failures(r"listening for new jobs failed \(\w+\)")
async def test_a_cut_connection_is_listened_on_again(
    postgres: str, sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(kept_connection, "FIRST_RETRY", 0.05)
    wakeup = asyncio.Event()
    task = await listening(postgres, wakeup)
    try:
        name = postgres.rpartition("/")[2]
        async with await psycopg.AsyncConnection.connect(postgres, autocommit=True) as admin:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE datname = %s AND query LIKE 'LISTEN%%'",
                (name,),
            )
        await asyncio.wait_for(wakeup.wait(), 5)  # listening again, and catching up
        wakeup.clear()
        async with sessions() as session:
            await jobs.announce(session)
            await session.commit()
        await asyncio.wait_for(wakeup.wait(), 2)
        async with sessions() as session:  # one listener again, not two
            listeners = await session.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                )
            )
        assert listeners == 1
    finally:
        await stop(task)
