"""Domain blocks at the inbox, in the worker and on stored content, taking effect at once."""

from __future__ import annotations

import json

import httpx
import pytest
from sqlalchemy import func, select

from content import accounts, relationships
from content.posts import Post
from content.relationships import FollowState
from federation import outbox, resolve
from federation.delivery import Delivery
from federation.worker import Worker
from moderation import domain_blocks, reports
from moderation.domain_blocks import BlockTerms, DomainBlockError, Severity
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver, note_to_alice, stored_posts
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def block(services: Services, domain: str, severity: Severity, **terms: bool) -> None:
    async with services.sessions() as session, session.begin():
        await domain_blocks.block(session, BlockTerms(domain, severity, **terms))


async def test_a_suspended_server_is_refused_and_what_we_kept_from_it_is_purged(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    assert (await deliver(client, note_to_alice(1))).status_code == 202
    assert (await deliver(client, note_to_alice(2))).status_code == 202
    await Worker(services.federation).run_once()
    assert await stored_posts(services) == 2
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        eve = await accounts.get_by_uri(session, EVE)
        assert alice is not None and eve is not None
        await relationships.add_follow(session, alice, eve, uri=f"{BASE}/f/1", accepted=True)
        await relationships.add_follow(session, eve, alice, uri=f"{EVE}/f/1", accepted=True)
        await outbox.publish(services.federation, session, alice, "queued before the block")

    await block(services, "remote.example", Severity.SUSPEND)
    refused = await deliver(client, note_to_alice(3))
    assert (refused.status_code, refused.json()) == (
        403,
        {"error": "this node does not federate with your server"},
    )
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        assert await relationships.count_followers(session, alice) == 0
        assert await relationships.count_following(session, alice) == 0
        states = list(await session.scalars(select(Delivery.state)))
        kept_from_eve = await session.scalar(
            select(func.count()).select_from(Post).where(Post.account_id == eve.id)
        )
        with pytest.raises(resolve.ResolveError):
            await resolve.fetch_actor(services.federation, session, f"{EVE}-other")
    assert kept_from_eve == 0
    assert states == ["refused"]  # queued before the block, never sent
    assert not [r for r in remote.requests if r.method == "POST"]

    async with services.sessions() as session, session.begin():
        assert await domain_blocks.unblock(session, "remote.example")
    assert (await deliver(client, note_to_alice(4))).status_code == 202


async def test_items_that_arrived_before_a_block_are_not_applied(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    assert (await deliver(client, note_to_alice(1))).status_code == 202
    await block(services, "remote.example", Severity.SUSPEND)
    await Worker(services.federation).run_once()
    assert await stored_posts(services) == 0


async def test_a_limited_server_must_ask_and_its_reports_can_be_rejected(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        org = await accounts.get_local(session, "alice")
        assert org is not None
        org.manually_approves_followers = False
    await block(services, "remote.example", Severity.SILENCE, reject_reports=True)
    follow = {
        "id": f"{EVE}/follows/1",
        "type": "Follow",
        "actor": EVE,
        "object": f"{BASE}/users/alice",
    }
    flag = {"id": f"{EVE}/flags/1", "type": "Flag", "actor": EVE, "object": [f"{BASE}/users/alice"]}
    assert (await deliver(client, follow)).status_code == 202
    assert (await deliver(client, flag)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        pending = await relationships.pending_requests(session, org)
        assert [(f.state, a.uri) for f, a in pending] == [(FollowState.PENDING, EVE)]
        assert await reports.open_reports(session) == []


async def test_a_block_needs_a_real_domain(services: Services) -> None:
    with pytest.raises(DomainBlockError, match="not a domain"):
        await block(services, "com", Severity.SUSPEND)
    async with services.sessions() as session:
        assert (
            await session.scalar(select(func.count()).select_from(domain_blocks.DomainBlock)) == 0
        )


async def test_a_limited_servers_posts_stay_out_of_the_public_timeline_only(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        eve = await resolve.fetch_actor(services.federation, session, EVE)
        assert alice is not None
        await relationships.add_follow(session, alice, eve, uri=f"{BASE}/f/2", accepted=True)
        token = await world.bearer_token(session, alice)
    public_note = note_to_alice(5, to=["https://www.w3.org/ns/activitystreams#Public"])
    public_note["object"] = {
        **public_note["object"],
        "to": ["https://www.w3.org/ns/activitystreams#Public"],
    }  # type: ignore[dict-item]
    assert (await deliver(client, public_note)).status_code == 202
    await Worker(services.federation).run_once()
    assert len((await client.get("/api/v1/timelines/public")).json()) == 1
    await block(services, "remote.example", Severity.SILENCE)
    assert (await client.get("/api/v1/timelines/public")).json() == []
    home = await client.get("/api/v1/timelines/home", headers={"Authorization": f"Bearer {token}"})
    assert [s["account"]["acct"] for s in home.json()] == ["eve@remote.example"]  # she follows eve


async def test_media_from_a_server_whose_media_is_rejected_is_not_kept(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    picture = {"type": "Document", "mediaType": "image/jpeg", "url": "https://remote.example/a.jpg"}
    for number, rejected in ((1, False), (2, True)):
        if rejected:
            await block(services, "remote.example", Severity.NOOP, reject_media=True)
        note = note_to_alice(number)
        note["object"] = {**note["object"], "attachment": [picture]}  # type: ignore[dict-item]
        assert (await deliver(client, note)).status_code == 202
        await Worker(services.federation).run_once()
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        token = await world.bearer_token(session, alice)
    home = await client.get("/api/v1/timelines/home", headers={"Authorization": f"Bearer {token}"})
    assert [len(s["media_attachments"]) for s in home.json()] == [0, 1]  # newest first


async def test_a_suspended_remote_actor_is_not_heard(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        eve = await resolve.fetch_actor(services.federation, session, EVE)
        accounts.suspend(eve)
    assert (await deliver(client, note_to_alice(1))).status_code == 202
    await Worker(services.federation).run_once()
    assert await stored_posts(services) == 0


async def test_an_account_on_a_server_a_member_blocks_cannot_follow_her(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """alice blocks remote.example for herself; eve there asks to follow her afterwards and
    is refused with a Reject (she was accepted, and got alice's followers-only posts, before
    the attack on list imports found it), as Mastodon refuses her."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        alice.manually_approves_followers = False
        await outbox.block_domain(services.federation, session, alice, "remote.example")
    follow = {"id": f"{EVE}/follows/1", "type": "Follow", "actor": EVE, "object": alice.uri}
    assert (await deliver(client, follow)).status_code == 202
    await Worker(services.federation).run_once()

    page = (await client.get("/@alice")).text
    assert "0 followers" in page
    answers = [json.loads(r.content) for r in remote.requests if r.method == "POST"]
    assert [a["type"] for a in answers] == ["Reject"]
