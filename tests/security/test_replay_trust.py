"""Published fediverse vulnerabilities, replayed against Harbour: what a node trusts too soon.
Signatures that fail after the activity ran, follows taken as accepted, suspended accounts
coming back through boosts, and uploads served as something other than images.

Each test names the advisory it was written from and the class of attack it covers. The
node runs in-process on a real database; remote servers are a fake at the transport.
"""

from __future__ import annotations

import io
import json
from dataclasses import replace
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select

from activitypub import PUBLIC
from activitypub.signatures import RequestParts, sign
from content import accounts
from content.accounts import Account
from content.interactions import Interaction
from content.notifications import Notification
from content.posts import Post
from content.relationships import Follow, FollowState
from federation import resolve
from federation.inbox import InboxItem
from federation.resolve import ResolveError
from federation.transport import Transport, TransportPolicy
from federation.worker import Worker
from moderation import domain_blocks
from moderation.domain_blocks import BlockTerms
from node.settings import Settings
from node.state import Services
from tests.node.conftest import BASE, DOMAIN, EVE
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer
from tests.security.test_replay_origin_ssrf import (
    AP,
    VIC,
    _with_redirects,
    alice_follows,
    create,
    deliver,
)

pytestmark = pytest.mark.anyio
ALICE = f"{BASE}/users/alice"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The node runs authorized fetch, as a node under attack would."""
    return replace(settings, authorized_fetch=True)


async def count(services: Services, model: Any) -> int:
    async with services.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def remote_accounts(services: Services) -> set[str]:
    async with services.sessions() as session:
        return set(await session.scalars(select(Account.uri).where(Account.domain.is_not(None))))


async def alice_token(services: Services) -> dict[str, str]:
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        return await world.bearer(session, alice)


def signed_get(path: str, key_id: str = f"{EVE}#main-key", seed: int = 3) -> dict[str, str]:
    headers = {"host": DOMAIN, **AP}
    private_pem = keypair_for_tests(seed).private_pem
    headers.update(sign(RequestParts("GET", path, headers), key_id=key_id, private_pem=private_pem))
    return headers


async def test_a_failed_signature_leaves_no_trace(
    client: httpx.AsyncClient,
    services: Services,
    remote: FakeServer,
) -> None:
    """Fedify CVE-2025-54888 (GHSA-6jcc-xgcr-q3h4), signature checks with side effects: the
    activity was processed before the key's owner was checked. An activity whose signature
    is invalid, made with another actor's key, or whose key's owner is not its `actor` leaves
    no inbox item, post, follow, like, boost or notification; only the key's actor is cached.
    The same holds for a signed GET under authorized fetch."""
    remote.add_actor(VIC, keypair_for_tests(5), "vic")
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        mine = await world.post(session, alice, "alice's public words")
    mine_uri = f"{ALICE}/statuses/{mine.id}"

    def activities(actor: str, round_: int) -> list[dict[str, Any]]:
        note = {"id": f"{actor}/statuses/{round_}", "type": "Note", "attributedTo": actor,
                "content": "<p>hello @alice</p>", "to": [PUBLIC, ALICE],
                "tag": [{"type": "Mention", "href": ALICE}]}  # fmt: skip
        return [
            create(actor, note, 100 + round_),
            {"id": f"{actor}/follows/{round_}", "type": "Follow", "actor": actor, "object": ALICE},
            {"id": f"{actor}/likes/{round_}", "type": "Like", "actor": actor, "object": mine_uri},
            {
                "id": f"{actor}/boosts/{round_}",
                "type": "Announce",
                "actor": actor,
                "object": mine_uri,
                "to": [PUBLIC],
            },  # fmt: skip
        ]

    # A key document on eve's server claiming vic as its owner, with eve's key in it.
    claimed_key = "https://remote.example/keys/vic"
    remote.documents[claimed_key] = {"id": claimed_key, "type": "Key", "owner": VIC,
                                     "publicKeyPem": keypair_for_tests(3).public_pem}  # fmt: skip
    # (actor named, keyId, key the signature is made with, whether a GET is validly signed)
    attempts = [
        (EVE, f"{EVE}#main-key", 4, False),  # not eve's key: the signature is invalid
        (EVE, f"{VIC}#main-key", 3, False),  # vic's keyId, signed with eve's key
        (VIC, claimed_key, 3, False),  # a key whose claimed owner does not publish it
        (EVE, f"{VIC}#main-key", 5, True),  # vic's own valid signature on eve's activity
        (VIC, f"{EVE}#main-key", 3, True),  # eve's valid signature on vic's activity
    ]
    for round_, (actor, key_id, seed, valid_get) in enumerate(attempts):
        for activity in activities(actor, round_):
            answer = await deliver(client, activity, key_id=key_id, keys=keypair_for_tests(seed))
            assert answer.status_code == 401, (actor, key_id, activity["type"])
        if valid_get:
            continue  # a GET names no actor: these signatures are valid ones
        # A signed GET of a post under authorized fetch, with the same invalid signatures.
        path = f"/users/alice/statuses/{mine.id}"
        refused = await client.get(path, headers=signed_get(path, key_id, seed))
        assert refused.status_code == 401
        assert "alice's public words" not in refused.text
    await Worker(services.federation).run_once()
    for model in (InboxItem, Follow, Interaction, Notification):
        assert await count(services, model) == 0, model
    assert await count(services, Post) == 1  # alice's own
    # Only the keys' actors were fetched and kept, never an actor only named in a body.
    assert await remote_accounts(services) <= {EVE, VIC}
    # The same activities signed properly by eve are applied: the refusals were the checks.
    for activity in activities(EVE, 9):
        assert (await deliver(client, activity)).status_code == 202
    await Worker(services.federation).run_once()
    assert await count(services, InboxItem) == 4
    assert await count(services, Follow) == 1


async def test_a_follow_waits_for_approval_before_followers_only_posts_reach_it(
    client: httpx.AsyncClient,
    services: Services,
    remote: FakeServer,
) -> None:
    """Pixelfed CVE-2025-30741, follows accepted without approval: a remote Follow of an
    account that approves followers was taken as accepted, and followers-only posts went to
    the requester. Here the follow stays pending until alice approves it: her followers-only
    posts are not delivered to eve's server (nor ever served to a signed GET of the post, the
    outbox or the pinned posts), and an `Accept` forged by eve's own server changes nothing.
    Once she approves, they are delivered."""
    headers = await alice_token(services)
    follow_id = f"{EVE}/follows/1"
    follow = {"id": follow_id, "type": "Follow", "actor": EVE, "object": ALICE}
    assert (await deliver(client, follow)).status_code == 202
    await Worker(services.federation).run_once()

    async def state() -> str:
        async with services.sessions() as session:
            return str(await session.scalar(select(Follow.state).where(Follow.uri == follow_id)))

    async def post_privately(text: str) -> str:
        answer = await client.post(
            "/api/v1/statuses", headers=headers, json={"status": text, "visibility": "private"}
        )
        assert answer.status_code == 200, answer.text
        pinned = await client.post(f"/api/v1/statuses/{answer.json()['id']}/pin", headers=headers)
        assert pinned.status_code == 200, pinned.text
        await Worker(services.federation).run_once()
        return str(answer.json()["id"])

    def delivered(text: str) -> bool:
        return any(r.method == "POST" and text in r.content.decode() for r in remote.requests)

    async def served_to_eve(post_id: str, text: str) -> bool:
        path = f"/users/alice/statuses/{post_id}"
        answers = [await client.get(path, headers=signed_get(path))]
        for listing in ("/users/alice/outbox?page=true", "/users/alice/collections/featured"):
            answers.append(await client.get(listing, headers=signed_get(listing)))
            assert answers[-1].status_code == 200
        return answers[0].status_code == 200 or any(text in a.text for a in answers)

    assert await state() == FollowState.PENDING
    first = await post_privately("only for my followers, before")
    assert not delivered("only for my followers, before")
    assert not await served_to_eve(first, "only for my followers, before")
    # eve's server "accepts" her own follow, and signs an Accept in alice's name.
    forged = {"id": f"{EVE}/accepts/1", "type": "Accept", "actor": EVE, "object": follow}
    assert (await deliver(client, forged)).status_code == 202
    as_alice = {**forged, "id": f"{EVE}/accepts/2", "actor": ALICE}
    assert (await deliver(client, as_alice)).status_code in (400, 401, 403)
    await Worker(services.federation).run_once()
    assert await state() == FollowState.PENDING
    second = await post_privately("only for my followers, still")
    assert not delivered("only for my followers, still")
    assert not await served_to_eve(second, "only for my followers, still")
    # alice approves: now her followers-only posts reach eve's server.
    async with services.sessions() as session:
        eve = await accounts.get_by_uri(session, EVE)
        assert eve is not None
    approved = await client.post(f"/api/v1/follow_requests/{eve.id}/authorize", headers=headers)
    assert approved.status_code == 200, approved.text
    await Worker(services.federation).run_once()
    assert await state() == FollowState.ACCEPTED
    third = await post_privately("only for my followers, after")
    assert delivered("only for my followers, after")
    # Followers-only posts reach followers by delivery only: no GET ever serves them.
    assert not await served_to_eve(third, "only for my followers, after")


async def test_suspended_accounts_do_not_come_back_through_boosts(
    client: httpx.AsyncClient,
    services: Services,
    remote: FakeServer,
) -> None:
    """Suspended accounts' posts arriving through boosts (Mastodon and Misskey issue reports
    of suspended or blocked accounts seen again in boosts): an `Announce` by an allowed
    account of a suspended account's post, or of a post on a suspended domain, does not
    bring it in, and a boost by a suspended account is not kept."""
    remote.add_actor(VIC, keypair_for_tests(5), "vic")
    await alice_follows(services, EVE)
    headers = await alice_token(services)

    def vic_note(number: int) -> str:
        uri = f"{VIC}/statuses/{number}"
        text = f"<p>suspended words {number}</p>"
        remote.documents[uri] = {"id": uri, "type": "Note", "attributedTo": VIC,
                                 "content": text, "to": [PUBLIC]}  # fmt: skip
        return uri

    async def eve_boosts(uri: str, number: int) -> None:
        boost = {"id": f"{EVE}/boosts/{number}", "type": "Announce", "actor": EVE,
                 "object": uri, "to": [PUBLIC], "cc": [f"{EVE}/followers"]}  # fmt: skip
        assert (await deliver(client, boost)).status_code == 202
        await Worker(services.federation).run_once()

    async def seen(text: str) -> bool:
        timelines = ["/api/v1/timelines/home", "/api/v1/timelines/public"]
        pages = [await client.get(path, headers=headers) for path in timelines]
        return any(text in page.text for page in pages)

    # Control: before any suspension, eve's boost of vic's post brings it in.
    await eve_boosts(vic_note(1), 1)
    assert await seen("suspended words 1")
    # A moderator suspends vic: a new post of vic's boosted by eve is not stored.
    async with services.sessions() as session, session.begin():
        vic = await accounts.get_by_uri(session, VIC)
        assert vic is not None
        accounts.suspend(vic)
    await eve_boosts(vic_note(2), 2)
    async with services.sessions() as session:
        assert await session.scalar(select(Post).where(Post.uri == f"{VIC}/statuses/2")) is None
    assert not await seen("suspended words 1") and not await seen("suspended words 2")
    # vic boosts alice's post: not kept.
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        mine = await world.post(session, alice, "alice's post")
    vic_boost = {"id": f"{VIC}/boosts/1", "type": "Announce", "actor": VIC,
                 "object": f"{ALICE}/statuses/{mine.id}", "to": [PUBLIC]}  # fmt: skip
    answer = await deliver(client, vic_boost, key_id=f"{VIC}#main-key", keys=keypair_for_tests(5))
    assert answer.status_code in (202, 403)
    await Worker(services.federation).run_once()
    assert await count(services, Interaction) == 1  # eve's first boost only
    # victim.example itself is suspended: its posts are neither fetched nor stored.
    async with services.sessions() as session, session.begin():
        await domain_blocks.block(session, BlockTerms("victim.example"))
        await domain_blocks.purge(session, "victim.example")
    remote.requests.clear()
    await eve_boosts(vic_note(3), 3)
    assert not any(r.headers["host"] == "victim.example" for r in remote.requests)
    assert not await seen("suspended words 3")
    async with services.sessions() as session:
        assert await session.scalar(select(Post).where(Post.uri == f"{VIC}/statuses/3")) is None
    vic_boost["id"] = f"{VIC}/boosts/2"
    answer = await deliver(client, vic_boost, key_id=f"{VIC}#main-key", keys=keypair_for_tests(5))
    assert answer.status_code == 403


def images_at(server: FakeServer) -> httpx.MockTransport:
    """`server` with redirects, answering every path under /images/ as `image/png`."""
    redirecting = _with_redirects(server)

    def handle(request: httpx.Request) -> httpx.Response:
        answer: httpx.Response = redirecting(request)
        if request.url.path.startswith("/images/"):
            answer.headers["content-type"] = "image/png"
        return answer

    return httpx.MockTransport(handle)


def png(extra: bytes = b"") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, "PNG")
    return out.getvalue() + extra


ACTIVITY = json.dumps({"@context": "https://www.w3.org/ns/activitystreams", "type": "Person",
                       "id": f"{BASE}/media/x.png", "inbox": f"{BASE}/inbox"}).encode()  # fmt: skip
SCRIPT = b"<html><script>alert(document.cookie)</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


async def test_uploads_are_served_only_as_images_and_never_fetched_as_objects(
    client: httpx.AsyncClient,
    services: Services,
    remote: FakeServer,
) -> None:
    """Akkoma 2024 advisory (GHSA-x8p2-7g2g-g5c5 and its media variants), uploads served from
    the instance's origin with a content type an ActivityPub parser or a browser trusts: a
    JSON activity named like an image, an SVG, an HTML page and a PNG with a page appended.
    Only re-encoded images are served, as images, unsniffable and without scripts; and no
    document under `/media/` of any host is taken as an actor, key or object."""
    headers = await alice_token(services)
    uploads = [
        ("activity.png", "image/png", ACTIVITY),
        ("activity.json", "application/activity+json", ACTIVITY),
        ("drawing.svg", "image/svg+xml", SVG),
        ("page.html", "text/html", SCRIPT),
        ("page.png", "image/png", SCRIPT),
    ]
    for name, claimed, data in uploads:
        answer = await client.post(
            "/api/v1/media", headers=headers, files={"file": (name, data, claimed)}
        )
        assert 400 <= answer.status_code < 500, name
    for extra in (SCRIPT, ACTIVITY):
        answer = await client.post(
            "/api/v1/media", headers=headers, files={"file": ("poly.json", png(extra), "text/html")}
        )
        assert answer.status_code == 200, answer.text
        path = httpx.URL(answer.json()["url"]).path
        for accept in (AP["accept"], "text/html", "*/*"):
            served = await client.get(path, headers={"accept": accept})
            assert served.status_code == 200
            assert served.headers["content-type"] == "image/png"
            assert served.headers["x-content-type-options"] == "nosniff"
            policy = served.headers["content-security-policy"]
            assert "default-src 'none'" in policy and "sandbox" in policy
            assert "script-src" not in policy
            assert served.content.startswith(b"\x89PNG") and extra not in served.content
    # A remote server's uploads, however well formed, are not ActivityPub documents.
    media = "https://remote.example/media/eve.png"
    remote.documents[media] = {**remote.documents[EVE], "id": media}
    remote.documents[media]["publicKey"] = {**remote.documents[EVE]["publicKey"],
                                            "id": f"{media}#main-key", "owner": media}  # fmt: skip
    note = {"id": "https://remote.example/media/note.png", "type": "Note",
            "attributedTo": EVE, "content": "<p>from an upload</p>", "to": [PUBLIC]}  # fmt: skip
    remote.documents[note["id"]] = note
    fed = services.federation
    async with services.sessions() as session:
        with pytest.raises(ResolveError, match="media"):
            await resolve.fetch_actor(fed, session, media)
        with pytest.raises(ResolveError, match="media"):
            await resolve.fetch_object(fed, session, note["id"])
        # Nor when a server's actor URL redirects to one of its uploads.
        await fed.transport.aclose()
        policy = TransportPolicy(
            allow_private_addresses=True, static_hosts={"remote.example": "192.0.2.10"}
        )
        fed.transport = Transport(policy, user_agent="test", transport=images_at(remote))
        with pytest.raises(ResolveError, match="media"):
            await resolve.fetch_actor(
                fed, session, "https://remote.example/redirect/remote.example/media/eve.png"
            )
        # Nor a document served elsewhere as an image (as an upload would be).
        remote.documents["https://remote.example/images/note"] = {
            **note,
            "id": "https://remote.example/images/note",
        }
        with pytest.raises(ResolveError, match="JSON media type"):
            await resolve.fetch_object(fed, session, "https://remote.example/images/note")
    # Neither a remote upload nor one of this node's own names the signer of an activity.
    for upload in (media, f"{BASE}{path}"):
        follow = {"id": f"{upload}/follows/1", "type": "Follow", "actor": upload, "object": ALICE}
        answer = await deliver(client, follow, key_id=f"{upload}#main-key")
        assert answer.status_code in (401, 403)  # 403: this node does not federate with itself
        assert upload not in await remote_accounts(services)
    assert await count(services, Follow) == 0
