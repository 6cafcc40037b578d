"""Discussion groups cannot be used to take over posts or widen them: a remote group files
only posts written to it, a local group never makes a followers-only or direct note public,
and what a group refuses (or a banned author edits) is neither kept nor relayed."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from activitypub import PUBLIC
from content import accounts, group_threads, groups, posts, relationships
from content.audience import Visibility
from content.groups import GroupVisibility
from federation import from_wire, resolve
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_discussions import (
    GROUP,
    delete_of,
    eve_joins,
    lemmy_page,
    make_group,
    mastodon_note,
    send,
    sent,
)
from tests.node.test_inbox import deliver
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
EVIL = "https://remote.example/c/evil"
BOB = "https://victim.example/users/bob"
BOB_POST = f"{BOB}/statuses/1"


async def _evil_group(services: Services, remote: FakeServer, *, accepted: bool) -> None:
    """A remote Group alice follows (or only asked to follow), and bob, whose post we hold."""
    remote.add_actor(EVIL, keypair_for_tests(4), "evil")
    remote.documents[EVIL]["type"] = "Group"
    remote.add_actor(BOB, keypair_for_tests(5), "bob")
    remote.documents[BOB_POST] = {
        "id": BOB_POST,
        "type": "Note",
        "attributedTo": BOB,
        "to": [PUBLIC],
        "cc": [],
        "content": "<p>bob's own words</p>",
        "published": "2026-11-20T10:00:00Z",
    }
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        group = await resolve.actor_by_uri(services.federation, session, EVIL)
        bob = await resolve.actor_by_uri(services.federation, session, BOB)
        await relationships.add_follow(session, alice, group, uri="f1", accepted=accepted)
        await relationships.add_follow(session, alice, bob, uri="f2", accepted=True)
        note = remote.documents[BOB_POST]
        assert await from_wire.store_note(services.federation, session, note, bob) is not None


async def _announce(
    client: httpx.AsyncClient, services: Services, number: int, inner: dict[str, Any]
) -> None:
    body = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{EVIL}/announce/{number}",
        "type": "Announce",
        "actor": EVIL,
        "to": [PUBLIC],
        "object": {"id": f"{EVIL}/inner/{number}", "actor": EVIL, **inner},
    }
    answer = await deliver(client, body, keypair=keypair_for_tests(4), key_id=f"{EVIL}#main-key")
    assert answer.status_code == 202
    await Worker(services.federation).run_once()


async def _eve_opens_a_thread(client: httpx.AsyncClient, services: Services) -> None:
    await make_group(services)
    await eve_joins(services)
    await send(client, services, lemmy_page(1))


async def test_a_remote_group_cannot_claim_and_delete_a_post_it_did_not_carry(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await _evil_group(services, remote, accepted=True)
    await _announce(client, services, 1, {"type": "Create", "object": BOB_POST})
    await _announce(client, services, 2, {"type": "Delete", "object": BOB_POST})
    async with services.sessions() as session:
        assert await group_threads.entry_by_uri(session, BOB_POST) is None
        kept = await posts.get_by_uri(session, BOB_POST)
        assert kept is not None and "bob's own words" in kept.content_html


async def test_a_post_kept_here_moves_into_a_group_only_if_it_names_it(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await _evil_group(services, remote, accepted=True)
    opener = {**remote.documents[BOB_POST], "id": f"{BOB}/statuses/2", "cc": [EVIL]}
    remote.documents[opener["id"]] = opener
    await _announce(client, services, 1, {"type": "Create", "object": opener["id"]})
    replies = {
        f"{BOB}/statuses/{number}": {**opener, "id": f"{BOB}/statuses/{number}", "cc": cc}
        for number, cc in ((3, []), (4, [EVIL]))
    }
    async with services.sessions() as session, session.begin():
        bob = await resolve.actor_by_uri(services.federation, session, BOB)
        for uri, reply in replies.items():  # delivered to bob's followers first
            reply["inReplyTo"] = opener["id"]
            remote.documents[uri] = reply
            assert await from_wire.store_note(services.federation, session, reply, bob)
    for number, uri in enumerate(replies, start=2):
        await _announce(client, services, number, {"type": "Create", "object": uri})
    async with services.sessions() as session:
        assert await group_threads.entry_by_uri(session, opener["id"]) is not None
        assert await group_threads.entry_by_uri(session, f"{BOB}/statuses/3") is None
        assert await group_threads.entry_by_uri(session, f"{BOB}/statuses/4") is not None


async def test_a_group_only_asked_to_follow_files_nothing(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await _evil_group(services, remote, accepted=False)
    page = lemmy_page(5)["object"]
    page.update(to=[EVIL, PUBLIC], audience=EVIL)
    remote.documents[page["id"]] = page
    await _announce(client, services, 1, {"type": "Create", "object": page["id"]})
    async with services.sessions() as session:
        assert await group_threads.entry_by_uri(session, page["id"]) is None
        assert await posts.get_by_uri(session, page["id"]) is None


async def test_a_public_group_refuses_followers_only_and_direct_notes(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await _eve_opens_a_thread(client, services)
    for number, to, cc in ((7, [f"{EVE}/followers"], [GROUP]), (8, [GROUP], [])):
        body = mastodon_note(number, in_reply_to=f"{EVE}/post/1")
        note = body["object"]
        note["to"], note["cc"] = to, cc
        body["to"], body["cc"] = to, cc
        await send(client, services, body)
        async with services.sessions() as session:  # not even kept as a plain reply
            assert await posts.get_by_uri(session, note["id"]) is None
    alice = f"{BASE}/users/alice"
    private = mastodon_note(9)
    private["object"].update(to=[GROUP, alice], cc=[])
    private["object"]["tag"].append({"type": "Mention", "href": alice, "name": "@alice"})
    private.update(to=[GROUP, alice], cc=[])
    await send(client, services, private)
    async with services.sessions() as session:  # still a direct message to alice
        kept = await posts.get_by_uri(session, f"{EVE}/statuses/9")
        assert kept is not None and kept.visibility == Visibility.DIRECT
    announced = [body["object"]["id"] for body, _ in await sent(services, "Announce")]
    assert announced == [f"{EVE}/activities/create/1"]
    assert "0 replies" in (await client.get("/discussions/peers")).text
    assert "same here" not in (await client.get("/discussions/peers")).text


async def test_a_members_only_group_keeps_what_is_written_to_it_for_members(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await make_group(services, GroupVisibility.MEMBERS)
    await eve_joins(services)
    await send(client, services, lemmy_page(1, to=[f"{GROUP}/followers"], cc=[]))
    mentioned_only = mastodon_note(2)
    mentioned_only["object"].update(to=[f"{EVE}/followers"], cc=[])
    await send(client, services, mentioned_only)
    async with services.sessions() as session:
        kept = await posts.get_by_uri(session, f"{EVE}/post/1")
        assert kept is not None and kept.visibility == Visibility.MEMBERS
        assert await posts.get_by_uri(session, f"{EVE}/statuses/2") is None
    assert len(await sent(services, "Announce")) == 1


async def test_a_banned_author_s_edits_and_replies_are_not_relayed_or_kept(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await _eve_opens_a_thread(client, services)
    zoe_uri = "https://remote.example/users/zoe"
    remote.add_actor(zoe_uri, keypair_for_tests(6), "zoe")
    async with services.sessions() as session, session.begin():
        group = await accounts.get_local(session, "peers")
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        zoe = await resolve.actor_by_uri(services.federation, session, zoe_uri)
        assert group is not None
        await relationships.add_follow(session, zoe, group, uri=f"{zoe_uri}/f", accepted=True)
        await groups.ban(session, group, eve)
    edited = lemmy_page(1, content="<p>Edited after the ban</p>")
    edited.update(id=f"{EVE}/activities/update/1", type="Update")
    await send(client, services, edited)
    await send(client, services, mastodon_note(2, in_reply_to=f"{EVE}/post/1"))
    async with services.sessions() as session:
        assert await posts.get_by_uri(session, f"{EVE}/statuses/2") is None
    assert [body["object"]["type"] for body, _ in await sent(services, "Announce")] == ["Create"]
    await send(client, services, delete_of(f"{EVE}/post/1"))
    assert (await sent(services, "Announce"))[-1][0]["object"]["id"] == f"{EVE}/post/1#delete"
