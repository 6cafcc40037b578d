"""A member's lists on the web: named on /home/lists, read at /home/lists/ID, in her
language, and nobody else's to read."""

from __future__ import annotations

import httpx
import pytest

from content import relationships, timeline_lists
from node.state import Services
from tests.node.conftest import BASE
from tests.rig import world

pytestmark = pytest.mark.anyio


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    signed = await client.post("/login", data={"username": username, "password": world.PASSWORD})
    assert signed.status_code == 303


async def test_a_member_reads_her_list_and_nobody_else_can(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        ada = await world.local_member(session, "ada", base_url=BASE)
        bea = await world.local_member(session, "bea", base_url=BASE)
        await world.local_member(session, "cy", base_url=BASE)
        await relationships.add_follow(session, ada, bea, uri=f"{BASE}/f/1", accepted=True)
        found = await timeline_lists.create(session, ada, "Night shift")
        await timeline_lists.add_members(session, found, ada, [bea.id])
        await world.post(session, bea, "Bea: the van comes at ten")
        await world.post(session, ada, "Ada's own post, not on the list")

    await sign_in(client, "ada")
    index = await client.get("/home/lists", headers={"accept-language": "ro"})
    assert "Listele tale" in index.text and f'href="/home/lists/{found.id}"' in index.text
    page = await client.get(f"/home/lists/{found.id}")
    assert "Night shift" in page.text and "the van comes at ten" in page.text
    assert "not on the list" not in page.text

    client.cookies.clear()
    await sign_in(client, "cy")
    assert (await client.get(f"/home/lists/{found.id}")).status_code == 404
    assert "Night shift" not in (await client.get("/home/lists")).text
