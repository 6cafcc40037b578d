"""Direct conversations through the client API."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from content import accounts
from federation.worker import Worker
from node.state import Services
from tests.node.test_inbox import deliver, note_to_alice
from tests.rig import world
from tests.rig.members import Member, get_list, members, post_status
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def listed(client: httpx.AsyncClient, who: Member, **params: object) -> list[Any]:
    return await get_list(client, who, "/api/v1/conversations", **params)


async def test_a_direct_thread_is_one_conversation_for_each_participant(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, bob = await members(services, "alice", "bob")
    await post_status(client, alice, "public, not a conversation")
    first = await post_status(client, bob, "@alice are you safe?", visibility="direct")

    (conversation,) = await listed(client, alice)
    assert set(conversation) == {"id", "unread", "accounts", "last_status"}
    assert conversation["unread"] is True
    assert [a["acct"] for a in conversation["accounts"]] == ["bob"]
    assert conversation["last_status"]["id"] == first["id"]
    (bobs,) = await listed(client, bob)
    assert bobs["unread"] is False  # bob wrote it
    assert [a["acct"] for a in bobs["accounts"]] == ["alice"]

    reply = await post_status(
        client, alice, "@bob yes, thanks", visibility="direct", in_reply_to_id=first["id"]
    )
    (conversation,) = await listed(client, alice)
    assert (conversation["last_status"]["id"], conversation["unread"]) == (reply["id"], False)
    (bobs,) = await listed(client, bob)
    assert (bobs["last_status"]["id"], bobs["unread"]) == (reply["id"], True)

    read = await client.post(f"/api/v1/conversations/{bobs['id']}/read", headers=bob.headers)
    assert (read.status_code, read.json()["unread"]) == (200, False)
    assert (await listed(client, bob))[0]["unread"] is False
    not_hers = await client.post(f"/api/v1/conversations/{bobs['id']}/read", headers=alice.headers)
    assert not_hers.status_code == 404

    removed = await client.delete(f"/api/v1/conversations/{bobs['id']}", headers=bob.headers)
    assert (removed.status_code, removed.json()) == (200, {})
    assert await listed(client, bob) == []
    assert len(await listed(client, alice)) == 1


async def test_separate_threads_page_newest_first(
    client: httpx.AsyncClient, services: Services
) -> None:
    alice, bob = await members(services, "alice", "bob")
    posted = [
        await post_status(client, bob, f"@alice thread {n}", visibility="direct") for n in range(3)
    ]
    newest_first = [p["id"] for p in reversed(posted)]
    assert [c["last_status"]["id"] for c in await listed(client, alice)] == newest_first
    page = await client.get("/api/v1/conversations", params={"limit": 2}, headers=alice.headers)
    assert [c["last_status"]["id"] for c in page.json()] == newest_first[:2]
    older = await client.get(page.links["next"]["url"], headers=alice.headers)
    assert [c["last_status"]["id"] for c in older.json()] == newest_first[2:]

    await client.delete(f"/api/v1/statuses/{posted[2]['id']}", headers=bob.headers)
    assert [c["last_status"]["id"] for c in await listed(client, alice)] == newest_first[1:]


async def test_a_muted_account_or_a_blocked_server_reaches_no_conversation(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """As on her home timeline: what she hides from herself stays out of her messages too."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        headers = await world.bearer(session, alice)
    assert (await deliver(client, note_to_alice(1))).status_code == 202
    await Worker(services.federation).run_once()

    async def senders() -> list[str]:
        found = await client.get("/api/v1/conversations", headers=headers)
        return [a["acct"] for c in found.json() for a in c["accounts"]]

    assert await senders() == ["eve@remote.example"]
    [eve] = (await client.get("/api/v1/accounts/search", params={"q": "eve@remote.example"},
                              headers=headers)).json()  # fmt: skip
    await client.post(f"/api/v1/accounts/{eve['id']}/mute", headers=headers)
    assert await senders() == []
    await client.post(f"/api/v1/accounts/{eve['id']}/unmute", headers=headers)
    assert await senders() == ["eve@remote.example"]
    await client.post("/api/v1/domain_blocks", data={"domain": "remote.example"}, headers=headers)
    assert await senders() == []
