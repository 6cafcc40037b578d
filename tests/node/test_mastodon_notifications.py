"""Notifications through the client API: what makes them, what removes them, and filters."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from content import accounts
from federation.worker import Worker
from moderation import account_blocks
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver, note_to_alice
from tests.rig import world
from tests.rig.members import Member, get_list, members, post_status
from tests.rig.remote import FakeServer
from tests.rig.world import bearer

pytestmark = pytest.mark.anyio
# A mention of alice as the post's HTML has it: linked to her profile, as Mastodon writes it.
AT_ALICE = (
    '<span class="h-card"><a href="https://harbour.test/@alice" class="u-url mention">'
    "@<span>alice</span></a></span>"
)


async def listed(client: httpx.AsyncClient, who: Member, **params: object) -> list[Any]:
    return await get_list(client, who, "/api/v1/notifications", **params)


def summary(found: list[dict]) -> list[tuple[str, str, str | None]]:
    """(type, who, status content) for each notification, newest first."""
    return [
        (n["type"], n["account"]["acct"], n["status"]["content"] if "status" in n else None)
        for n in found
    ]


async def test_follow_request_mention_favourite_and_reblog_notify_the_author(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, bob = await members(services, "alice", "bob")
    note = await post_status(client, alice, "Drop-in on Tuesday")
    await client.post(f"/api/v1/accounts/{alice.id}/follow", headers=bob.headers)
    await post_status(client, bob, "@alice see you there")
    await client.post(f"/api/v1/statuses/{note['id']}/favourite", headers=bob.headers)
    await client.post(f"/api/v1/statuses/{note['id']}/reblog", headers=bob.headers)
    await client.post(f"/api/v1/statuses/{note['id']}/favourite", headers=alice.headers)
    await post_status(client, alice, "@alice a note to myself")

    found = await listed(client, alice)
    assert summary(found) == [
        ("reblog", "bob", "<p>Drop-in on Tuesday</p>"),
        ("favourite", "bob", "<p>Drop-in on Tuesday</p>"),
        ("mention", "bob", f"<p>{AT_ALICE} see you there</p>"),
        ("follow_request", "bob", None),
    ]
    first = found[0]
    assert set(first) == {"id", "type", "group_key", "created_at", "account", "status"}
    # Likes and boosts of one post group together; a mention stands alone.
    assert first["group_key"].startswith(f"reblog-{note['id']}-")
    assert found[2]["group_key"] == f"ungrouped-{found[2]['id']}"
    assert first["status"]["id"] == note["id"]
    assert await listed(client, bob) == []  # nothing about bob's own acts

    authorized = await client.post(
        f"/api/v1/follow_requests/{bob.id}/authorize", headers=alice.headers
    )
    assert authorized.status_code == 200
    assert [n["type"] for n in await listed(client, alice)] == ["reblog", "favourite", "mention"]


async def test_undone_likes_and_boosts_deleted_posts_and_unfollows_take_theirs_away(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, bob = await members(services, "alice", "bob")
    note = await post_status(client, alice, "Clinic hours")
    await client.post(f"/api/v1/accounts/{alice.id}/follow", headers=bob.headers)
    mention = await post_status(client, bob, "@alice thanks")
    for verb in ("favourite", "reblog"):
        await client.post(f"/api/v1/statuses/{note['id']}/{verb}", headers=bob.headers)
    assert len(await listed(client, alice)) == 4

    await client.post(f"/api/v1/statuses/{note['id']}/unfavourite", headers=bob.headers)
    await client.delete(f"/api/v1/statuses/{mention['id']}", headers=bob.headers)
    assert [n["type"] for n in await listed(client, alice)] == ["reblog", "follow_request"]
    await client.post(f"/api/v1/accounts/{alice.id}/unfollow", headers=bob.headers)
    await client.delete(f"/api/v1/statuses/{note['id']}", headers=alice.headers)
    assert await listed(client, alice) == []


async def test_types_exclude_types_and_account_id_filter_the_list(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, bob, cleo = await members(services, "alice", "bob", "cleo")
    note = await post_status(client, alice, "Legal aid list")
    for fan in (bob, cleo):
        await client.post(f"/api/v1/statuses/{note['id']}/favourite", headers=fan.headers)
        await post_status(client, fan, "@alice hello")

    assert summary(await listed(client, alice, **{"types[]": "mention"})) == [
        ("mention", "cleo", f"<p>{AT_ALICE} hello</p>"),
        ("mention", "bob", f"<p>{AT_ALICE} hello</p>"),
    ]
    excluded = await listed(client, alice, **{"exclude_types[]": ["mention", "follow"]})
    assert [(n["type"], n["account"]["acct"]) for n in excluded] == [
        ("favourite", "cleo"),
        ("favourite", "bob"),
    ]
    from_bob = await listed(client, alice, account_id=bob.id)
    assert [(n["type"], n["account"]["acct"]) for n in from_bob] == [
        ("mention", "bob"),
        ("favourite", "bob"),
    ]
    assert await listed(client, alice, account_id="nobody") == []


async def test_show_dismiss_and_clear(client: httpx.AsyncClient, services: Services) -> None:
    alice, bob = await members(services, "alice", "bob")
    for n in range(3):
        await post_status(client, bob, f"@alice number {n}")
    first, second, third = await listed(client, alice)
    shown = await client.get(f"/api/v1/notifications/{first['id']}", headers=alice.headers)
    assert shown.json() == first
    not_hers = await client.get(f"/api/v1/notifications/{first['id']}", headers=bob.headers)
    assert not_hers.status_code == 404
    assert not_hers.json() == {"error": "Record not found"}
    by_bob = await client.post(f"/api/v1/notifications/{first['id']}/dismiss", headers=bob.headers)
    assert by_bob.status_code == 404

    dismissed = await client.post(
        f"/api/v1/notifications/{first['id']}/dismiss", headers=alice.headers
    )
    assert (dismissed.status_code, dismissed.json()) == (200, {})
    assert [n["id"] for n in await listed(client, alice)] == [second["id"], third["id"]]
    assert (await client.post("/api/v1/notifications/clear", headers=alice.headers)).json() == {}
    assert await listed(client, alice) == []


async def test_pages_follow_link_headers_and_ids(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, bob = await members(services, "alice", "bob")
    for n in range(5):
        await post_status(client, bob, f"@alice message {n}")
    ids = [n["id"] for n in await listed(client, alice)]
    page = await client.get("/api/v1/notifications", params={"limit": 2}, headers=alice.headers)
    assert [n["id"] for n in page.json()] == ids[:2]
    assert page.links["next"]["url"] == (f"{BASE}/api/v1/notifications?limit=2&max_id={ids[1]}")
    older = await client.get(page.links["next"]["url"], headers=alice.headers)
    assert [n["id"] for n in older.json()] == ids[2:4]
    newer = await client.get(older.links["prev"]["url"], headers=alice.headers)
    assert [n["id"] for n in newer.json()] == ids[:2]
    assert [n["id"] for n in await listed(client, alice, since_id=ids[2])] == ids[:2]


async def test_notifications_from_blocked_accounts_are_hidden(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, bob = await members(services, "alice", "bob")
    await post_status(client, bob, "@alice hi")
    async with services.sessions() as session, session.begin():
        await account_blocks.block(session, alice.account, bob.account, uri=f"{BASE}#blocks/1")
    assert await listed(client, alice) == []
    count = await client.get("/api/v1/notifications/unread_count", headers=alice.headers)
    assert count.json() == {"count": 0}


async def test_scopes_are_read_and_write_notifications(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        reader = await world.local_member(session, "alice", base_url=BASE)
        headers = await bearer(session, reader, ["read:notifications"])
    assert (await client.get("/api/v1/notifications", headers=headers)).status_code == 200
    refused = await client.post("/api/v1/notifications/clear", headers=headers)
    assert refused.status_code == 403
    statuses_only = await client.get("/api/v1/markers", headers=headers)
    assert statuses_only.status_code == 403


async def test_acts_that_come_through_federation_notify_the_same_way(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        account = await accounts.get_local(session, "alice")
        assert account is not None
        note = await world.post(session, account, "Outreach tonight")
        alice = Member(account, await bearer(session, account))
    activities = [
        {"id": f"{EVE}#follows/1", "type": "Follow", "actor": EVE, "object": alice.account.uri},
        note_to_alice(),
        {"id": f"{EVE}#likes/1", "type": "Like", "actor": EVE, "object": note.uri},
        {"id": f"{EVE}#announces/1", "type": "Announce", "actor": EVE, "object": note.uri},
    ]
    for activity in activities:
        assert (await deliver(client, activity)).status_code == 202
        await Worker(services.federation).run_once()
    assert summary(await listed(client, alice)) == [
        ("reblog", "eve@remote.example", "<p>Outreach tonight</p>"),
        ("favourite", "eve@remote.example", "<p>Outreach tonight</p>"),
        ("mention", "eve@remote.example", "<p>hi alice</p>"),
        ("follow_request", "eve@remote.example", None),
    ]
    undo = {"id": f"{EVE}#undos/1", "type": "Undo", "actor": EVE, "object": activities[2]}
    assert (await deliver(client, undo)).status_code == 202
    await Worker(services.federation).run_once()
    types = [n["type"] for n in await listed(client, alice)]
    assert types == ["reblog", "mention", "follow_request"]


async def test_a_follow_accepted_at_once_notifies_as_a_follow(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        account = await accounts.get_local(session, "alice")
        assert account is not None
        account.manually_approves_followers = False
        alice = Member(account, await bearer(session, account))
    follow = {"id": f"{EVE}#follows/1", "type": "Follow", "actor": EVE, "object": account.uri}
    assert (await deliver(client, follow)).status_code == 202
    await Worker(services.federation).run_once()
    assert summary(await listed(client, alice)) == [("follow", "eve@remote.example", None)]
