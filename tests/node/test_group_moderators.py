"""Group moderators add another moderator from the group page; members cannot."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from moderation.audit import AuditEntry
from node.state import Services
from tests.node.test_directory_pages import sign_in
from tests.node.test_discussions import make_group
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def test_a_moderator_adds_another_from_the_group_page_and_members_cannot(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await make_group(services)
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "bea")
        await world.local_member(session, "cleo")
    await sign_in(client, "bea")
    answer = await client.post("/discussions/peers/moderators", data={"username": "cleo"})
    assert "only the group" in await world.notice_after(client, answer)
    await sign_in(client, "alice")  # the group's moderator
    page = (await client.get("/discussions/peers")).text
    assert 'action="/discussions/peers/moderators"' in page
    answer = await client.post("/discussions/peers/moderators", data={"username": "nobody"})
    assert "no member here with that nickname" in await world.notice_after(client, answer)
    answer = await client.post("/discussions/peers/moderators", data={"username": "@bea"})
    assert answer.status_code == 303
    assert "@bea" in (await client.get("/discussions/peers")).text.split("Moderated by")[1]
    async with services.sessions() as session:
        logged = list(await session.scalars(select(AuditEntry.action)))
    assert "group.moderator_add" in logged
    await sign_in(client, "bea")  # now she moderates it
    assert 'action="/discussions/peers/ban"' in (await client.get("/discussions/peers")).text
