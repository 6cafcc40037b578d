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


async def test_members_read_local_only_and_public_posts_together_newest_first(
    client: httpx.AsyncClient, services: Services
) -> None:
    """The local timeline reads each visibility apart along its index, then merges them."""
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        levels = [Visibility.PUBLIC, Visibility.LOCAL, Visibility.LOCAL, Visibility.PUBLIC]
        for number, level in enumerate(levels * 2):
            await world.post(session, alice, f"post {number}", level)
        token = await world.bearer_token(session, alice)
    reader = {"Authorization": f"Bearer {token}"}

    def texts(page: httpx.Response) -> list[str]:
        return [status["content"] for status in page.json()]

    params = {"local": "true", "limit": "5"}
    first = await client.get("/api/v1/timelines/public", params=params, headers=reader)
    assert texts(first) == [f"<p>post {n}</p>" for n in (7, 6, 5, 4, 3)]
    older = {**params, "max_id": first.json()[-1]["id"]}
    second = await client.get("/api/v1/timelines/public", params=older, headers=reader)
    assert texts(second) == [f"<p>post {n}</p>" for n in (2, 1, 0)]
    guest = await client.get("/api/v1/timelines/public", params=params)
    assert texts(guest) == [f"<p>post {n}</p>" for n in (7, 4, 3, 0)]
