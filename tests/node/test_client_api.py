"""Client API rules that need no client: who may see what without a token."""

from __future__ import annotations

import httpx
import pytest

from content.audience import Visibility
from node.state import Services
from tests.node.conftest import BASE
from tests.rig import world

pytestmark = pytest.mark.anyio


async def test_logged_out_readers_see_public_posts_but_never_local_only_ones(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        await world.post(session, alice, "for everyone")
        hidden = await world.post(session, alice, "for this node only", Visibility.LOCAL)
    timeline = await client.get("/api/v1/timelines/public", params={"local": "true"})
    assert [s["content"] for s in timeline.json()] == ["<p>for everyone</p>"]
    assert (await client.get(f"/api/v1/statuses/{hidden.id}")).status_code == 404
    missing = await client.get("/api/v1/timelines/home")
    assert missing.status_code == 401
    assert missing.json() == {"error": "The access token is invalid"}
