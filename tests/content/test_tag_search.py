"""Tag search: what a client's search box lists for the beginning of a tag."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import accounts, tag_search
from content.audience import Visibility
from tests.rig import world

pytestmark = pytest.mark.anyio


async def test_tag_search_finds_each_tag_in_use_by_its_beginning_once_in_order(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """What a client's search box lists for `#har`: tags, not posts, however many carry one."""
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        for _ in range(30):
            await world.post(session, ada, "#HarmReduction works #harbour")
        await world.post(session, ada, "#harm #hb #ha #har_ #Häfen #harmreduction2")
        await world.post(session, ada, " ".join(f"#x{number:02}" for number in range(25)))

    async with sessions() as session:
        found = await tag_search.tags_starting_with(session, "har", 20)
        assert found == ["har_", "harbour", "harm", "harmreduction", "harmreduction2"]
        assert await tag_search.tags_starting_with(session, "harm", 20) == [
            "harm",
            "harmreduction",
            "harmreduction2",
        ]
        assert await tag_search.tags_starting_with(session, "h", 3) == ["ha", "har_", "harbour"]
        assert await tag_search.tags_starting_with(session, "hä", 20) == ["häfen"]
        assert await tag_search.tags_starting_with(session, "x", 20) == [
            f"x{n:02}" for n in range(20)
        ]
        assert await tag_search.tags_starting_with(session, "zzz", 20) == []


async def test_tags_only_private_posts_or_suspended_accounts_carry_are_never_listed(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A tag's name can say what a direct message is about: it is listed only once an open
    post of a live account carries it."""
    async with sessions() as session, session.begin():
        ada = await world.local_member(session, "ada")
        eve = await world.local_member(session, "eve")
        await world.post(session, ada, "#clinicfriday is open", Visibility.PUBLIC)
        await world.post(session, ada, "#clinicquiet times", Visibility.UNLISTED)
        for level in (Visibility.PRIVATE, Visibility.DIRECT, Visibility.LOCAL):
            await world.post(session, ada, f"#clinic{level} #clinicfriday", level)
        await world.post(session, eve, "#clinicraid tonight", Visibility.PUBLIC)
        accounts.suspend(eve)

    async with sessions() as session:
        found = await tag_search.tags_starting_with(session, "clinic", 20)
        assert found == ["clinicfriday", "clinicquiet"]
        assert await tag_search.tags_starting_with(session, "clinicp", 20) == []
        assert await tag_search.tags_starting_with(session, "clinic", 1) == ["clinicfriday"]


async def test_a_prefix_at_the_edges_of_unicode_finds_nothing_rather_than_failing(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session, session.begin():
        await world.post(session, await world.local_member(session, "ada"), "#a #\ud7fb")
    async with sessions() as session:
        for prefix in ("", "\U0010ffff", "a\U0010ffff", "\ud7ff", "\ud7fb\U0010ffff"):
            assert await tag_search.tags_starting_with(session, prefix, 20) == []
        assert await tag_search.tags_starting_with(session, "a", 0) == []
        assert await tag_search.tags_starting_with(session, "\ud7fb", 20) == ["\ud7fb"]
