"""Threads (FEP-7888): the collections a post's thread is served as, and the bounded,
policy-bound filling in of a thread this node has only part of."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from activitypub import PUBLIC
from content import accounts
from content.audience import Visibility
from content.posts import Post
from federation import thread_backfill
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
AP = {"accept": "application/activity+json"}
CONTEXT = f"{EVE}/statuses/1/context"


def eve_note(number: int, parent: int | None, **extra: Any) -> dict[str, Any]:
    note = {
        "id": f"{EVE}/statuses/{number}",
        "type": "Note",
        "attributedTo": EVE,
        "content": f"<p>note {number}</p>",
        "to": [PUBLIC],
        "published": "2026-11-01T10:00:00Z",
        "context": CONTEXT,
        **extra,
    }
    if parent is not None:
        note["inReplyTo"] = f"{EVE}/statuses/{parent}"
    return note


def reply_to_alice(note: dict[str, Any]) -> dict[str, Any]:
    """Eve's note delivered to alice, mentioning her (so it is kept here)."""
    mentioned = {**note, "tag": [{"type": "Mention", "href": f"{BASE}/users/alice"}]}
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{note['id']}/activity",
        "type": "Create",
        "actor": EVE,
        "to": [PUBLIC, f"{BASE}/users/alice"],
        "object": mentioned,
    }


async def kept(services: Services) -> set[str]:
    async with services.sessions() as session:
        return set(await session.scalars(select(Post.uri)))


async def test_a_local_post_links_its_thread_and_replies_and_serves_them(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        root = await world.post(session, alice, "Is the clinic open?")
        answer = await world.post(session, alice, "Yes, until 8")
        answer.in_reply_to_uri = root.uri
        hidden = await world.post(session, alice, "only for you", visibility=Visibility.DIRECT)
        hidden.in_reply_to_uri = root.uri
        shy = await world.local_member(session, "shy", base_url=BASE)
        shy.hide_from_guests = True  # her replies are on no list (attack F7)
        unlisted = await world.post(session, shy, "I was there too")
        unlisted.in_reply_to_uri = root.uri
    path = answer.uri.removeprefix(BASE)
    note = (await client.get(path, headers=AP)).json()
    # Every post of a thread begun here names the root's collection.
    assert note["context"] == f"{root.uri}/context"
    assert note["replies"] == f"{answer.uri}/replies"
    thread = (await client.get(f"{path}/context", headers=AP)).json()
    assert thread["orderedItems"] == [root.uri, answer.uri]  # never the direct one
    replies = (await client.get(f"{root.uri.removeprefix(BASE)}/replies", headers=AP)).json()
    assert replies["orderedItems"] == [answer.uri]


async def test_a_reply_to_an_unknown_post_brings_its_thread(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """Eve's reply arrives alone: its parent chain is fetched, then the root's context
    collection, which brings the reply beside the chain too."""
    for number, parent in ((1, None), (2, 1), (3, 2), (4, 1)):
        remote.documents[f"{EVE}/statuses/{number}"] = eve_note(number, parent)
    remote.documents[CONTEXT] = {
        "id": CONTEXT,
        "type": "OrderedCollection",
        "orderedItems": [f"{EVE}/statuses/{n}" for n in (1, 2, 3, 4, 5)],
    }
    answer = await deliver(client, reply_to_alice(eve_note(5, 3)))
    assert answer.status_code == 202
    await Worker(services.federation).run_once()
    assert await kept(services) == {f"{EVE}/statuses/{n}" for n in (1, 2, 3, 4, 5)}


async def test_the_filling_in_asks_no_server_this_node_does_not_federate_with(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    remote.documents[f"{EVE}/statuses/1"] = eve_note(1, None)
    elsewhere = "https://unknown.example/notes/9"
    remote.documents[CONTEXT] = {
        "id": CONTEXT,
        "type": "OrderedCollection",
        "orderedItems": [f"{EVE}/statuses/1", elsewhere],
    }
    await deliver(client, reply_to_alice(eve_note(2, 1)))
    await Worker(services.federation).run_once()
    assert await kept(services) == {f"{EVE}/statuses/1", f"{EVE}/statuses/2"}
    assert all(r.url.host != "unknown.example" for r in remote.requests)


async def test_an_endless_chain_is_followed_only_so_far(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    depth = thread_backfill.MAX_DEPTH
    for number in range(1, depth + 10):
        remote.documents[f"{EVE}/statuses/{number}"] = eve_note(number, number + 1, context=None)
    await deliver(client, reply_to_alice(eve_note(0, 1, context=None)))
    await Worker(services.federation).run_once()
    assert len(await kept(services)) == depth + 1  # the reply and MAX_DEPTH ancestors


async def test_a_thread_a_member_opens_in_an_app_is_filled_in(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """Eve's reply came when its parents could not be had; alice opens it in her app: the
    worker fills the thread in, and opening it again shows all of it."""
    await deliver(client, reply_to_alice(eve_note(3, 2)))  # 1 and 2 are not served yet
    await Worker(services.federation).run_once()
    assert await kept(services) == {f"{EVE}/statuses/3"}
    for number, parent in ((1, None), (2, 1)):
        remote.documents[f"{EVE}/statuses/{number}"] = eve_note(number, parent)
    remote.documents[f"{EVE}/statuses/3"] = eve_note(3, 2)
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        headers = await world.bearer(session, alice)
        reply_id = await session.scalar(select(Post.id).where(Post.uri == f"{EVE}/statuses/3"))

    def contents(statuses: list[dict[str, Any]]) -> list[str]:
        return [s["content"] for s in statuses]

    path = f"/api/v1/statuses/{reply_id}/context"
    assert (await client.get(path, headers=headers)).json()["ancestors"] == []
    await Worker(services.federation).run_once()
    opened = (await client.get(path, headers=headers)).json()
    assert contents(opened["ancestors"]) == ["<p>note 1</p>", "<p>note 2</p>"]
    root_id = opened["ancestors"][0]["id"]
    below = (await client.get(f"/api/v1/statuses/{root_id}/context", headers=headers)).json()
    assert contents(below["descendants"]) == ["<p>note 2</p>", "<p>note 3</p>"]  # all of it


async def test_two_fillings_in_of_one_thread_at_once_both_finish_and_store_it_once(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """Two members open two replies of one thread at the same moment: both fillings-in
    fetch the same ancestors, and the one that stores a post second takes it as stored."""
    for number, parent in ((1, None), (2, 1), (3, 2), (4, 2)):
        remote.documents[f"{EVE}/statuses/{number}"] = eve_note(number, parent, context=None)
    fed = services.federation
    filled = await asyncio.gather(
        *(thread_backfill.fill_in(fed, f"{EVE}/statuses/{n}") for n in (3, 4, 3, 4))
    )
    assert sum(filled) >= 2  # each ancestor counted by whichever stored it
    assert await kept(services) == {f"{EVE}/statuses/{n}" for n in (1, 2)}
