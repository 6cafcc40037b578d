"""Tag search: what a client's search box lists for the beginning of a tag."""

from __future__ import annotations

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import tag_search
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
