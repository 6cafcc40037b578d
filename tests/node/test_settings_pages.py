"""A member downloads their data and deletes their account; other servers are told."""

from __future__ import annotations

import json

import httpx
import pytest

from activitypub import PUBLIC
from content import accounts, relationships, timeline_lists
from content.audience import Visibility
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    signed = await client.post("/login", data={"username": username, "password": world.PASSWORD})
    assert signed.status_code == 303


async def test_the_export_holds_every_own_post_and_relation(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        eve = await accounts.get_by_uri(session, EVE) or await _cache_eve(services)
        assert alice is not None
        await world.post(session, alice, "public #Hello")
        await world.post(session, alice, "just for followers", Visibility.PRIVATE)
        await relationships.add_follow(session, eve, alice, uri=f"{EVE}/f/1", accepted=True)
        await relationships.add_follow(session, alice, eve, uri=f"{BASE}/f/2", accepted=True)
        remote_friends = await timeline_lists.create(session, alice, "Remote friends")
        await timeline_lists.add_members(session, remote_friends, alice, [eve.id])
    await sign_in(client, "alice")
    download = await client.get("/settings/export")
    assert download.headers["content-disposition"] == 'attachment; filename="harbour-alice.json"'
    archive = download.json()
    assert archive["actor"]["id"] == f"{BASE}/users/alice"
    assert [p["object"]["content"].startswith("<p>public") for p in archive["posts"]] == [
        True,
        False,
    ]
    assert archive["posts"][0]["object"]["tag"][0]["name"] == "#hello"
    assert archive["posts"][1]["object"]["to"] == [f"{BASE}/users/alice/followers"]
    assert archive["followers"] == [EVE] and archive["following"] == [EVE]
    assert archive["lists"] == [
        {"title": "Remote friends", "replies_policy": "list", "exclusive": False, "accounts": [EVE]}
    ]
    assert (await client.get("/settings/export", follow_redirects=False)).status_code == 200
    client.cookies.clear()
    assert (await client.get("/settings/export")).status_code == 303


async def test_deleting_needs_the_password_and_tells_the_servers_we_know(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await _cache_eve(services)
    await sign_in(client, "alice")
    wrong = await client.post("/settings/delete", data={"password": "not it"})
    assert wrong.headers["location"] == "/settings?error=wrong+password"
    gone = await client.post("/settings/delete", data={"password": world.PASSWORD})
    assert "Your account is deleted" in gone.text
    assert (
        await client.get("/users/alice", headers={"Accept": "application/activity+json"})
    ).status_code == 410
    assert (
        await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    ).status_code == 401
    await Worker(services.federation).run_once()
    sent = [json.loads(r.content) for r in remote.requests if r.method == "POST"]
    assert [(a["type"], a["actor"], a["object"], a["to"]) for a in sent] == [
        ("Delete", f"{BASE}/users/alice", f"{BASE}/users/alice", [PUBLIC])
    ]


async def _cache_eve(services: Services) -> accounts.Account:
    """eve's account as the node keeps it once it has heard from her."""
    from federation import resolve

    async with services.sessions() as session, session.begin():
        return await resolve.fetch_actor(services.federation, session, EVE)
