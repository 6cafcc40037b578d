"""Members-only groups on the wire: a post to a remote members-only group stays with the
group's members (never `as:Public`, never on the author's public pages); a local one says it
is members-only in its actor, waits for a moderator before letting anyone in, and shows its
outbox to members only; joining a remote one backfills its earlier threads."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from activitypub import PUBLIC
from activitypub.signatures import RequestParts, sign
from content import accounts, posts, relationships
from content.groups import GroupVisibility
from content.relationships import FollowState
from federation import resolve
from federation.worker import Worker
from moderation.audit import AuditEntry
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_directory_pages import sign_in
from tests.node.test_discussions import AP, GROUP, make_group, send, sent, signer_of
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.members import get_list, member
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
COMMUNITY = "https://remote.example/c/private"
BOB = "https://victim.example/users/bob"
AS = "https://www.w3.org/ns/activitystreams"


def _remote_group(remote: FakeServer, *, private: bool) -> None:
    """A remote Group found by WebFinger, approving followers by hand if `private`."""
    remote.add_actor(COMMUNITY, keypair_for_tests(4), "private")
    remote.documents[COMMUNITY].update(type="Group", manuallyApprovesFollowers=private)
    finger = "https://remote.example/.well-known/webfinger?resource=acct%3Aprivate%40remote.example"
    remote.documents[finger] = {
        "subject": "acct:private@remote.example",
        "links": [{"rel": "self", "type": "application/activity+json", "href": COMMUNITY}],
    }


async def _alice_joined(services: Services) -> None:
    """Alice is already a member of the remote group."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        group = await resolve.actor_by_uri(services.federation, session, COMMUNITY)
        assert alice is not None
        await relationships.add_follow(session, alice, group, uri=f"{BASE}/f/1", accepted=True)


async def _accepted_by(client: httpx.AsyncClient, services: Services, number: int) -> None:
    """The remote group accepts the last Follow sent to it."""
    follow = (await sent(services, "Follow"))[-1][0]
    accept = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{COMMUNITY}/activities/accept/{number}",
        "type": "Accept",
        "actor": COMMUNITY,
        "object": follow,
    }
    await send_as_group(client, services, accept)


async def send_as_group(
    client: httpx.AsyncClient, services: Services, activity: dict[str, Any]
) -> None:
    answer = await deliver(
        client, activity, keypair=keypair_for_tests(4), key_id=f"{COMMUNITY}#main-key"
    )
    assert answer.status_code == 202
    await Worker(services.federation).run_once()


async def _signed_get(
    client: httpx.AsyncClient, path: str, key_id: str, seed: int
) -> httpx.Response:
    headers = {"host": "harbour.test", "accept": AP["Accept"]}
    parts = RequestParts("GET", path, headers, b"")
    headers.update(sign(parts, key_id=key_id, private_pem=keypair_for_tests(seed).private_pem))
    return await client.get(path, headers=headers)


async def test_a_post_to_a_remote_members_only_group_stays_with_its_members(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    _remote_group(remote, private=True)
    await _alice_joined(services)
    await sign_in(client, "alice")
    made = await client.post(
        "/discussions/private@remote.example/new",
        data={"title": "Testing", "text": "where can I get an HIV test"},
    )
    assert made.status_code == 303, made.text
    assert "HIV test" in (await client.get(made.headers["location"])).text
    (create, row), *_ = await sent(services, "Create")
    note = create["object"]
    addressed = [*create["to"], *create["cc"], *note["to"], *note["cc"]]
    assert PUBLIC not in addressed and f"{COMMUNITY}/followers" in note["cc"]
    assert note["audience"] == COMMUNITY and row.inbox.startswith("https://remote.example")
    post_id = made.headers["location"].rsplit("/", 1)[1]
    for path in ("/", "/@alice", f"/@alice/{post_id}", f"/users/alice/statuses/{post_id}"):
        assert "HIV test" not in (await client.get(path)).text, path
    for path in (f"/users/alice/statuses/{post_id}", "/users/alice/outbox?page=true"):
        assert "HIV test" not in (await client.get(path, headers=AP)).text, path
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "bea")
    await client.post("/logout")
    await sign_in(client, "bea")
    assert "HIV test" not in (await client.get(made.headers["location"])).text
    assert "HIV test" not in (await client.get("/discussions/private@remote.example")).text


async def test_a_members_only_group_waits_for_a_moderator_and_shows_members_only(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await make_group(services, GroupVisibility.MEMBERS)
    actor = (await client.get("/users/peers", headers=AP)).json()
    assert actor["manuallyApprovesFollowers"] is True
    assert "Talk among peers." in actor["summary"]
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{EVE}/follows/1",
        "type": "Follow",
        "actor": EVE,
        "object": GROUP,
    }
    await send(client, services, follow)
    assert await sent(services, "Accept") == []
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "bea")
        eve = await accounts.get_by_uri(session, EVE)
        assert eve is not None
    await sign_in(client, "bea")  # not a moderator: cannot let anyone in
    asking = await client.post(
        "/discussions/peers/requests", data={"account": str(eve.id), "answer": "accept"}
    )
    assert "only the group" in await world.notice_after(client, asking)
    assert await sent(services, "Accept") == []
    await client.post("/logout")
    await sign_in(client, "alice")
    page = (await client.get("/discussions/peers")).text
    assert "Let @eve@remote.example in" in page
    answered = await client.post(
        "/discussions/peers/requests", data={"account": str(eve.id), "answer": "accept"}
    )
    assert answered.status_code == 303
    (accept, row), *_ = await sent(services, "Accept")
    assert accept["object"]["id"] == follow["id"] and await signer_of(services, row) == GROUP
    async with services.sessions() as session:
        group = await accounts.get_local(session, "peers")
        assert group is not None
        found = await relationships.find_follow(session, eve, group)
        assert found is not None and found.state == FollowState.ACCEPTED
        assert "group.accept" in list(await session.scalars(select(AuditEntry.action)))
    made = await client.post("/discussions/peers/new", data={"title": "Private", "text": "Ssh"})
    assert made.status_code == 303
    assert (await client.get("/users/peers/outbox", headers=AP)).status_code == 401
    remote.add_actor("https://remote.example/users/mallory", keypair_for_tests(5), "mallory")
    outsider = await _signed_get(
        client, "/users/peers/outbox", "https://remote.example/users/mallory#main-key", 5
    )
    assert outsider.status_code == 200 and outsider.json()["orderedItems"] == []
    member = await _signed_get(client, "/users/peers/outbox", f"{EVE}#main-key", 3)
    (item,) = member.json()["orderedItems"]
    assert item["type"] == "Announce" and item["to"] == [f"{GROUP}/followers"]
    assert "Ssh" in item["object"]["object"]["content"]
    assert PUBLIC not in [*item["object"]["object"]["to"], *item["object"]["object"]["cc"]]


async def test_joining_a_remote_members_only_group_backfills_its_earlier_threads(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    _remote_group(remote, private=True)
    remote.add_actor(BOB, keypair_for_tests(5), "bob")

    def written(number: int, **fields: Any) -> dict[str, Any]:
        note = {
            "id": f"{BOB}/statuses/{number}",
            "attributedTo": BOB,
            "to": [COMMUNITY],
            "cc": [f"{COMMUNITY}/followers"],
            "audience": COMMUNITY,
            "published": "2026-11-20T10:00:00Z",
            **fields,
        }
        create = {"id": f"{note['id']}/activity", "type": "Create", "actor": BOB}
        return {
            "id": f"{COMMUNITY}/announces/{number}",
            "type": "Announce",
            "actor": COMMUNITY,
            "to": [f"{COMMUNITY}/followers"],
            "object": {**create, "object": note},
        }

    opener = written(1, type="Page", name="Clinics", content="<p>Which clinic?</p>")
    reply = written(2, type="Note", content="<p>Clinic 4</p>", inReplyTo=f"{BOB}/statuses/1")
    remote.documents[f"{COMMUNITY}/outbox"] = {
        "id": f"{COMMUNITY}/outbox",
        "type": "OrderedCollection",
        "orderedItems": [reply, opener],  # newest first
    }
    await sign_in(client, "alice")
    asked = await client.post("/discussions/join", data={"handle": "private@remote.example"})
    assert asked.headers["location"] == "/discussions/private@remote.example"
    assert await sent(services, "Follow") == []  # the rules are shown before asking
    assert "Clinics" not in (await client.get("/discussions/private@remote.example")).text
    await client.post("/discussions/private@remote.example/join")
    await _accepted_by(client, services, 1)
    (fetched,) = [r for r in remote.requests if r.url.path == "/c/private/outbox"]
    assert 'keyid="https://harbour.test/users/alice#main-key"' in fetched.headers["signature-input"]
    group_page = (await client.get("/discussions/private@remote.example")).text
    assert "Clinics" in group_page and "1 reply" in group_page
    async with services.sessions() as session:
        kept = await posts.get_by_uri(session, f"{BOB}/statuses/2")
        assert kept is not None and kept.visibility == "members"
    # The group relays bob's edit; his server shows members-only posts to nobody.
    edited = {**reply["object"]["object"], "content": "<p>Clinic 4, Mondays only</p>"}
    update = {"id": f"{BOB}/statuses/2#update", "type": "Update", "actor": BOB, "object": edited}
    relayed = {**reply, "id": f"{COMMUNITY}/announces/3", "object": update}
    await send_as_group(client, services, {"@context": AS, **relayed})
    async with services.sessions() as session:
        kept = await posts.get_by_uri(session, f"{BOB}/statuses/2")
        assert kept is not None and "Mondays only" in kept.content_html
        assert kept.visibility == "members"


async def test_group_moderators_answer_requests_to_join_in_the_client_api(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await make_group(services, GroupVisibility.MEMBERS)
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{EVE}/follows/2",
        "type": "Follow",
        "actor": EVE,
        "object": GROUP,
    }
    await send(client, services, follow)
    bea = await member(services, "bea")
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        eve = await accounts.get_by_uri(session, EVE)
        assert alice is not None and eve is not None
        moderator = await world.bearer(session, alice)
    told = (await client.get("/api/v1/notifications", headers=moderator)).json()
    assert [(n["type"], n["account"]["acct"]) for n in told] == [
        ("follow_request", "eve@remote.example")
    ]
    listed = await client.get("/api/v1/follow_requests", headers=moderator)
    assert [entry["acct"] for entry in listed.json()] == ["eve@remote.example"]
    assert await get_list(client, bea, "/api/v1/follow_requests") == []
    path = f"/api/v1/follow_requests/{eve.id}/authorize"
    assert (await client.post(path, headers=bea.headers)).status_code == 404
    assert await sent(services, "Accept") == []
    assert (await client.post(path, headers=moderator)).status_code == 200
    (accept, _), *_ = await sent(services, "Accept")
    assert accept["actor"] == GROUP and accept["object"]["id"] == follow["id"]
    assert (await client.get("/api/v1/follow_requests", headers=moderator)).json() == []
    assert (await client.get("/api/v1/notifications", headers=moderator)).json() == []
    await sign_in(client, "bea")  # a member here asks too, on the web
    assert (await client.post("/discussions/peers/join")).status_code == 303
    told = (await client.get("/api/v1/notifications", headers=moderator)).json()
    assert [(n["type"], n["account"]["acct"]) for n in told] == [("follow_request", "bea")]
    assert "waiting" in (await client.get("/discussions/peers")).text
    let_in = f"/api/v1/follow_requests/{bea.id}/authorize"
    assert (await client.post(let_in, headers=moderator)).status_code == 200
    assert "You are a member." in (await client.get("/discussions/peers")).text


async def test_a_group_that_says_nothing_never_widens_what_it_announces(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    _remote_group(remote, private=False)
    await _alice_joined(services)
    for number, to in ((1, [COMMUNITY]), (2, [COMMUNITY, PUBLIC])):
        page = {
            "id": f"{COMMUNITY}/post/{number}",
            "type": "Page",
            "attributedTo": COMMUNITY,
            "name": f"Thread {number}",
            "content": f"<p>words {number}</p>",
            "to": to,
            "cc": [f"{COMMUNITY}/followers"],
            "audience": COMMUNITY,
            "published": "2026-11-20T10:00:00Z",
        }
        create = {"id": f"{page['id']}/create", "type": "Create", "actor": COMMUNITY}
        announce = {
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{COMMUNITY}/announce/{number}",
            "type": "Announce",
            "actor": COMMUNITY,
            "to": [f"{COMMUNITY}/followers"],
            "object": {**create, "object": page},
        }
        await send_as_group(client, services, announce)
    async with services.sessions() as session:
        kept = [await posts.get_by_uri(session, f"{COMMUNITY}/post/{n}") for n in (1, 2)]
    assert [post.visibility if post else None for post in kept] == ["members", "public"]
    assert "Thread 2" in (await client.get("/discussions/private@remote.example")).text
    assert "Thread 1" not in (await client.get("/discussions/private@remote.example")).text


async def test_a_members_only_group_cannot_take_over_a_post_kept_here(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """Attack F1: a hostile members-only group relays its own copy of bob's public post,
    kept here already: on the group's word alone, the post is neither moved into the group
    nor changed."""
    _remote_group(remote, private=True)
    await _alice_joined(services)
    remote.add_actor(BOB, keypair_for_tests(5), "bob")
    note = {
        "id": f"{BOB}/statuses/1",
        "type": "Note",
        "attributedTo": BOB,
        "content": "<p>Clinic open on Tuesday</p>",
        "to": [PUBLIC, f"{BASE}/users/alice"],
        "tag": [{"type": "Mention", "href": f"{BASE}/users/alice"}],
        "published": "2026-11-20T10:00:00Z",
    }
    create = {"@context": AS, "id": f"{note['id']}/activity", "type": "Create", "actor": BOB}
    delivered = await deliver(
        client, {**create, "object": note}, keypair=keypair_for_tests(5), key_id=f"{BOB}#main-key"
    )
    assert delivered.status_code == 202
    await Worker(services.federation).run_once()
    forged = {**note, "content": "<p>Clinic closed, go elsewhere</p>", "to": [COMMUNITY]}
    forged["cc"] = [f"{COMMUNITY}/followers"]
    announce = {
        "@context": AS,
        "id": f"{COMMUNITY}/announce/takeover",
        "type": "Announce",
        "actor": COMMUNITY,
        "to": [f"{COMMUNITY}/followers"],
        "object": {**create, "object": forged},
    }
    await send_as_group(client, services, announce)
    async with services.sessions() as session:
        kept = await posts.get_by_uri(session, note["id"])
    assert kept is not None
    assert (kept.content_html, kept.visibility) == ("<p>Clinic open on Tuesday</p>", "public")
