"""Post and follow counts are kept by the database as rows change, on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import account_stats, posts, relationships
from content.account_stats import Counts
from content.audience import Visibility
from content.posts import Post
from tests.rig import world

pytestmark = pytest.mark.anyio


async def test_counts_follow_every_way_posts_and_follows_change(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        bea = await world.local_member(session, "bea")
        assert await account_stats.counts(session, ada.id) == Counts()
        first = await world.post(session, ada, "one")
        await world.post(session, ada, "two", Visibility.UNLISTED)
        await world.post(session, ada, "three", Visibility.DIRECT)
        follow = await relationships.add_follow(session, bea, ada, uri="u1", accepted=False)
        assert (await account_stats.counts(session, ada.id)).followers == 0  # only pending
        await relationships.accept_follow(session, follow)
        await session.flush()
    async with sessions() as session:
        counts = await account_stats.counts(session, ada.id)
        assert (counts.posts, counts.open_posts, counts.followers) == (3, 2, 1)
        assert counts.last_post_at is not None
        assert await relationships.count_following(session, bea) == 1
        assert await posts.count_open_posts(session, ada) == 2
    async with sessions() as session, session.begin():
        await posts.delete_post(session, first)
        await session.execute(update(Post).values(visibility=Visibility.PRIVATE))  # in bulk
        await relationships.remove_follow(session, bea, ada)
    async with sessions() as session:
        counts = await account_stats.counts(session, ada.id)
        assert (counts.posts, counts.open_posts, counts.followers) == (2, 0, 0)
        assert await relationships.count_following(session, bea) == 0
    async with sessions() as session, session.begin():
        await session.execute(delete(Post))  # a bulk delete the ORM never sees row by row
    async with sessions() as session:
        assert (await account_stats.counts(session, ada.id)).posts == 0


async def test_concurrent_writers_lose_no_count(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")

    async def write(number: int) -> None:
        async with sessions() as session, session.begin():
            await world.post(session, ada, f"post {number}")
            await asyncio.sleep(0.01)  # hold the transaction open while the others write

    await asyncio.gather(*(write(number) for number in range(8)))
    async with sessions() as session:
        assert (await account_stats.counts(session, ada.id)).posts == 8
