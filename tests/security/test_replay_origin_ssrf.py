"""Published fediverse vulnerabilities, replayed against Harbour: origin, host confusion,
authorized fetch on collections, SSRF through every fetcher, key swaps and audience widening.

Each test names the advisory it was written from and the class of attack it covers. The
node runs in-process on a real database; remote servers are a fake at the transport, and the
SSRF tests give the transport a public node's policy, so its address checks are what refuse.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from activitypub import PUBLIC, KeyPair
from activitypub.signatures import RequestParts, sign
from content import accounts, groups, pins, relationships
from content.accounts import Account
from content.audience import Visibility
from content.groups import GroupVisibility
from content.posts import Post
from federation import resolve, trust_sources
from federation.resolve import ResolveError
from federation.transport import FetchError, Transport, TransportPolicy
from federation.worker import Worker
from moderation.policy import FederationMode
from node.settings import Settings
from node.state import Services
from tests.node.conftest import BASE, DOMAIN, EVE
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer
from tests.rig.signing import signed_post

pytestmark = pytest.mark.anyio
AP = {"accept": "application/activity+json"}
VIC = "https://victim.example/users/vic"
PUBLIC_ADDRESS = "93.184.216.34"
# Names that resolve inside: private, loopback, link-local, and IPv4 loopback wrapped in IPv6.
INSIDE = {
    "internal.example": "10.0.0.5",
    "loopback.example": "127.0.0.1",
    "metadata.example": "169.254.169.254",
    "mapped.example": "::ffff:127.0.0.1",
    "compatible.example": "::127.0.0.1",
    "nat64.example": "64:ff9b::7f00:1",
    "nat64-local.example": "64:ff9b:1::7f00:1",
    "sixtofour.example": "2002:7f00:1::1",
    "teredo.example": "2001:0:4136:e378:8000:63bf:80ff:fffe",  # client 127.0.0.1
    "ula.example": "fd00::1",
}
# Hosts written as addresses: literal private ones, and IPv4 spelled as one number, in octal,
# in hexadecimal or shortened, which some URL parsers read as 127.0.0.1.
ADDRESS_URLS = [
    "https://127.0.0.1/users/x",
    "https://[::1]/users/x",
    "https://[::ffff:127.0.0.1]/users/x",
    "https://[::ffff:7f00:1]/users/x",
    "https://[64:ff9b::7f00:1]/users/x",
    "https://2130706433/users/x",
    "https://0177.0.0.1/users/x",
    "https://0x7f.0.0.1/users/x",
    "https://0x7f000001/users/x",
    "https://127.1/users/x",
    "https://017700000001/users/x",
]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The node runs authorized fetch, as a node under attack would."""
    return replace(settings, authorized_fetch=True)


async def deliver(
    client: httpx.AsyncClient,
    activity: dict[str, Any],
    *,
    key_id: str = f"{EVE}#main-key",
    keys: KeyPair | None = None,
) -> httpx.Response:
    headers, body = signed_post(
        "/users/alice/inbox", activity, host=DOMAIN, key_id=key_id,
        private_pem=(keys or keypair_for_tests(3)).private_pem,
    )  # fmt: skip
    raw = {name: value.encode() for name, value in headers.items()}  # UTF-8, as sent
    return await client.post("/users/alice/inbox", headers=raw, content=body)


def create(actor: str, note: dict[str, Any], number: int) -> dict[str, Any]:
    return {
        "id": f"{actor}/activities/{number}",
        "type": "Create",
        "actor": actor,
        "to": note.get("to", []),
        "cc": note.get("cc", []),
        "object": note,
    }


async def alice_follows(services: Services, uri: str) -> Account:
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        followed = await resolve.actor_by_uri(services.federation, session, uri)
        assert alice is not None
        await relationships.add_follow(
            session, alice, followed, uri=f"{BASE}/f/{uri}", accepted=True
        )
        return followed


async def stored_post(services: Services, uri: str) -> Post | None:
    async with services.sessions() as session:
        return await session.scalar(select(Post).where(Post.uri == uri))


async def test_an_object_served_by_one_host_cannot_claim_an_id_on_another(
    client: httpx.AsyncClient,
    services: Services,
    remote: FakeServer,
) -> None:
    """Mastodon CVE-2024-23832 (GHSA-3fjr-858r-92rw), origin confusion: a server answers a
    fetch of a URL on its own host with a document whose id, author or key are another
    server's, to have it stored as that server's."""
    remote.add_actor(VIC, keypair_for_tests(5), "vic")
    await alice_follows(services, EVE)
    forged_note = {
        "id": f"{VIC}/statuses/1",
        "type": "Note",
        "attributedTo": VIC,
        "content": "<p>words put in vic's mouth</p>",
        "to": [PUBLIC],
    }
    remote.documents["https://remote.example/notes/1"] = forged_note
    fed = services.federation
    async with services.sessions() as session:
        with pytest.raises(ResolveError, match="another host"):
            await resolve.fetch_object(fed, session, "https://remote.example/notes/1")
        # An actor document served by remote.example but naming victim.example's id.
        remote.documents["https://remote.example/users/vic"] = remote.documents[VIC]
        with pytest.raises(ResolveError, match="another host"):
            await resolve.fetch_actor(fed, session, "https://remote.example/users/vic")
    # Through the inbox: eve boosts the forged document, and embeds it in her own Create.
    boost = {"id": f"{EVE}/boosts/1", "type": "Announce", "actor": EVE,
             "object": "https://remote.example/notes/1", "to": [PUBLIC]}  # fmt: skip
    assert (await deliver(client, boost)).status_code == 202
    embedded = create(EVE, forged_note, 2)
    assert (await deliver(client, embedded)).status_code in (202, 403)
    await Worker(fed).run_once()
    assert await stored_post(services, forged_note["id"]) is None
    async with services.sessions() as session:
        assert await accounts.get_by_uri(session, "https://remote.example/users/vic") is None


@pytest.mark.parametrize(
    "look_alike",
    [
        "VICTIM.example",
        "victim.example.",
        "victim\u3002example",
        "victim\uff0eexample",
        "victim\uff61example",
        "\uff56\uff49\uff43\uff54\uff49\uff4d.example",
        "victim.example:443",
        "victim.example:0443",
        "victim.example:",
    ],
)
async def test_look_alike_spellings_of_a_host_are_not_taken_for_it(
    client: httpx.AsyncClient,
    services: Services,
    remote: FakeServer,
    look_alike: str,
) -> None:
    """Mastodon CVE-2023-42451 (GHSA-v3xf-c9qf-j667), host confusion through domain name
    normalisation: a name that one check normalises to another server's host and another
    check does not lets a server speak for a domain it does not own."""
    services.federation.mode = FederationMode.OPEN
    spoofed = f"https://{look_alike}/users/vic"
    remote.add_actor(spoofed, keypair_for_tests(4), "vic")
    note = {"id": f"{spoofed}/statuses/1", "type": "Note", "attributedTo": spoofed,
            "content": "<p>spoofed</p>", "to": [PUBLIC, f"{BASE}/users/alice"]}  # fmt: skip
    answer = await deliver(
        client, create(spoofed, note, 1), key_id=f"{spoofed}#main-key", keys=keypair_for_tests(4)
    )
    assert answer.status_code == 400
    assert "canonical" in answer.json()["error"]
    async with services.sessions() as session:
        with pytest.raises(ResolveError, match="canonical"):
            await resolve.fetch_actor(services.federation, session, spoofed)
        known = await session.scalars(select(Account.domain).where(Account.domain.is_not(None)))
        assert "victim.example" not in set(known)
    assert remote.requests == []


async def test_collections_and_their_pages_need_a_signature_too(
    client: httpx.AsyncClient,
    services: Services,
    remote: FakeServer,
) -> None:
    """Akkoma (GHSA-6v7f-q5fj-jv6c, authorized fetch bypass), authorized fetch enforced on
    actors and objects but not on the collections and collection pages that list them."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        pinned = await world.post(session, alice, "pinned and public")
        await pins.pin(session, alice, pinned)
        await groups.create(
            session, base_url=BASE, username="circle", keypair=keypair_for_tests(1),
            title="Circle", visibility=GroupVisibility.PUBLIC, moderator=alice,
        )  # fmt: skip
        post_path = f"/users/alice/statuses/{pinned.id}"
    paths = [
        "/users/alice/outbox",
        "/users/alice/outbox?page=true",
        f"/users/alice/outbox?page=true&max_id={pinned.id + 1}",
        "/users/alice/followers",
        "/users/alice/followers?page=1",
        "/users/alice/following",
        "/users/alice/following?page=true",
        "/users/alice/collections/featured",
        "/users/circle/collections/featured",
        "/users/circle/moderators",
        "/users/circle/outbox?page=true",
        post_path,
        f"{post_path}/activity",
    ]
    accepts = [
        AP,
        {"accept": 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'},
    ]
    for path in paths:
        for accept in accepts:
            for method in ("GET", "HEAD"):
                refused = await client.request(method, path, headers=accept)
                assert refused.status_code == 401, (method, path, accept)
                assert "pinned and public" not in refused.text
    # Signed by eve, an allowed server, for this host: served, so the refusals above are
    # about the missing signature.
    keys = keypair_for_tests(3)
    for path in paths:
        headers = {"host": DOMAIN, **AP}
        headers.update(sign(RequestParts("GET", path, headers), key_id=f"{EVE}#main-key",
                            private_pem=keys.private_pem))  # fmt: skip
        assert (await client.get(path, headers=headers)).status_code == 200, path


@pytest.fixture
async def public_transport(services: Services, remote: FakeServer) -> AsyncIterator[FakeServer]:
    """The transport as on a public node: remote.example is on a public address, the names
    in INSIDE resolve to private, loopback or reserved ones. Every request that gets past the
    address checks reaches `remote`, which records it."""
    policy = TransportPolicy(static_hosts={"remote.example": PUBLIC_ADDRESS, **INSIDE})
    await services.federation.transport.aclose()
    services.federation.transport = Transport(
        policy, user_agent="test", transport=httpx.MockTransport(_with_redirects(remote))
    )
    services.federation.mode = FederationMode.OPEN
    yield remote


def _with_redirects(server: FakeServer) -> Any:
    """remote.example, where /redirect/HOST/PATH answers 302 to https://HOST/PATH."""

    def handle(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.startswith("/redirect/"):
            server.requests.append(request)
            return httpx.Response(302, headers={"location": "https://" + path[len("/redirect/") :]})
        return server.handle(request)

    return handle


async def test_no_fetcher_reaches_an_inside_address(
    client: httpx.AsyncClient,
    services: Services,
    public_transport: FakeServer,
) -> None:
    """SSRF through every fetcher (Mastodon GHSA-jhrq-qvrm-qr36 and the many "private
    address" advisories of fediverse servers): keyId, WebFinger, redirects, trust lists and
    media, to hosts resolving inside, to IPv4 wrapped in IPv6 (mapped, compatible, NAT64 and
    its local-use prefix, 6to4, Teredo) and to IPv4 spelled as decimal, octal or hex. Harbour
    fetches no remote NodeInfo and never fetches remote media or avatars (it links to them),
    so those are checked to cause no request at all."""
    server = public_transport
    fed = services.federation
    inside_urls = [f"https://{name}/users/x" for name in INSIDE] + ADDRESS_URLS
    # The transport itself, which every fetcher goes through.
    for url in inside_urls:
        with pytest.raises(FetchError):
            await fed.transport.get_document(url, None)
    async with services.sessions() as session:
        for url in inside_urls:
            # keyId: an inbox POST whose signing key lives inside.
            activity = {"id": f"{url}/activities/1", "type": "Follow", "actor": url,
                        "object": f"{BASE}/users/alice"}  # fmt: skip
            refused = await deliver(client, activity, key_id=f"{url}#main-key")
            assert refused.status_code in (400, 401), url
            # Redirects from a public server to the inside.
            target = url.removeprefix("https://")
            with pytest.raises(ResolveError):
                await resolve.fetch_actor(fed, session, f"https://remote.example/redirect/{target}")
            # A trust list subscribed at an inside address.
            with pytest.raises(trust_sources.SourceError):
                await trust_sources.fetch_list(fed, session, url)
        # WebFinger: at an inside host, and a public answer pointing inside.
        for name in INSIDE:
            with pytest.raises(ResolveError):
                await resolve.actor_by_handle(fed, session, f"x@{name}")
        webfinger = "https://remote.example/.well-known/webfinger?resource="
        for number, url in enumerate(inside_urls):
            server.documents[f"{webfinger}acct%3Am{number}%40remote.example"] = {
                "subject": f"acct:m{number}@remote.example",
                "links": [{"rel": "self", "type": "application/activity+json", "href": url}],
            }
            with pytest.raises(ResolveError):
                await resolve.actor_by_handle(fed, session, f"m{number}@remote.example")
    # Only remote.example itself was ever asked (its redirects and its WebFinger answers).
    assert {request.url.host for request in server.requests} == {PUBLIC_ADDRESS}
    # Media and avatars are kept as links: a note and a profile pointing inside make the
    # node fetch nothing.
    server.requests.clear()
    eve = server.documents[EVE]
    eve["icon"] = {"type": "Image", "url": "https://metadata.example/latest/meta-data/"}
    await alice_follows(services, EVE)
    note = {"id": f"{EVE}/statuses/media", "type": "Note", "attributedTo": EVE,
            "content": "<p>look</p>", "to": [PUBLIC],
            "attachment": [{"type": "Document", "mediaType": "image/png",
                            "url": "https://internal.example/admin.png"}]}  # fmt: skip
    assert (await deliver(client, create(EVE, note, 9))).status_code == 202
    await Worker(fed).run_once()
    assert await stored_post(services, note["id"]) is not None
    assert [r.headers["host"] for r in server.requests] == ["remote.example"]  # eve, followed


async def test_a_key_is_swapped_only_by_its_own_actor_from_its_origin(
    client: httpx.AsyncClient,
    services: Services,
    remote: FakeServer,
) -> None:
    """Key swap through `Update` (Mastodon GHSA-3fjr-858r-92rw's actor-update variant and
    Misskey's unchecked actor updates): an `Update` of an actor that changes its publicKey
    must be signed by that actor, from its own origin, or it changes nothing."""
    vic_keys, eve_keys, new_keys = keypair_for_tests(5), keypair_for_tests(3), keypair_for_tests(6)
    remote.add_actor(VIC, vic_keys, "vic")
    mallory = "https://victim.example/users/mallory"
    remote.add_actor(mallory, keypair_for_tests(4), "mallory")
    async with services.sessions() as session, session.begin():
        await resolve.actor_by_uri(services.federation, session, VIC)

    def vic_with_key(keys: KeyPair) -> dict[str, Any]:
        document = json.loads(json.dumps(remote.documents[VIC]))
        document["publicKey"]["publicKeyPem"] = keys.public_pem
        return document

    def update(actor: str, number: int, keys: KeyPair) -> dict[str, Any]:
        return {"id": f"{actor}/updates/{number}", "type": "Update", "actor": actor,
                "object": vic_with_key(keys), "to": [PUBLIC]}  # fmt: skip

    # Another server's actor sends vic's profile with its own key.
    assert (await deliver(client, update(EVE, 1, eve_keys))).status_code in (202, 403)
    # Another actor of vic's own server does the same.
    answer = await deliver(client, update(mallory, 2, eve_keys), key_id=f"{mallory}#main-key",
                           keys=keypair_for_tests(4))  # fmt: skip
    assert answer.status_code == 202
    # eve signs an Update claiming to be vic.
    claimed = await deliver(client, update(VIC, 3, eve_keys))
    assert claimed.status_code == 401
    await Worker(services.federation).run_once()

    async def vic_key() -> str:
        async with services.sessions() as session:
            account = await accounts.get_by_uri(session, VIC)
            assert account is not None
            return account.public_key_pem

    assert await vic_key() == vic_keys.public_pem
    # vic rotating its own key, signed with the old one, is honoured.
    rotated = await deliver(
        client, update(VIC, 4, new_keys), key_id=f"{VIC}#main-key", keys=vic_keys
    )
    assert rotated.status_code == 202
    await Worker(services.federation).run_once()
    assert await vic_key() == new_keys.public_pem


async def test_a_replayed_create_or_update_never_widens_a_post_audience(
    client: httpx.AsyncClient,
    services: Services,
    remote: FakeServer,
) -> None:
    """Mastodon CVE-2024-37903 (GHSA-xjvf-fm67-4qc3), audience widening: a second `Create`
    or an `Update` with the id of a followers-only post, addressed to the public, made the
    stored post public."""
    await alice_follows(services, EVE)
    note = {"id": f"{EVE}/statuses/private", "type": "Note", "attributedTo": EVE,
            "content": "<p>for my followers</p>", "to": [f"{EVE}/followers"]}  # fmt: skip
    assert (await deliver(client, create(EVE, note, 1))).status_code == 202
    await Worker(services.federation).run_once()
    kept = await stored_post(services, note["id"])
    assert kept is not None and kept.visibility == Visibility.PRIVATE
    widened = {**note, "to": [PUBLIC], "cc": [f"{EVE}/followers"]}
    assert (await deliver(client, create(EVE, widened, 2))).status_code == 202
    update = {**create(EVE, widened, 3), "type": "Update"}
    assert (await deliver(client, update)).status_code == 202
    await Worker(services.federation).run_once()
    kept = await stored_post(services, note["id"])
    assert kept is not None and kept.visibility == Visibility.PRIVATE
    public = await client.get("/api/v1/timelines/public")
    assert "for my followers" not in public.text
