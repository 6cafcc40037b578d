"""Replayed fediverse attacks: recursion and size bombs, and linked-data signatures.

Each test is written from the advisory's description of the attack class, not from its
exploit; each names the advisory in its docstring. The node is the in-process app on a
real database; `remote.example` is a fake server behind the node's one transport.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from activitypub import PUBLIC
from content import accounts, relationships
from content.media import MAX_REMOTE_PER_POST, MediaAttachment
from content.posts import Post, PostTag
from federation import resolve, thread_backfill
from federation.inbox import InboxItem
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver
from tests.node.test_inbox_statements import counted
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer
from tests.rig.signing import signed_post

pytestmark = pytest.mark.anyio
ALICE = f"{BASE}/users/alice"


def create(note: dict[str, Any], number: int = 1) -> dict[str, Any]:
    return {
        "id": f"{EVE}/statuses/{number}/activity",
        "type": "Create",
        "actor": EVE,
        "to": note.get("to", []),
        "object": note,
    }


def note(number: int = 1, **fields: Any) -> dict[str, Any]:
    return {
        "id": f"{EVE}/statuses/{number}",
        "type": "Note",
        "attributedTo": EVE,
        "content": "<p>hello alice</p>",
        "to": [ALICE],
        "tag": [{"type": "Mention", "href": ALICE}],
        **fields,
    }


async def count(services: Services, model: Any) -> int:
    async with services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def item_states(services: Services) -> list[str]:
    async with services.sessions() as session:
        return [item.state for item in await session.scalars(select(InboxItem))]


def fetched(remote: FakeServer, prefix: str) -> int:
    """GETs under `prefix`, by path: the transport connects to the host's pinned address,
    so a request's URL names the address, not the host."""
    path = httpx.URL(prefix).path
    return sum(1 for r in remote.requests if r.method == "GET" and r.url.path.startswith(path))


async def test_a_reply_chain_is_walked_only_so_far(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """Reply-chain recursion (Mastodon's ThreadResolveWorker and Pleroma's thread fetching
    were bounded after servers served endless chains of parents): a reply whose parent
    replies to a parent, a thousand deep, brings at most MAX_DEPTH of them (threads are
    filled in, FEP-7888), each fetched once."""
    chain = "https://remote.example/chain/"
    for depth in range(1000):
        remote.documents[f"{chain}{depth}"] = {
            "id": f"{chain}{depth}", "type": "Note", "attributedTo": EVE, "content": "up",
            "inReplyTo": f"{chain}{depth + 1}", "to": [PUBLIC],
        }  # fmt: skip

    reply = note(inReplyTo=f"{chain}0")
    assert (await deliver(client, create(reply))).status_code == 202
    await Worker(services.federation).run_once()

    assert await item_states(services) == ["applied"]
    assert await count(services, Post) == 1 + thread_backfill.MAX_DEPTH  # and the reply
    assert fetched(remote, chain) == thread_backfill.MAX_DEPTH


async def test_an_endless_paged_collection_is_never_crawled(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """Collection bombs (huge or endless `replies`/`next` pages, the amplification behind
    Mastodon's bounded FetchRepliesService): a note whose replies collection pages on
    forever, and a boost of a collection, fetch at most the one boosted document."""
    pages = "https://remote.example/replies/"
    for number in range(500):
        remote.documents[f"{pages}{number}"] = {
            "id": f"{pages}{number}", "type": "OrderedCollectionPage",
            "next": f"{pages}{number + 1}", "orderedItems": [f"{pages}{number}/item"],
        }  # fmt: skip
    remote.documents[f"{pages}all"] = {
        "id": f"{pages}all", "type": "OrderedCollection", "totalItems": 10**12,
        "first": f"{pages}0",
    }  # fmt: skip
    async with services.sessions() as session, session.begin():  # alice follows eve
        alice = await accounts.get_local(session, "alice")
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        assert alice is not None
        await relationships.add_follow(session, alice, eve, uri=f"{BASE}/f/1", accepted=True)

    with_replies = note(replies={"id": f"{pages}all", "type": "Collection", "first": f"{pages}0"})
    assert (await deliver(client, create(with_replies))).status_code == 202
    boost = {"id": f"{EVE}/boosts/1", "type": "Announce", "actor": EVE, "object": f"{pages}all",
             "to": [PUBLIC]}  # fmt: skip
    assert (await deliver(client, boost)).status_code == 202
    await Worker(services.federation).run_once()

    assert sorted(await item_states(services)) == ["applied", "applied"]
    assert fetched(remote, pages) <= 1  # the boosted collection itself, never its pages
    assert await count(services, Post) == 1


async def test_huge_tag_and_attachment_lists_are_cut_not_applied_whole(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """Size bombs in `tag` and `attachment` (Mastodon CVE-2022-46405 class: unbounded lists
    in a remote status cost the receiver per item): 12,000 hashtags, 3,000 mentions of
    distinct local accounts and 1,000 attachments in one note under the 1 MiB body limit
    are applied in a bounded number of statements and kept only up to the per-post
    limits."""
    tags: list[dict[str, str]] = [{"type": "Mention", "href": ALICE}]
    tags += [{"type": "Hashtag", "name": f"#t{n}"} for n in range(12_000)]
    tags += [{"type": "Mention", "href": f"{BASE}/users/u{n}"} for n in range(3000)]
    attachments = [
        {"type": "Image", "mediaType": "image/png", "url": f"https://remote.example/m/{n}.png"}
        for n in range(1000)
    ]
    bomb = note(tag=tags, attachment=attachments)
    assert (await deliver(client, create(bomb))).status_code == 202

    with counted(services, "before_cursor_execute", 3) as bound:
        await Worker(services.federation).run_once()
    values = sum(_values_in(parameters) for parameters in bound)

    assert await item_states(services) == ["applied"]
    assert await count(services, Post) == 1
    assert 0 < await count(services, PostTag) <= 30
    assert await count(services, MediaAttachment) == MAX_REMOTE_PER_POST
    # Work by the statement, not by the item (a wall-clock bound failed on a loaded machine):
    # 27-34 statements sending ~3,300 values (the mentions' addresses, looked up at once),
    # where anything done per item of the 16,000 would send more than that many.
    assert len(bound) <= 50
    assert values < 4000


async def test_deeply_nested_json_ld_is_refused_before_anything_is_fetched(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """Deep JSON-LD (the recursion half of the JSON-LD processing advisories, e.g. Mastodon
    CVE-2022-24307's expansion of attacker-shaped documents): an activity nested 17 levels,
    or 100,000 levels, is a 400, with no key fetched and nothing stored."""
    deep: dict[str, Any] = {"type": "Note"}
    for _ in range(17):
        deep = {"type": "Note", "inReplyTo": deep}
    shallow_enough = await deliver(client, create(note(inReplyTo=deep)))
    headers, _ = signed_post(
        "/users/alice/inbox", b"{}", host="harbour.test", key_id=f"{EVE}#main-key",
        private_pem=keypair_for_tests(3).private_pem,
    )  # fmt: skip
    very_deep = await client.post(
        "/users/alice/inbox", content=b"[" * 100_000 + b"]" * 100_000, headers=headers
    )

    assert shallow_enough.status_code == 400
    assert very_deep.status_code == 400
    assert remote.requests == []
    assert await count(services, InboxItem) == 0


async def test_a_linked_data_signature_never_stands_in_for_the_actors_http_signature(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """Never trust LD signatures (Mastodon CVE-2022-24307: an attacker reshaped a JSON-LD
    document so that a linked-data signature still verified). A Create by eve, carrying an
    LD `signature` in eve's name but forwarded by mallory with mallory's HTTP signature,
    or sent with no HTTP signature at all, is refused and nothing is applied as eve's."""
    mallory = "https://remote.example/users/mallory"
    remote.add_actor(mallory, keypair_for_tests(4), "mallory")
    forwarded = create(note(content="<p>eve never wrote this</p>"))
    forwarded["signature"] = {
        "type": "RsaSignature2017",
        "creator": f"{EVE}#main-key",
        "created": "2026-11-01T10:00:00Z",
        "signatureValue": "bm90IGEgc2lnbmF0dXJl",
    }

    by_mallory = await deliver(
        client, forwarded, key_id=f"{mallory}#main-key", keypair=keypair_for_tests(4)
    )
    unsigned = await client.post(
        "/users/alice/inbox",
        json=forwarded,
        headers={"content-type": "application/activity+json", "host": "harbour.test"},
    )
    await Worker(services.federation).run_once()

    assert by_mallory.status_code in (401, 403)
    assert unsigned.status_code == 401
    assert await count(services, InboxItem) == 0
    assert await count(services, Post) == 0


def _values_in(parameters: Any) -> int:
    """How many values a statement was sent: an executemany's rows and an array's items each
    count."""
    if isinstance(parameters, (list, tuple)):
        return sum(_values_in(one) for one in parameters)
    if isinstance(parameters, dict):
        return sum(_values_in(value) for value in parameters.values())
    return 1
