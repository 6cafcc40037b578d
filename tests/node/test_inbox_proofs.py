"""FEP-8b32 integrity proofs at the inbox: a proof that holds lets an activity stand for
itself, even forwarded by another server; one that fails is refused whatever the HTTP
signature says."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from activitypub import PUBLIC, SignatureError, integrity
from content import accounts, relationships
from content.posts import Post
from federation import resolve
from federation.inbox import InboxItem
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver, note_to_alice
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio

SECRET = integrity.new_secret()
MALLORY = "https://victim.example/users/mallory"
AP = {"accept": "application/activity+json"}


@pytest.fixture
async def eve_with_key(services: Services, remote: FakeServer) -> FakeServer:
    """Eve publishes an Ed25519 key; alice follows her."""
    remote.add_actor(EVE, keypair_for_tests(3), "eve", ed25519_secret=SECRET)
    remote.add_actor(MALLORY, keypair_for_tests(4), "mallory")
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        assert alice is not None and eve.assertion_key == integrity.public_of(SECRET)
        await relationships.add_follow(session, alice, eve, uri=f"{BASE}/f/1", accepted=True)
    return remote


def proven(activity: dict[str, Any]) -> dict[str, Any]:
    return integrity.sign(activity, key_id=f"{EVE}#ed25519-key", secret=SECRET)


async def items(services: Services) -> list[InboxItem]:
    async with services.sessions() as session:
        return list(await session.scalars(select(InboxItem)))


async def test_an_activity_whose_proof_holds_is_taken(
    client: httpx.AsyncClient, services: Services, eve_with_key: FakeServer
) -> None:
    answer = await deliver(client, proven(note_to_alice(1)))
    assert answer.status_code == 202, answer.text


async def test_a_proof_with_one_changed_byte_is_refused_though_the_http_signature_holds(
    client: httpx.AsyncClient, services: Services, eve_with_key: FakeServer
) -> None:
    activity = proven(note_to_alice(2))
    body = json.dumps(activity).replace("hi ", "hI ").encode()  # signed over HTTP after
    answer = await deliver(client, body)
    assert answer.status_code == 401
    assert "integrity proof" in answer.json()["error"]
    assert await items(services) == []


async def test_a_forwarded_activity_stands_on_its_authors_proof(
    client: httpx.AsyncClient, services: Services, eve_with_key: FakeServer
) -> None:
    """Mallory's server forwards eve's activity: her proof is what counts, and the activity
    is filed as eve's; without a proof the same forward is refused."""
    key = f"{MALLORY}#main-key"
    refused = await deliver(client, note_to_alice(4), keypair=keypair_for_tests(4), key_id=key)
    assert refused.status_code == 401
    taken = await deliver(
        client, proven(note_to_alice(5)), keypair=keypair_for_tests(4), key_id=key
    )
    assert taken.status_code == 202, taken.text
    async with services.sessions() as session:
        eve = await accounts.get_by_uri(session, EVE)
        stored = await session.scalar(select(InboxItem))
        assert eve is not None and stored is not None and stored.actor_id == eve.id


@pytest.mark.parametrize(
    ("key_id", "reason"),
    [(f"{EVE}#ed25519-key", "does not verify"), (f"{MALLORY}#ed25519-key", "author's key")],
)
async def test_a_proof_made_with_another_key_is_refused(
    client: httpx.AsyncClient,
    services: Services,
    eve_with_key: FakeServer,
    key_id: str,
    reason: str,
) -> None:
    """A proof by a key eve does not publish, under her key id or another actor's."""
    forged = integrity.sign(note_to_alice(3), key_id=key_id, secret=integrity.new_secret())
    answer = await deliver(client, forged)
    assert answer.status_code == 401
    assert reason in answer.json()["error"]
    assert await items(services) == []


async def test_what_harbour_publishes_carries_a_proof_that_verifies(
    client: httpx.AsyncClient, services: Services, eve_with_key: FakeServer
) -> None:
    """The actor publishes its key (FEP-521a); a note and its Create, as fetched, verify
    with it, and a changed byte does not."""
    actor = (await client.get("/users/alice", headers=AP)).json()
    multikey = integrity.parse_multikey(actor["assertionMethod"], actor["id"])
    assert multikey is not None and multikey.id == f"{actor['id']}#ed25519-key"
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        post = await world.post(session, alice, "Signed by its author")
    path = post.uri.removeprefix(BASE)
    for document in [(await client.get(p, headers=AP)).json() for p in (path, f"{path}/activity")]:
        integrity.verify(document, multikey.public)
        assert document["proof"]["verificationMethod"] == multikey.id
        document["published"] = "2020-01-01T00:00:00Z"
        with pytest.raises(SignatureError):
            integrity.verify(document, multikey.public)


async def test_a_boosted_note_stands_on_its_authors_proof_and_is_not_fetched_again(
    client: httpx.AsyncClient, services: Services, eve_with_key: FakeServer
) -> None:
    """Mallory boosts eve's note, embedded: with eve's valid proof it is taken as it came;
    with one changed byte it is fetched from eve's server instead (here: not found)."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        mallory = await resolve.actor_by_uri(services.federation, session, MALLORY)
        assert alice is not None
        await relationships.add_follow(session, alice, mallory, uri=f"{BASE}/f/2", accepted=True)
    for number, altered in ((7, False), (8, True)):
        note = proven({"@context": "https://www.w3.org/ns/activitystreams",
                       **note_to_alice(number)["object"], "to": [PUBLIC]})  # fmt: skip
        if altered:
            note["content"] = "<p>words eve never wrote</p>"
        boost = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{MALLORY}/boosts/{number}",
            "type": "Announce",
            "actor": MALLORY,
            "to": [PUBLIC],
            "object": note,
        }
        answer = await deliver(
            client, boost, keypair=keypair_for_tests(4), key_id=f"{MALLORY}#main-key"
        )
        assert answer.status_code == 202, answer.text
    await Worker(services.federation).run_once()
    fetched = [r.url.path for r in eve_with_key.requests if r.method == "GET"]
    assert "/users/eve/statuses/7" not in fetched and "/users/eve/statuses/8" in fetched
    async with services.sessions() as session:
        kept = {p.uri: p.content_html for p in await session.scalars(select(Post))}
    assert f"{EVE}/statuses/7" in kept and f"{EVE}/statuses/8" not in kept


async def test_a_forwarded_activity_with_an_old_proof_is_not_taken_on_it(
    client: httpx.AsyncClient, services: Services, eve_with_key: FakeServer
) -> None:
    """Attack F2: a server kept eve's proven activity and forwards it days later (she may
    have deleted the post since): the old proof does not stand for her; sent by her own
    server, the same activity is taken (its HTTP signature is fresh)."""
    old = integrity.sign(
        note_to_alice(9),
        key_id=f"{EVE}#ed25519-key",
        secret=SECRET,
        created=datetime.now(UTC) - timedelta(days=2),
    )
    key = f"{MALLORY}#main-key"
    forwarded = await deliver(client, old, keypair=keypair_for_tests(4), key_id=key)
    assert forwarded.status_code == 401
    assert (await deliver(client, old)).status_code == 202
