"""The home feed kept as posts are written shows what reading the posts themselves shows,
through every change that can happen after an entry was written."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import home_feed, interactions, posts, relationships, timeline_lists, timelines
from content.accounts import Account
from content.audience import Visibility
from content.home_feed import FEED_LENGTH, FeedEntry, HomeFeed
from content.interactions import Kind
from content.orm import utcnow
from content.paging import Window
from content.posts import Post
from tests.rig import world

pytestmark = pytest.mark.anyio
VISIBILITIES = list(Visibility)
PAGE = Window(limit=40)


async def _shown(session: AsyncSession, viewer: Account, **options: object) -> list[str]:
    entries = await timelines.home(session, viewer, **options)  # type: ignore[arg-type]
    return [f"{e.post.content_html} via {e.boosted_by and e.boosted_by.username}" for e in entries]


async def _read_from_posts(session: AsyncSession, viewer: Account, **options: object) -> list[str]:
    """What the timeline showed before feeds: read from the posts, with no feed at all."""
    await session.execute(delete(HomeFeed).where(HomeFeed.account_id == viewer.id))
    try:
        return await _shown(session, viewer, **options)
    finally:
        await home_feed.build_missing(session)


async def _same(session: AsyncSession, viewer: Account, **options: object) -> list[str]:
    await session.flush()
    assert await home_feed.floor_of(session, viewer.id) is not None  # the feed is read
    from_feed = await _shown(session, viewer, window=PAGE, **options)
    assert from_feed == await _read_from_posts(session, viewer, window=PAGE, **options)
    return from_feed


async def test_the_feed_shows_what_the_posts_show_through_every_change(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    chance = random.Random(7)
    async with sessions() as session, session.begin():
        ada, *others = [await world.local_member(session, n) for n in ("ada", "bea", "cy", "dee")]
        bea, cy, dee = others
        await relationships.add_follow(session, ada, bea, uri="https://f/1", accepted=True)
        await relationships.add_follow(session, ada, cy, uri="https://f/2", accepted=True)
        await relationships.add_follow(session, ada, dee, uri="https://f/3", accepted=False)
        written: list[Post] = []
        for number in range(60):
            author = chance.choice([ada, *others])
            mentioned = [ada] if chance.random() < 0.2 else []
            visibility = chance.choice(VISIBILITIES)
            post = posts.create_local(
                session, author, f"p{number}", visibility=visibility, mentioned=mentioned
            )
            written.append(post)
            await session.flush()
            if chance.random() < 0.3:
                booster = chance.choice(others)
                await interactions.add(session, booster, chance.choice(written), Kind.BOOST,
                                       uri=f"https://b/{number}")  # fmt: skip
        shown = await _same(session, ada)
        assert any("via bea" in line or "via cy" in line for line in shown)  # boosts are there

        await relationships.remove_follow(session, ada, bea)
        assert not any("via bea" in line for line in await _same(session, ada))
        await relationships.add_follow(session, ada, bea, uri="https://f/4", accepted=True)
        await relationships.add_follow(session, ada, dee, uri="https://f/3", accepted=True)
        await _same(session, ada)  # the follows bring their posts and boosts back
        await _same(session, ada, exclude_accounts={cy.id})  # her blocks and mutes
        listed = await timeline_lists.create(session, ada, "close", exclusive=True)
        await timeline_lists.add_members(session, listed, ada, [dee.id])
        await _same(session, ada)
        for moved in written[:30]:  # into a members-only group, after its entries were written
            moved.visibility = Visibility.MEMBERS
        await _same(session, ada)
        bea.suspended_at = utcnow()
        await _same(session, ada)
        await session.delete(written[-1])
        await interactions.remove_by_uri(session, cy, "https://b/59")
        for number in range(0, 60, 7):
            await interactions.remove_by_uri(session, chance.choice(others), f"https://b/{number}")
        await _same(session, ada)


async def _ada_following_bea(session: AsyncSession) -> tuple[Account, Account]:
    ada = await world.local_member(session, "ada")
    bea = await world.local_member(session, "bea")
    await relationships.add_follow(session, ada, bea, uri="https://f/1", accepted=True)
    return ada, bea


async def test_pages_below_a_trimmed_feed_are_read_from_the_posts_without_gaps(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    count = FEED_LENGTH + FEED_LENGTH // 5
    async with sessions() as session:
        async with session.begin():
            ada, bea = await _ada_following_bea(session)
            for number in range(count):
                posts.create_local(session, bea, f"p{number}", visibility=Visibility.PUBLIC)
        assert await home_feed.trim(session) == 2  # hers, and bea's of her own posts (commits)
        kept = await session.scalar(select(func.count()).where(FeedEntry.account_id == ada.id))
        assert kept == FEED_LENGTH
        assert (await home_feed.floor_of(session, ada.id) or 0) > 0

        seen: list[str] = []
        window = Window(limit=40)
        while page := await timelines.home(session, ada, window=window):
            seen += [entry.post.content_html for entry in page]
            window = Window(limit=40, max_id=page[-1].id)
        oldest = await timelines.home(session, ada, window=Window(limit=5, min_id=1))
    assert seen == [f"<p>p{number}</p>" for number in reversed(range(count))]
    assert [entry.post.content_html for entry in oldest] == seen[-5:]  # below the floor too


async def test_a_member_from_before_the_feeds_reads_the_posts_until_hers_is_built(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada, bea = await _ada_following_bea(session)
        for number in range(5):
            await world.post(session, bea if number % 2 else ada, f"p{number}")
        await session.execute(delete(HomeFeed))
        await session.execute(delete(FeedEntry))
        before = await _shown(session, ada)
        assert await home_feed.floor_of(session, ada.id) is None
        assert await home_feed.build_missing(session) == 2
        assert await home_feed.floor_of(session, ada.id) == 0
        assert await _shown(session, ada) == before
    assert before == [f"<p>p{number}</p> via None" for number in reversed(range(5))]


async def test_a_feed_built_while_her_page_was_read_shows_her_posts(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The worker builds her missing feed between the page's read (empty: no feed yet) and
    the floor's: the page shows her posts, not the empty read (as after an upgrade)."""
    async with sessions() as session, session.begin():
        ada, _bea = await _ada_following_bea(session)
        await world.post(session, ada, "first drop-in")
        await session.execute(delete(HomeFeed))
        await session.execute(delete(FeedEntry))
    floor_of = home_feed.floor_of

    async def built_meanwhile(session: AsyncSession, viewer_id: int) -> int | None:
        async with sessions() as worker, worker.begin():
            await home_feed.build_missing(worker)
        return await floor_of(session, viewer_id)

    monkeypatch.setattr(home_feed, "floor_of", built_meanwhile)
    async with sessions() as session:
        assert await _shown(session, ada) == ["<p>first drop-in</p> via None"]
