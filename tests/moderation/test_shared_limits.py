"""The members' rate limits on PostgreSQL are one set of buckets for every process of a node:
what two limiters (two processes) spend adds up, refills and is given back as in one."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from moderation.rate_limits import LIMITS, Action, Limit, RateLimited, RateLimiter
from moderation.shared_limits import RateBucket
from node.database import create_engine, create_sessionmaker
from tests.rig.databases import PostgresDatabases

pytestmark = pytest.mark.anyio
SMALL = {**LIMITS, Action.LOGIN: Limit(burst=4, seconds=3600), Action.POST: Limit(2, 0.5)}


@pytest.fixture
async def sessions(
    postgresql_databases: PostgresDatabases,
) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    url = postgresql_databases.create()
    engine = create_engine(url)
    yield create_sessionmaker(engine)
    await engine.dispose()
    postgresql_databases.drop(url)


def two_processes(sessions: async_sessionmaker[AsyncSession]) -> list[RateLimiter]:
    return [RateLimiter(SMALL, shared=sessions) for _ in range(2)]


async def test_attempts_split_between_processes_add_up(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first, second = two_processes(sessions)
    for limiter in (first, second, first, second):
        await limiter.take(Action.LOGIN, "alice")
    for limiter in (first, second):
        with pytest.raises(RateLimited) as refused:
            await limiter.take(Action.LOGIN, "alice")
        assert 890 < refused.value.retry_after <= 900  # a token every 15 minutes
    await second.take(Action.LOGIN, "bob")  # another nickname has its own bucket
    await first.give_back(Action.LOGIN, "alice")
    await second.take(Action.LOGIN, "alice")


async def test_concurrent_attempts_never_take_more_than_the_burst(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    limiters = two_processes(sessions)

    async def attempt(n: int) -> bool:
        try:
            await limiters[n % 2].take(Action.LOGIN, "alice")
            return True
        except RateLimited:
            return False

    taken = await asyncio.gather(*(attempt(n) for n in range(12)))
    assert sum(taken) == 4


async def test_buckets_refill_and_full_ones_are_forgotten(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first, second = two_processes(sessions)
    await first.take(Action.POST, "7")
    await second.take(Action.POST, "7")
    with pytest.raises(RateLimited):
        await first.take(Action.POST, "7")
    await first.take(Action.LOGIN, "alice")
    await asyncio.sleep(0.3)  # a post's token every 0.25 s
    await second.take(Action.POST, "7")
    await asyncio.sleep(0.6)  # full again
    await first.forget_full()
    async with sessions() as session:
        left = await session.scalars(select(RateBucket.action))
        assert list(left) == [Action.LOGIN]  # refilling for an hour yet


async def test_the_hot_path_limits_stay_in_memory(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    first, second = two_processes(sessions)
    await first.take(Action.KEY, "https://remote.example/key")
    with pytest.raises(RateLimited):
        await first.take(Action.KEY, "https://remote.example/key")
    await second.take(Action.KEY, "https://remote.example/key")  # its own bucket
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(RateBucket)) == 0
