"""The inbox as a remote server meets it: what is accepted, what is refused, and why."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from activitypub import PUBLIC, KeyPair, parse_actor
from activitypub.hostnames import InvalidHost
from content import accounts, relationships, timelines
from content.accounts import Account
from content.orm import utcnow
from content.posts import Post
from federation import resolve
from federation.handlers.notes import NOT_RELEVANT
from federation.inbox import InboxItem
from federation.worker import Worker
from moderation import account_blocks, allowlist, reports
from moderation.policy import FederationMode
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer
from tests.rig.signing import signed_post
from tests.rig.strict import inbox_outcome

pytestmark = pytest.mark.anyio


def note_to_alice(number: int = 1, **changes: object) -> dict[str, object]:
    note = {
        "id": f"{EVE}/statuses/{number}",
        "type": "Note",
        "attributedTo": EVE,
        "content": "<p>hi <script>alert(1)</script>alice</p>",
        "to": [f"{BASE}/users/alice"],
        "tag": [{"type": "Mention", "href": f"{BASE}/users/alice"}],
        "published": "2026-11-01T10:00:00Z",
    }
    activity = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{EVE}/statuses/{number}/activity",
        "type": "Create",
        "actor": EVE,
        "to": note["to"],
        "object": note,
    }
    activity.update(changes)
    return activity


async def deliver(
    client: httpx.AsyncClient,
    activity: dict[str, object] | bytes,
    *,
    keypair: KeyPair | None = None,
    key_id: str = f"{EVE}#main-key",
    tamper: bool = False,
    **sign_options: object,
) -> httpx.Response:
    headers, body = signed_post(
        "/users/alice/inbox",
        activity,
        host="harbour.test",
        key_id=key_id,
        private_pem=(keypair or keypair_for_tests(3)).private_pem,
        **sign_options,
    )  # type: ignore[arg-type]
    if tamper:
        body = body.replace(b"hi", b"HI")
    return await client.post("/users/alice/inbox", content=body, headers=headers)


async def alice_follows_eve(services: Services, *, accepted: bool) -> None:
    """alice follows eve (`accepted`), or has asked to."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        assert alice is not None
        await relationships.add_follow(session, alice, eve, uri=f"{BASE}/f/1", accepted=accepted)


async def stored_posts(services: Services) -> int:
    async with services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Post)) or 0)


async def test_a_signed_mention_is_accepted_applied_and_sanitised(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    response = await deliver(client, note_to_alice())
    assert response.status_code == 202
    assert await Worker(services.federation).run_once() >= 1
    async with services.sessions() as session:
        post = await session.scalar(select(Post))
    assert post is not None
    assert post.content_html == "<p>hi alice</p>"
    assert post.visibility == "direct"
    again = await deliver(client, note_to_alice())
    assert again.status_code == 202
    await Worker(services.federation).run_once()
    assert await stored_posts(services) == 1


async def test_unsigned_tampered_and_wrongly_signed_requests_are_refused(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    unsigned = await client.post(
        "/users/alice/inbox",
        content=json.dumps(note_to_alice()),
        headers={"content-type": "application/activity+json", "digest": "SHA-256=x"},
    )
    assert unsigned.status_code == 401
    tampered = await deliver(client, note_to_alice(), tamper=True)
    assert tampered.status_code == 401
    assert tampered.json() == {"error": "the body does not match its SHA-256 digest"}
    wrong_key = await deliver(client, note_to_alice(), keypair=keypair_for_tests(4))
    assert wrong_key.status_code == 401
    assert wrong_key.json() == {"error": "the signature does not match the request"}
    stale = await deliver(client, note_to_alice(), now=utcnow() - timedelta(hours=2))
    assert stale.status_code == 401
    assert "too far from now" in stale.json()["error"]
    assert await stored_posts(services) == 0


async def test_rfc9421_deliveries_are_accepted_and_checked_like_draft_cavage_ones(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    tampered = await deliver(client, note_to_alice(), tamper=True, rfc9421=True)
    assert tampered.json() == {"error": "the body does not match its Content-Digest"}
    wrong_key = await deliver(client, note_to_alice(), keypair=keypair_for_tests(4), rfc9421=True)
    assert wrong_key.status_code == 401 and "does not verify" in wrong_key.json()["error"]
    stale = await deliver(client, note_to_alice(), now=utcnow() - timedelta(hours=2), rfc9421=True)
    assert stale.json() == {"error": "the signature is too old"}
    mallory = "https://remote.example/users/mallory"
    remote.add_actor(mallory, keypair_for_tests(4), "mallory")
    impersonation = await deliver(
        client,
        note_to_alice(actor=EVE),
        keypair=keypair_for_tests(4),
        key_id=f"{mallory}#main-key",
        rfc9421=True,
    )
    assert impersonation.json() == {"error": "the key's owner is not the activity's actor"}
    assert await stored_posts(services) == 0
    assert (await deliver(client, note_to_alice(), rfc9421=True)).status_code == 202
    assert await Worker(services.federation).run_once() >= 1
    assert await stored_posts(services) == 1


async def test_the_key_owner_must_be_the_actor_and_ids_must_be_on_its_host(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    mallory = "https://remote.example/users/mallory"
    remote.add_actor(mallory, keypair_for_tests(4), "mallory")
    impersonation = await deliver(
        client, note_to_alice(actor=EVE), keypair=keypair_for_tests(4), key_id=f"{mallory}#main-key"
    )
    assert impersonation.status_code == 401
    assert impersonation.json() == {"error": "the key's owner is not the activity's actor"}
    foreign_id = await deliver(client, note_to_alice(id="https://elsewhere.example/a/1"))
    assert foreign_id.status_code == 403

    # An embedded note claiming another server's id is not trusted, and not stored.
    forged = note_to_alice()
    forged["object"] = {**forged["object"], "id": "https://elsewhere.example/notes/1"}  # type: ignore[dict-item]
    assert (await deliver(client, forged)).status_code == 202
    await Worker(services.federation).run_once()
    assert await stored_posts(services) == 0
    async with services.sessions() as session:
        outcome = await inbox_outcome(session, str(forged["id"]))
    assert outcome == ("ignored", "the note is not the actor's")


async def test_malformed_and_unknown_activities(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    assert (await deliver(client, b"{not json")).json() == {"error": "the body is not JSON"}
    no_actor = await deliver(client, {"id": f"{EVE}/x", "type": "Create"})
    assert no_actor.status_code == 400 and no_actor.json() == {"error": "an activity needs 'actor'"}
    deep: dict[str, object] = {}
    for _ in range(40):
        deep = {"a": deep}
    assert (await deliver(client, note_to_alice(extra=deep))).status_code == 400
    long_id = {"id": f"{EVE}/{'x' * 3000}", "type": "Dance", "actor": EVE}
    too_long = await deliver(client, long_id)  # a 500 on PostgreSQL before: its column is 2048
    assert too_long.json() == {"error": "an id has at most 2048 characters"}
    dance = await deliver(client, {"id": f"{EVE}/dance/1", "type": "Dance", "actor": EVE})
    assert dance.status_code == 202
    long_reply = note_to_alice(8)  # a DataError retried on PostgreSQL, before
    long_reply["object"] = {**long_reply["object"], "inReplyTo": f"{EVE}/{'x' * 3000}"}  # type: ignore[dict-item]
    assert (await deliver(client, long_reply)).status_code == 202
    chat = note_to_alice(9)  # Pleroma's chat messages are not posts
    chat["object"] = {**chat["object"], "type": "ChatMessage"}  # type: ignore[dict-item]
    assert (await deliver(client, chat)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        ended = sorted(
            (i.activity_type, i.state, i.outcome) for i in await session.scalars(select(InboxItem))
        )
    assert ended == [
        ("Create", "ignored", "Harbour does not act on Create (ChatMessage)"),
        ("Create", "ignored", "an id longer than 2048 characters"),
        ("Dance", "ignored", "Harbour does not act on Dance"),
    ]
    assert await stored_posts(services) == 0


async def test_hosts_off_the_allowlist_are_refused_before_anything_is_fetched(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        await allowlist.disallow(session, "remote.example")
    refused = await deliver(client, note_to_alice())
    assert refused.status_code == 403
    assert refused.json() == {"error": "this node does not federate with your server"}
    assert remote.requests == []


async def test_a_rotated_key_is_fetched_again_once(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    assert (await deliver(client, note_to_alice(1))).status_code == 202
    remote.add_actor(EVE, keypair_for_tests(5), "eve")  # eve's server rotates her key
    rotated = await deliver(client, note_to_alice(2), keypair=keypair_for_tests(5))
    assert rotated.status_code == 202
    fetches = [r for r in remote.requests if r.method == "GET"]
    assert len(fetches) == 2  # first sight, then once more after the failed verification
    assert all("signature" in r.headers for r in fetches)  # signed by the instance actor


async def test_public_post_from_an_unfollowed_stranger_is_not_stored(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    stranger = note_to_alice(3, to=[PUBLIC])
    stranger["object"] = {**stranger["object"], "to": [PUBLIC], "tag": []}  # type: ignore[dict-item]
    assert (await deliver(client, stranger)).status_code == 202
    await Worker(services.federation).run_once()
    assert await stored_posts(services) == 0
    async with services.sessions() as session:
        assert await inbox_outcome(session, str(stranger["id"])) == ("ignored", NOT_RELEVANT)


async def test_a_post_that_overtakes_the_accept_of_a_follow_waits_for_it(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """A server that accepts a follow and posts at once may deliver both together; the post
    must reach the follower's home whichever arrives first."""
    await alice_follows_eve(services, accepted=False)
    overtaking = note_to_alice(4, to=[PUBLIC])
    overtaking["object"] = {**overtaking["object"], "to": [PUBLIC], "tag": []}  # type: ignore[dict-item]
    assert (await deliver(client, overtaking)).status_code == 202
    await Worker(services.federation).run_once()
    assert await stored_posts(services) == 0
    async with services.sessions() as session:
        assert await session.scalar(select(InboxItem.state)) == "retry"  # held back, quietly

    follow = {"id": f"{BASE}/f/1", "type": "Follow", "actor": f"{BASE}/users/alice", "object": EVE}
    accept = {"id": f"{EVE}#accepts/1", "type": "Accept", "actor": EVE, "object": follow}
    assert (await deliver(client, accept)).status_code == 202
    await Worker(services.federation).run_once()  # the Accept; it wakes the post
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        home = await timelines.home(session, alice)
    assert [entry.post.content_html for entry in home] == ["<p>hi alice</p>"]


async def test_a_flag_from_another_server_lands_in_the_moderation_queue(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        post = await world.post(session, alice, "something reported")
    flag = {
        "id": "https://remote.example/flags/1",
        "type": "Flag",
        "actor": EVE,
        "object": [f"{BASE}/users/alice", post.uri],
        "content": "spam, please look",
    }
    assert (await deliver(client, flag)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        queue = await reports.open_reports(session)
    assert len(queue) == 1
    assert queue[0].origin_domain == "remote.example"
    assert queue[0].comment == "spam, please look"
    assert json.loads(queue[0].post_uris) == [post.uri]


async def test_a_remote_block_ends_the_follow_and_its_undo_is_honoured(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    follow = {
        "id": f"{EVE}#follows/1",
        "type": "Follow",
        "actor": EVE,
        "object": f"{BASE}/users/alice",
    }
    assert (await deliver(client, follow)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        assert [f.follower_id for f, _ in await relationships.pending_requests(session, alice)]
    block = {
        "id": f"{EVE}#blocks/1",
        "type": "Block",
        "actor": EVE,
        "object": f"{BASE}/users/alice",
    }
    assert (await deliver(client, block)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        assert await relationships.pending_requests(session, alice) == []
        assert await account_blocks.blocked_either_way(session, alice) != set()
    undo = {"id": f"{EVE}#undos/1", "type": "Undo", "actor": EVE, "object": block}
    assert (await deliver(client, undo)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        assert await account_blocks.blocked_either_way(session, alice) == set()


async def test_a_boosted_post_is_fetched_from_its_origin_and_must_be_its_own(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    # alice follows eve, so eve's boosts matter here.
    await alice_follows_eve(services, accepted=True)
    mallory = "https://remote.example/users/mallory"
    victim = "https://victim.example/users/vic"
    remote.add_actor(mallory, keypair_for_tests(4), "mallory")
    remote.add_actor(victim, keypair_for_tests(5), "vic")
    honest = {
        "id": "https://remote.example/notes/honest",
        "type": "Note",
        "attributedTo": mallory,
        "content": "<p>real</p>",
        "to": [PUBLIC],
    }
    # Served by remote.example, but claiming to be victim.example's post by vic.
    forged = {
        "id": "https://victim.example/notes/1",
        "type": "Note",
        "attributedTo": victim,
        "content": "<p>forged</p>",
        "to": [PUBLIC],
    }
    remote.documents[honest["id"]] = honest
    remote.documents["https://remote.example/notes/forged"] = forged
    for number, target in enumerate((honest["id"], "https://remote.example/notes/forged")):
        announce = {
            "id": f"{EVE}#announces/{number}",
            "type": "Announce",
            "actor": EVE,
            "object": target,
            "to": [PUBLIC],
        }
        assert (await deliver(client, announce)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        kept = [p.content_html for p in await session.scalars(select(Post))]
    assert kept == ["<p>real</p>"]


async def test_an_actor_id_with_user_information_does_not_pass_as_an_allowed_host(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    sneaky = "https://remote.example:443@evil.example/users/mallory"
    activity = note_to_alice(7, actor=sneaky, id=f"{sneaky}/activity")
    refused = await deliver(client, activity, key_id=f"{sneaky}#main-key")
    assert refused.status_code == 400
    assert "user information" in refused.json()["error"]
    assert remote.requests == []


async def test_an_actor_id_with_an_unparsable_port_is_refused_never_stored_as_local(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """Finding 2: an id whose port cannot be parsed once gave an empty domain, so the actor
    was stored as if it were this node's own `@organisation`."""
    services.federation.mode = FederationMode.OPEN
    odd = "https://remote.example:99999/users/organisation"
    remote.add_actor(odd, keypair_for_tests(3), "organisation")
    activity = note_to_alice(8, actor=odd, id=f"{odd}/activity")
    activity["object"] = {**activity["object"], "id": f"{odd}/8", "attributedTo": odd}
    refused = await deliver(client, activity, key_id=f"{odd}#main-key")
    assert refused.status_code == 400
    assert "port" in refused.json()["error"]
    assert remote.requests == []
    async with services.sessions() as session:
        assert (await session.scalars(select(Account).where(Account.uri == odd))).all() == []
        assert await session.scalar(select(func.count()).select_from(InboxItem)) == 0
        # Wherever a remote actor is stored, an empty or foreign domain is refused.
        eve = parse_actor(remote.documents[EVE])
        for actor, domain in ((replace(eve, id=odd), ""), (eve, ""), (eve, "harbour.test")):
            with pytest.raises(InvalidHost):
                await accounts.upsert_remote(session, actor, domain)
        with pytest.raises(ValueError, match="host"):
            Account(uri=odd, domain="")


@pytest.mark.parametrize(
    "respelled", ["https://REMOTE.example", "https://remote.example.", "https://remote.example:443"]
)
async def test_a_note_whose_id_respells_its_authors_host_is_never_stored(
    client: httpx.AsyncClient, services: Services, remote: FakeServer, respelled: str
) -> None:
    """Ids are stored only as their origin writes them: one canonical host, never a
    re-spelling that other checks would read as another server."""
    await alice_follows_eve(services, accepted=True)
    activity = note_to_alice(9)
    activity["object"] = {**activity["object"], "id": f"{respelled}/users/eve/statuses/9"}
    assert (await deliver(client, activity)).status_code == 202
    await Worker(services.federation).run_once()
    async with services.sessions() as session:
        assert (await session.scalars(select(Post.uri))).all() == []


async def test_a_request_signed_for_another_host_is_refused(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    headers, body = signed_post(
        "/users/alice/inbox",
        note_to_alice(),
        host="other.example",
        key_id=f"{EVE}#main-key",
        private_pem=keypair_for_tests(3).private_pem,
    )
    replayed = await client.post("/users/alice/inbox", content=body, headers=headers)
    assert replayed.status_code == 401
    assert replayed.json() == {"error": "the request is signed for another host"}
