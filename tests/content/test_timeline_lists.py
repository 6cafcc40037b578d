"""Which lists a new post belongs on (what a `list` stream asks), by the list timeline's rules."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import posts, relationships, timeline_lists, timelines
from content.audience import Visibility
from tests.rig import world

pytestmark = pytest.mark.anyio


async def test_a_post_belongs_on_the_lists_that_would_show_it(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        bea = await world.local_member(session, "bea")
        cy = await world.local_member(session, "cy")
        for n, followed in enumerate((bea, cy)):
            uri = f"https://f/{n}"
            await relationships.add_follow(session, ada, followed, uri=uri, accepted=True)
        only_bea = await timeline_lists.create(session, ada, "Bea", replies_policy="list")
        no_replies = await timeline_lists.create(session, ada, "Quiet", replies_policy="none")
        followed = await timeline_lists.create(session, ada, "Wide", replies_policy="followed")
        for found in (only_bea, no_replies, followed):
            await timeline_lists.add_members(session, found, ada, [bea.id])
        news = await world.post(session, bea, "bea's news")
        to_cy = await world.post(session, cy, "cy asks")
        answer = posts.create_local(session, bea, "bea answers cy", in_reply_to=to_cy)
        direct = posts.create_local(
            session, bea, "bea to ada", visibility=Visibility.DIRECT, mentioned=[ada]
        )
        await session.flush()

        every = [only_bea.id, no_replies.id, followed.id]
        assert await timelines.lists_of_post(session, news) == {ada.id: every}
        assert await timelines.lists_of_post(session, answer) == {ada.id: [followed.id]}
        assert await timelines.lists_of_post(session, direct) == {}
        assert await timelines.lists_of_post(session, to_cy) == {}
        await relationships.remove_follow(session, ada, bea)
        assert await timelines.lists_of_post(session, news) == {}


async def test_lists_and_their_accounts_are_bounded(
    sessions: async_sessionmaker[AsyncSession], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(timeline_lists, "MAX_MEMBERS", 1)
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        bea = await world.local_member(session, "bea")
        cy = await world.local_member(session, "cy")
        for n in range(timeline_lists.MAX_LISTS):
            await timeline_lists.create(session, ada, f"list {n}")
        with pytest.raises(timeline_lists.ListError, match="50 lists already"):
            await timeline_lists.create(session, ada, "one more")
        with pytest.raises(timeline_lists.ListError, match="at most 100 characters"):
            await timeline_lists.create(session, bea, "x" * 101)
        [first, *_] = await timeline_lists.of_owner(session, ada)
        for n, followed in enumerate((bea, cy)):
            uri = f"https://f/{n}"
            await relationships.add_follow(session, ada, followed, uri=uri, accepted=True)
        await timeline_lists.add_members(session, first, ada, [bea.id])
        await timeline_lists.add_members(session, first, ada, [bea.id])  # again: no error
        with pytest.raises(timeline_lists.ListError, match="at most 500 accounts"):
            await timeline_lists.add_members(session, first, ada, [cy.id])
