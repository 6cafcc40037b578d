"""The home timeline: who sees which posts, newest first, page by page."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import accounts, posts, relationships, timelines
from content.accounts import Account
from content.audience import Visibility
from content.orm import utcnow
from content.paging import Window
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def _texts(session: AsyncSession, viewer: Account, **options: object) -> list[str]:
    entries = await timelines.home(session, viewer, **options)  # type: ignore[arg-type]
    return [entry.post.content_html for entry in entries]


async def test_home_shows_own_followed_and_mentioning_posts_newest_first(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        bea = await world.local_member(session, "bea")
        cy = await world.local_member(session, "cy")
        dee = await world.local_member(session, "dee")
        await relationships.add_follow(session, ada, bea, uri="https://f/1", accepted=True)
        await relationships.add_follow(session, ada, dee, uri="https://f/2", accepted=False)
        await world.post(session, ada, "mine, followers only", Visibility.PRIVATE)
        await world.post(session, bea, "bea public")
        await world.post(session, bea, "bea to followers", Visibility.PRIVATE)
        await world.post(session, bea, "bea direct to cy", Visibility.DIRECT)
        await world.post(session, cy, "cy public, not followed")
        posts.create_local(session, cy, "cy direct to ada", visibility=Visibility.DIRECT,
                           mentioned=[ada])  # fmt: skip
        await world.post(session, dee, "dee public, follow pending")
        await session.flush()

        assert await _texts(session, ada) == [
            "<p>cy direct to ada</p>",
            "<p>bea to followers</p>",
            "<p>bea public</p>",
            "<p>mine, followers only</p>",
        ]
        assert await _texts(session, ada, exclude_accounts={cy.id}) == [
            "<p>bea to followers</p>",
            "<p>bea public</p>",
            "<p>mine, followers only</p>",
        ]
        bea.suspended_at = utcnow()
        await session.flush()
        assert await _texts(session, ada) == [
            "<p>cy direct to ada</p>",
            "<p>mine, followers only</p>",
        ]


async def test_home_pages_go_back_in_time_without_gaps(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        bea = await world.local_member(session, "bea")
        await relationships.add_follow(session, ada, bea, uri="https://f/1", accepted=True)
        for number in range(7):
            await world.post(session, bea if number % 2 else ada, f"post {number}")
        everything = await _texts(session, ada, window=Window(limit=40))
        first = await timelines.home(session, ada, window=Window(limit=3))
        older = await timelines.home(session, ada, window=Window(limit=3, max_id=first[-1].post.id))
        newer = await timelines.home(session, ada, window=Window(limit=2, min_id=older[0].post.id))

    assert everything == [f"<p>post {number}</p>" for number in reversed(range(7))]
    assert [e.post.content_html for e in first + older] == everything[:6]
    assert [e.post.content_html for e in newer] == everything[1:3]


@pytest.mark.anyio
async def test_a_hidden_domain_takes_its_sub_domains_along(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        for host in ("social.hostile.example:8443", "hostile.example", "nothostile.example"):
            uri = f"https://{host}/users/x"
            server = FakeServer()
            author = await accounts.upsert_remote(
                session, server.add_actor(uri, keypair_for_tests(3), "x"), host
            )
            posts.store_remote(
                session, author, uri=f"{uri}/1", url=None, content_html=f"<p>{host}</p>",
                visibility=Visibility.PUBLIC, created_at=utcnow(),
            )  # fmt: skip
        await session.flush()
        shown = await timelines.public(
            session, local_only=False, viewer_is_local=True, exclude_domains=["hostile.example"]
        )
    assert [entry.author.domain for entry in shown] == ["nothostile.example"]
