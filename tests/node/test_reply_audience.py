"""A reply takes its parent's visibility by default and is never wider than it: from the
web reply form, the client API, and another server alike."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from content import accounts, relationships
from content.audience import Visibility
from content.posts import Post
from federation.delivery import Delivery
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


async def alices_post(services: Services, visibility: Visibility) -> Post:
    """A post of alice's that bob, who follows her, can read and answer."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        bob = await accounts.get_local(session, "bob") or await world.local_member(session, "bob")
        assert alice is not None
        if await relationships.find_follow(session, bob, alice) is None:
            await relationships.add_follow(session, bob, alice, uri=f"{BASE}/f/b", accepted=True)
        return await world.post(session, alice, "where is the clinic?", visibility)


async def replies(services: Services, parent: Post) -> list[str]:
    async with services.sessions() as session:
        rows = await session.scalars(
            select(Post.visibility).where(Post.in_reply_to_uri == parent.uri).order_by(Post.id)
        )
        return list(rows)


async def test_a_web_reply_is_never_wider_than_its_parent(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    followers_only = await alices_post(services, Visibility.PRIVATE)
    signed = await client.post("/login", data={"username": "bob", "password": world.PASSWORD})
    assert signed.status_code == 303
    home = await client.get("/home")
    assert f'name="in_reply_to" value="{followers_only.id}"' in home.text
    for asked in ({}, {"visibility": "public"}, {"visibility": "unlisted"}):
        data = {"in_reply_to": str(followers_only.id), "text": "on the corner", **asked}
        answer = await client.post("/compose", data=data)
        assert answer.headers["location"] == "/home"
    assert await replies(services, followers_only) == ["private"] * 3

    local_only = await alices_post(services, Visibility.LOCAL)
    for asked in ({}, {"visibility": "public"}, {"visibility": "private"}):
        data = {"in_reply_to": str(local_only.id), "text": "here", **asked}
        assert (await client.post("/compose", data=data)).headers["location"] == "/home"
    assert await replies(services, local_only) == ["local", "local", "direct"]
    async with services.sessions() as session:
        assert list(await session.scalars(select(Delivery.id))) == []  # nothing left the node


async def test_a_client_api_reply_is_never_wider_than_its_parent(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    parent = await alices_post(services, Visibility.PRIVATE)
    async with services.sessions() as session, session.begin():
        bob = await accounts.get_local(session, "bob")
        assert bob is not None
        headers = await world.bearer(session, bob)
    for asked in ({}, {"visibility": "public"}, {"visibility": "direct"}):
        answer = await client.post(
            "/api/v1/statuses",
            json={"status": "on the corner", "in_reply_to_id": str(parent.id), **asked},
            headers=headers,
        )
        assert answer.status_code == 200, answer.text
        assert answer.json()["visibility"] == (
            asked.get("visibility") == "direct" and "direct" or "private"
        )
    fresh = await client.post("/api/v1/statuses", json={"status": "hello"}, headers=headers)
    assert fresh.json()["visibility"] == "public"  # no parent: public by default
    assert await replies(services, parent) == ["private", "private", "direct"]


async def test_a_remote_public_reply_to_a_followers_only_post_is_kept_followers_only(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    parent = await alices_post(services, Visibility.PRIVATE)
    note = {
        "id": f"{EVE}/statuses/7",
        "type": "Note",
        "attributedTo": EVE,
        "content": "<p>I know where it is</p>",
        "inReplyTo": parent.uri,
        "to": [PUBLIC],
        "cc": [f"{EVE}/followers", f"{BASE}/users/alice"],
        "published": "2026-11-01T10:00:00Z",
    }
    create = {"id": f"{EVE}/statuses/7/activity", "type": "Create", "actor": EVE, "object": note}
    assert (
        await deliver(client, {"@context": "https://www.w3.org/ns/activitystreams", **create})
    ).status_code == 202
    await Worker(services.federation).run_once()
    assert await replies(services, parent) == ["private"]
    signed_out = await client.get("/api/v1/timelines/public")
    assert "I know where it is" not in signed_out.text
