"""The benchmark's bulk data builder, at small scale: its home timeline is the one a reader
would work out by hand from every row, page after page."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from benchmarks._timeline_data import READER, Shape, build
from content import timelines
from content.accounts import Account
from content.paging import Window
from content.posts import Mention, Post

pytestmark = pytest.mark.anyio
SMALL = Shape(
    posts=1000, accounts=60, local_accounts=10, servers=5, followed=20, follows_each=3,
    likes=100, boosts=30,
)  # fmt: skip


async def test_the_built_home_timeline_is_every_visible_post_newest_first(
    database_url: str, sessions: async_sessionmaker[AsyncSession]
) -> None:
    built = build(database_url, SMALL)

    async with sessions() as session:
        reader = await session.scalar(select(Account).where(Account.username == READER))
        assert reader is not None and reader.id == built.reader_id
        suspended = set(
            await session.scalars(select(Account.id).where(Account.suspended_at.is_not(None)))
        )
        mentioning = set(
            await session.scalars(select(Mention.post_id).where(Mention.account_id == reader.id))
        )
        expected = [
            post.id
            for post in await session.scalars(select(Post).order_by(Post.id.desc()))
            if post.account_id not in suspended
            and (
                post.account_id == reader.id
                or post.id in mentioning
                or (post.account_id in built.followed_ids and post.visibility != "direct")
            )
        ]
        seen: list[int] = []
        window = Window(limit=40)
        while page := await timelines.home(session, reader, window=window):
            seen += [entry.post.id for entry in page if entry.boosted_by is None]
            window = Window(limit=40, max_id=page[-1].id)

    assert len(expected) > 100
    assert seen == expected
    assert built.post_ids == sorted(set(built.post_ids))
