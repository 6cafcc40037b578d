"""Hundreds of servers in quarantine, silenced, or blocked by a member: every page that leaves
them out still answers, and still leaves out exactly them. A server can be made to meet this
node from as many sub-domains as it likes, and a trust list can silence hundreds of domains;
a statement with a condition per domain was refused by SQLite past about 250 of them, which
took down the public timeline, notifications and streams of every member."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from content import accounts, posts, relationships
from content.audience import Visibility
from content.orm import utcnow
from content.users import Role
from federation import resolve
from moderation import allowlist, domain_blocks, member_domain_blocks, quarantine
from moderation.domain_blocks import BlockTerms, Severity
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_client_safety import eve_with_a_post
from tests.node.test_directory_pages import sign_in
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
MANY = 400


async def public(client: httpx.AsyncClient) -> list[str]:
    answer = await client.get("/api/v1/timelines/public")
    assert answer.status_code == 200, answer.text
    return [status["account"]["acct"] for status in answer.json()]


async def test_hundreds_of_held_silenced_and_blocked_servers_leave_out_exactly_those(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        await world.local_member(session, "bob", base_url=BASE)
        bob = await accounts.get_local(session, "bob")
        assert bob is not None
        await world.post(session, bob, "bob in public")
        for number in range(MANY):
            await quarantine.meet(session, f"h{number}.held.example", days=7)
            await domain_blocks.block(session, BlockTerms(f"s{number}.example", Severity.SILENCE))
            await member_domain_blocks.add(session, alice, f"b{number}.example")
        headers = await world.bearer(session, alice)
        await world.local_member(session, "ada", base_url=BASE, role=Role.ADMIN)
    await eve_with_a_post(services, alice)
    assert await public(client) == ["eve@remote.example", "bob"]
    await sign_in(client, "ada")  # her page lists the newest held servers, and counts the rest
    admin = (await client.get("/admin")).text
    assert admin.count("Admit h") == 100 and f"And {MANY - 100} more servers" in admin
    await client.post("/logout")
    home = await client.get("/api/v1/timelines/home", headers=headers)
    assert [s["account"]["acct"] for s in home.json()] == ["eve@remote.example"]
    notifications = await client.get("/api/v1/notifications", headers=headers)
    assert notifications.status_code == 200

    async with services.sessions() as session, session.begin():
        await domain_blocks.block(session, BlockTerms("remote.example", Severity.SILENCE))
    assert await public(client) == ["bob"]
    async with services.sessions() as session, session.begin():
        await domain_blocks.unblock(session, "remote.example")
        await allowlist.disallow(session, "remote.example")
        await quarantine.meet(session, "remote.example", days=7)
        await session.execute(
            update(quarantine.KnownServer)
            .where(quarantine.KnownServer.domain == "remote.example")
            .values(quarantined_until=utcnow() + timedelta(days=7))
        )
    assert await public(client) == ["bob"]
    async with services.sessions() as session, session.begin():
        await quarantine.meet(session, "x.remote.example", days=7)  # held alone, not its parent
        assert await quarantine.admit(session, "remote.example", None)
    assert await public(client) == ["eve@remote.example", "bob"]

    async with services.sessions() as session, session.begin():
        member = await accounts.get_local(session, "alice")
        assert member is not None
        await member_domain_blocks.add(session, member, "remote.example")
    home = await client.get("/api/v1/timelines/home", headers=headers)
    assert home.status_code == 200 and home.json() == []


async def test_a_held_servers_replies_stay_out_of_threads_but_for_its_followers(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        bob = await world.local_member(session, "bob", base_url=BASE)
        opener = await world.post(session, bob, "Who has a spare sleeping bag?")
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        posts.store_remote(session, eve, uri=f"{EVE}/statuses/9", url=None,
                           content_html="<p>come to my place</p>", visibility=Visibility.PUBLIC,
                           created_at=utcnow(), in_reply_to_uri=opener.uri)  # fmt: skip
        await allowlist.disallow(session, "remote.example")
        await quarantine.meet(session, "remote.example", days=7)
        await session.execute(
            update(quarantine.KnownServer).values(quarantined_until=utcnow() + timedelta(days=7))
        )
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        headers = await world.bearer(session, alice)
        opener_id = opener.id

    async def replies(**headers: str) -> list[str]:
        found = await client.get(f"/api/v1/statuses/{opener_id}/context", headers=headers)
        return [status["account"]["acct"] for status in found.json()["descendants"]]

    assert await replies() == []  # a visitor
    assert await replies(**headers) == []  # alice does not follow eve
    collection = await client.get(f"/users/bob/statuses/{opener_id}/replies",
                                  headers={"Accept": "application/activity+json"})  # fmt: skip
    assert collection.json()["orderedItems"] == []
    async with services.sessions() as session, session.begin():
        follower = await accounts.get_local(session, "alice")
        followed = await accounts.get_by_uri(session, EVE)
        assert follower is not None and followed is not None
        await relationships.add_follow(session, follower, followed, uri=f"{BASE}/f/9",
                                       accepted=True)  # fmt: skip
    assert await replies(**headers) == ["eve@remote.example"]
