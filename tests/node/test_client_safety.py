"""Member-level safety through the client API: blocks, mutes, domain blocks and reports."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import update

from content import accounts, posts, relationships
from content.accounts import Account
from content.audience import Visibility
from content.orm import utcnow
from federation import resolve
from federation.worker import Worker
from moderation import reports
from moderation.mutes import Mute
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.rig import world
from tests.rig.remote import FakeServer
from tests.rig.world import bearer

pytestmark = pytest.mark.anyio


async def alice_and_bob(services: Services) -> tuple[Account, Account, dict[str, str]]:
    """alice (made by the `remote` fixture) follows bob; returns both and alice's header."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        bob = await world.local_member(session, "bob", base_url=BASE)
        await relationships.add_follow(session, alice, bob, uri=f"{BASE}/f/1", accepted=True)
        await relationships.add_follow(session, bob, alice, uri=f"{BASE}/f/2", accepted=True)
        headers = await bearer(session, alice)
    return alice, bob, headers


async def eve_with_a_post(services: Services, alice: Account) -> Account:
    """eve of remote.example, whom alice follows, with one public post kept here."""
    async with services.sessions() as session, session.begin():
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        await relationships.add_follow(session, alice, eve, uri=f"{BASE}/f/3", accepted=True)
        await relationships.add_follow(session, eve, alice, uri=f"{EVE}#f/4", accepted=True)
        posts.store_remote(
            session,
            eve,
            uri=f"{EVE}/statuses/1",
            url=None,
            content_html="<p>from eve</p>",
            visibility=Visibility.PUBLIC,
            created_at=utcnow(),
        )
    return eve


async def home(client: httpx.AsyncClient, headers: dict[str, str]) -> list[str]:
    response = await client.get("/api/v1/timelines/home", headers=headers)
    assert response.status_code == 200
    return [s["content"] for s in response.json()]


def sent(remote: FakeServer, kind: str) -> list[dict[str, object]]:
    """Activities of this type that the node delivered to remote.example."""
    bodies = [json.loads(r.content) for r in remote.requests if r.method == "POST"]
    return [b for b in bodies if b["type"] == kind]


async def test_a_mute_hides_an_account_from_home_and_public_until_lifted_or_expired(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, bob, headers = await alice_and_bob(services)
    async with services.sessions() as session, session.begin():
        await world.post(session, bob, "bob speaks")
    assert await home(client, headers) == ["<p>bob speaks</p>"]

    muted = await client.post(
        f"/api/v1/accounts/{bob.id}/mute", headers=headers, data={"notifications": "false"}
    )
    assert muted.status_code == 200
    assert (muted.json()["muting"], muted.json()["muting_notifications"]) == (True, False)
    assert muted.json()["following"] is True  # a mute is not an unfollow
    assert await home(client, headers) == []
    public = await client.get("/api/v1/timelines/public", headers=headers)
    assert public.json() == []
    assert len((await client.get("/api/v1/timelines/public")).json()) == 1  # others still see
    listed = await client.get("/api/v1/mutes", headers=headers)
    assert [a["username"] for a in listed.json()] == ["bob"]
    assert 'rel="next"' in listed.headers["link"]

    await client.post(f"/api/v1/accounts/{bob.id}/unmute", headers=headers)
    assert await home(client, headers) == ["<p>bob speaks</p>"]

    timed = await client.post(
        f"/api/v1/accounts/{bob.id}/mute", headers=headers, json={"duration": 3600}
    )
    assert timed.json()["muting_notifications"] is True
    assert await home(client, headers) == []
    async with services.sessions() as session, session.begin():
        await session.execute(update(Mute).values(expires_at=utcnow() - timedelta(seconds=1)))
    assert await home(client, headers) == ["<p>bob speaks</p>"]
    assert (await client.get("/api/v1/mutes", headers=headers)).json() == []
    await Worker(services.federation).run_once()
    assert [r for r in remote.requests if r.method == "POST"] == []  # never federated


async def test_a_block_ends_follows_both_ways_hides_both_sides_and_is_listed(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, bob, headers = await alice_and_bob(services)
    async with services.sessions() as session, session.begin():
        await world.post(session, bob, "bob speaks")
        await world.post(session, alice, "alice speaks")
        bob_headers = await bearer(session, bob)
    blocked = await client.post(f"/api/v1/accounts/{bob.id}/block", headers=headers)
    assert blocked.status_code == 200
    relation = blocked.json()
    assert (relation["blocking"], relation["following"], relation["followed_by"]) == (
        True,
        False,
        False,
    )
    assert await home(client, headers) == ["<p>alice speaks</p>"]
    assert await home(client, bob_headers) == ["<p>bob speaks</p>"]
    seen_by_bob = await client.get(
        "/api/v1/accounts/relationships", params={"id[]": str(alice.id)}, headers=bob_headers
    )
    assert seen_by_bob.json()[0]["blocked_by"] is True
    refused = await client.post(f"/api/v1/accounts/{alice.id}/follow", headers=bob_headers)
    assert refused.status_code == 422
    alice_statuses = await client.get(f"/api/v1/accounts/{alice.id}/statuses", headers=bob_headers)
    assert alice_statuses.json() == []
    listed = await client.get("/api/v1/blocks", headers=headers)
    assert [a["username"] for a in listed.json()] == ["bob"]
    assert f"{BASE}/api/v1/blocks?max_id=" in listed.headers["link"]

    lifted = await client.post(f"/api/v1/accounts/{bob.id}/unblock", headers=headers)
    assert lifted.json()["blocking"] is False
    assert (await client.get("/api/v1/blocks", headers=headers)).json() == []


async def test_blocking_a_remote_account_tells_its_server(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, _, headers = await alice_and_bob(services)
    eve = await eve_with_a_post(services, alice)
    assert "<p>from eve</p>" in await home(client, headers)
    await client.post(f"/api/v1/accounts/{eve.id}/block", headers=headers)
    assert "<p>from eve</p>" not in await home(client, headers)
    await Worker(services.federation).run_once()
    assert [b["object"] for b in sent(remote, "Block")] == [EVE]
    await client.post(f"/api/v1/accounts/{eve.id}/unblock", headers=headers)
    await Worker(services.federation).run_once()
    assert [b["object"]["type"] for b in sent(remote, "Undo")] == ["Block"]  # type: ignore[index]


async def test_a_member_removes_a_follower_here_and_on_its_server(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, bob, headers = await alice_and_bob(services)
    eve = await eve_with_a_post(services, alice)
    for follower in (eve, bob):
        gone = await client.post(
            f"/api/v1/accounts/{follower.id}/remove_from_followers", headers=headers
        )
        assert (gone.status_code, gone.json()["followed_by"]) == (200, False)
        assert gone.json()["following"] is True  # alice still follows them
    await Worker(services.federation).run_once()
    assert [b["object"]["id"] for b in sent(remote, "Reject")] == [f"{EVE}#f/4"]  # type: ignore[index]


async def test_a_domain_block_hides_the_server_and_removes_its_followers(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, _, headers = await alice_and_bob(services)
    eve = await eve_with_a_post(services, alice)
    added = await client.post(
        "/api/v1/domain_blocks", headers=headers, data={"domain": "Remote.Example"}
    )
    assert (added.status_code, added.json()) == (200, {})
    assert "<p>from eve</p>" not in await home(client, headers)
    listed = await client.get("/api/v1/domain_blocks", headers=headers)
    assert listed.json() == ["remote.example"]
    relation = await client.get(
        "/api/v1/accounts/relationships", params={"id[]": str(eve.id)}, headers=headers
    )
    assert relation.json()[0]["domain_blocking"] is True
    assert relation.json()[0]["followed_by"] is False
    assert relation.json()[0]["following"] is True  # Mastodon keeps the member's own follows
    await Worker(services.federation).run_once()
    assert [b["object"]["id"] for b in sent(remote, "Reject")] == [f"{EVE}#f/4"]  # type: ignore[index]

    own = await client.post(
        "/api/v1/domain_blocks", headers=headers, data={"domain": "harbour.test"}
    )
    assert own.status_code == 422
    removed = await client.request(
        "DELETE", "/api/v1/domain_blocks", headers=headers, data={"domain": "remote.example"}
    )
    assert removed.status_code == 200
    assert "<p>from eve</p>" in await home(client, headers)


async def test_a_member_report_goes_to_her_moderators_and_forward_is_only_her_wish(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, bob, headers = await alice_and_bob(services)
    eve = await eve_with_a_post(services, alice)
    async with services.sessions() as session, session.begin():
        bobs = await world.post(session, bob, "something nasty")
        eves = await posts.get_by_uri(session, f"{EVE}/statuses/1")
        assert eves is not None
    local = await client.post(
        "/api/v1/reports",
        headers=headers,
        data={"account_id": str(bob.id), "status_ids[]": [str(bobs.id)], "comment": "harassment"},
    )
    assert local.status_code == 200
    entity = local.json()
    assert (entity["status_ids"], entity["comment"], entity["forwarded"]) == (
        [str(bobs.id)],
        "harassment",
        False,
    )
    assert (entity["category"], entity["action_taken"]) == ("other", False)
    assert entity["target_account"]["username"] == "bob"

    forwarded = await client.post(
        "/api/v1/reports",
        headers=headers,
        json={
            "account_id": str(eve.id),
            "status_ids": [str(eves.id)],
            "comment": "spam",
            "forward": True,
            "category": "spam",
        },
    )
    assert (forwarded.json()["forwarded"], forwarded.json()["category"]) == (False, "spam")
    async with services.sessions() as session:
        queue = await reports.open_reports(session)
    assert [(r.reporter_id, r.target_id, r.comment, r.forward_requested) for r in queue] == [
        (alice.id, bob.id, "harassment", False),
        (alice.id, eve.id, "spam", True),  # her wish, for the moderators to weigh
    ]
    await Worker(services.federation).run_once()
    assert sent(remote, "Flag") == []  # nothing leaves until a moderator decides

    wrong = await client.post(
        "/api/v1/reports",
        headers=headers,
        data={"account_id": str(eve.id), "status_ids[]": [str(bobs.id)]},
    )
    assert wrong.status_code == 422
