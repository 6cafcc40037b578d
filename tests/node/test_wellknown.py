"""WebFinger, host-meta and NodeInfo, as another server discovers a node."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import event

from activitypub import ActorType, parse_nodeinfo, self_link
from content import accounts
from content.audience import Visibility
from content.node_usage import USAGE_SECONDS
from node.state import Services
from tests.rig import world

pytestmark = pytest.mark.anyio
BASE = "https://harbour.test"


async def test_webfinger_finds_a_member_by_every_address_form(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "alice", base_url=BASE)

    for resource in (
        "acct:alice@harbour.test",
        "ACCT:alice@harbour.test",
        "acct:ALICE@Harbour.Test",
        f"{BASE}/users/alice",
        f"{BASE}/@alice",
    ):
        response = await client.get("/.well-known/webfinger", params={"resource": resource})
        assert response.status_code == 200, resource
        assert response.headers["content-type"] == "application/jrd+json"
        assert response.headers["access-control-allow-origin"] == "*"
        jrd = response.json()
        assert jrd["subject"] == "acct:alice@harbour.test"
        assert self_link(jrd) == f"{BASE}/users/alice"


async def test_webfinger_refuses_what_it_cannot_answer(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        accounts.suspend(await world.local_member(session, "suspended", base_url=BASE))
        await world.local_actor(session, "talk", ActorType.GROUP, base_url=BASE)

    async def status(resource: str | None) -> int:
        params = {"resource": resource} if resource is not None else {}
        return (await client.get("/.well-known/webfinger", params=params)).status_code

    assert await status(None) == 400
    assert await status("x" * 600) == 400
    assert await status("acct:alice@other.example") == 404
    assert await status("acct:nobody@harbour.test") == 404
    assert await status("acct:suspended@harbour.test") == 404
    # RFC 7033 §4.2: a resource that is no URI (no scheme, a malformed acct:) is a 400.
    assert await status("not an address") == 400
    assert await status("alice@harbour.test") == 400
    assert await status("@alice@harbour.test") == 400
    assert await status("acct:alice") == 400
    assert await status("acct:al ice@harbour.test") == 400
    assert await status("mailto:alice@harbour.test") == 404
    assert await status("https://other.example/users/alice") == 404
    assert await status("acct:talk@harbour.test") == 200
    missing = await client.get("/.well-known/webfinger")
    assert missing.json() == {"error": "give resource=acct:name@domain"}


async def test_host_meta_points_at_webfinger(client: httpx.AsyncClient) -> None:
    xml = await client.get("/.well-known/host-meta")
    assert xml.headers["content-type"] == "application/xrd+xml"
    template = f"{BASE}/.well-known/webfinger?resource={{uri}}"
    assert f'template="{template}"' in xml.text
    json_form = (await client.get("/.well-known/host-meta.json")).json()
    assert json_form["links"][0]["template"] == template


async def test_nodeinfo_describes_a_closed_activitypub_node(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        bob = await world.local_member(session, "bob", base_url=BASE)
        carol = await world.local_member(session, "carol", base_url=BASE)
        await world.local_actor(session, "talk", ActorType.GROUP, base_url=BASE)
        await world.post(session, alice, "one")
        await world.post(session, alice, "two")
        for hidden in (Visibility.UNLISTED, Visibility.PRIVATE, Visibility.DIRECT):
            await world.post(session, bob, "not for counting", hidden)
        await world.post(session, carol, "by an account since suspended")
        accounts.suspend(carol)

    links = (await client.get("/.well-known/nodeinfo")).json()["links"]
    assert [link["rel"].rsplit("/", 1)[1] for link in links] == ["2.0", "2.1"]
    for link in links:
        response = await client.get(link["href"].removeprefix(BASE))
        assert "profile=" in response.headers["content-type"]
        info = parse_nodeinfo(response.json())
        assert info.software_name == "harbour"
        assert info.protocols == ("activitypub",)
        assert info.open_registrations is False
        assert info.usage.users_total == 2  # live people, not groups
        assert info.usage.users_active_month == 1  # bob posted, but not publicly
        assert info.usage.local_posts == 2  # public posts of live accounts only
    assert (await client.get("/nodeinfo/3.0")).status_code == 404


async def test_usage_is_counted_once_for_many_readers_and_again_minutes_later(
    client: httpx.AsyncClient, services: Services
) -> None:
    """Counting reads every public post; crawlers and every app opening ask for it."""
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        await world.post(session, alice, "one")
    now = [1000.0]
    services.usage.clock = lambda: now[0]
    counts: list[str] = []

    def note_count(*args: object) -> None:
        if "count(" in str(args[2]).lower():
            counts.append(str(args[2]))

    event.listen(services.engine.sync_engine, "before_cursor_execute", note_count)
    paths = ["/nodeinfo/2.0", "/nodeinfo/2.1", "/api/v1/instance", "/api/v2/instance"] * 5
    answers = await asyncio.gather(*(client.get(path) for path in paths))
    assert all(answer.status_code == 200 for answer in answers)
    assert len(counts) == 4  # one count for all twenty: people, active twice, posts
    assert answers[0].json()["usage"]["localPosts"] == 1
    assert answers[2].json()["stats"] == {"user_count": 1, "status_count": 1, "domain_count": 0}
    assert answers[3].json()["usage"] == {"users": {"active_month": 1}}

    async with services.sessions() as session, session.begin():
        await world.post(session, alice, "two")
    now[0] += USAGE_SECONDS - 1
    assert (await client.get("/nodeinfo/2.0")).json()["usage"]["localPosts"] == 1
    now[0] += 1
    assert (await client.get("/nodeinfo/2.0")).json()["usage"]["localPosts"] == 2
    assert (await client.get("/api/v1/instance")).json()["stats"]["status_count"] == 2
    assert len(counts) == 8
