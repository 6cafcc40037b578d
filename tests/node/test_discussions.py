"""Discussion groups in one node: the Group actor, joining, threads and replies on the web,
posts from other servers (Lemmy's and Mastodon's shapes) announced by the group,
visibility, local-only groups, and moderation (remove, ban, pin)."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from activitypub import PUBLIC
from content import accounts, group_threads, groups, relationships
from content.groups import GroupVisibility
from content.users import Role
from federation import resolve
from federation.delivery import Delivery
from federation.worker import Worker
from moderation.audit import AuditEntry
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_directory_pages import sign_in
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
GROUP = f"{BASE}/users/peers"
AP = {"Accept": "application/activity+json"}


async def make_group(
    services: Services, visibility: GroupVisibility = GroupVisibility.PUBLIC
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        await groups.create(
            session,
            base_url=BASE,
            username="peers",
            keypair=keypair_for_tests(1),
            title="Peer support",
            visibility=visibility,
            description="Talk among peers.",
            moderator=alice,
        )


async def eve_joins(services: Services) -> None:
    async with services.sessions() as session, session.begin():
        group = await accounts.get_local(session, "peers")
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        assert group is not None
        await relationships.add_follow(session, eve, group, uri=f"{EVE}/follows/1", accepted=True)


async def sent(services: Services, kind: str) -> list[tuple[dict[str, Any], Delivery]]:
    """Deliveries queued so far whose activity is of `kind`."""
    async with services.sessions() as session:
        rows = (await session.scalars(select(Delivery).order_by(Delivery.id))).all()
    found = [(json.loads(row.body), row) for row in rows]
    return [(body, row) for body, row in found if body["type"] == kind]


async def signer_of(services: Services, row: Delivery) -> str:
    async with services.sessions() as session:
        signer = await session.get(accounts.Account, row.signer_id)
        assert signer is not None
        return signer.uri


def lemmy_page(number: int = 1, **changes: Any) -> dict[str, Any]:
    """A post to a community as Lemmy sends it: Create{Page} with `audience`."""
    page = {
        "type": "Page",
        "id": f"{EVE}/post/{number}",
        "attributedTo": EVE,
        "to": [GROUP, PUBLIC],
        "cc": [],
        "audience": GROUP,
        "name": "Finding a <b>clinic</b> in Cluj",
        "content": "<p>Does anyone know a walk-in clinic?</p>",
        "mediaType": "text/html",
        "published": "2026-11-20T10:00:00Z",
        **changes,
    }
    return {
        "@context": ["https://www.w3.org/ns/activitystreams", "https://w3id.org/security/v1"],
        "id": f"{EVE}/activities/create/{number}",
        "type": "Create",
        "actor": EVE,
        "to": page["to"],
        "cc": [],
        "audience": GROUP,
        "object": page,
    }


def mastodon_note(number: int, in_reply_to: str | None = None) -> dict[str, Any]:
    """A Mastodon reply naming the group as a mention (Mastodon has no `audience`)."""
    note = {
        "id": f"{EVE}/statuses/{number}",
        "type": "Note",
        "attributedTo": EVE,
        "content": (
            '<p><span class="h-card"><a href="https://harbour.test/@peers">@peers</a></span>'
            " same here</p>"
        ),
        "to": [PUBLIC],
        "cc": [f"{EVE}/followers", GROUP],
        "tag": [{"type": "Mention", "href": GROUP, "name": "@peers@harbour.test"}],
        "inReplyTo": in_reply_to,
        "published": "2026-11-20T11:00:00Z",
    }
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{EVE}/statuses/{number}/activity",
        "type": "Create",
        "actor": EVE,
        "to": note["to"],
        "cc": note["cc"],
        "object": note,
    }


def delete_of(uri: str) -> dict[str, Any]:
    """Eve's Delete of one of her posts."""
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{uri}#delete",
        "type": "Delete",
        "actor": EVE,
        "object": {"id": uri, "type": "Tombstone"},
    }


async def send(client: httpx.AsyncClient, services: Services, body: dict[str, Any]) -> None:
    assert (await deliver(client, body)).status_code == 202
    await Worker(services.federation).run_once()


async def test_the_group_actor_has_the_fep_1b12_fields_and_is_found_by_webfinger(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await make_group(services)
    document = (await client.get("/users/peers", headers=AP)).json()
    assert document["type"] == "Group"
    assert document["attributedTo"] == f"{GROUP}/moderators"
    assert document["postingRestrictedToMods"] is False
    assert document["manuallyApprovesFollowers"] is False
    assert document["featured"] == f"{GROUP}/collections/featured"
    assert document["followers"] == f"{GROUP}/followers"
    mods = (await client.get("/users/peers/moderators", headers=AP)).json()
    assert mods["orderedItems"] == [f"{BASE}/users/alice"]
    finger = await client.get("/.well-known/webfinger?resource=acct:peers@harbour.test")
    assert finger.json()["links"][0]["href"] == GROUP
    page = await client.get("/users/peers")
    assert page.status_code == 303 and page.headers["location"] == "/discussions/peers"


async def test_a_member_joins_starts_a_thread_and_replies_on_the_web(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await make_group(services)
    await eve_joins(services)
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "bea")
    await sign_in(client, "bea")
    listing = await client.get("/discussions")
    assert "Peer support" in listing.text and "Join group" in listing.text
    assert (await client.post("/discussions/peers/join")).status_code == 303
    refused = await client.post("/discussions/peers/new", data={"title": "", "text": "Hi"})
    assert refused.status_code == 400 and "a new thread needs a title" in refused.text
    made = await client.post(
        "/discussions/peers/new", data={"title": "Night buses", "text": "Which lines are safe?"}
    )
    assert made.status_code == 303
    thread = made.headers["location"]
    page = await client.get(thread)
    assert "Night buses" in page.text and "Which lines are safe?" in page.text
    replied = await client.post(f"{thread}/reply", data={"text": "Line 4 is fine"})
    assert replied.status_code == 303
    page = await client.get(thread)
    assert "Line 4 is fine" in page.text
    group_page = await client.get("/discussions/peers")
    assert "Night buses" in group_page.text and "1 reply" in group_page.text
    # The group announced both to eve's server, wrapping bea's Create (FEP-1b12).
    announces = await sent(services, "Announce")
    assert len(announces) == 2
    body, row = announces[0]
    assert body["actor"] == GROUP and await signer_of(services, row) == GROUP
    assert body["to"] == [PUBLIC] and body["cc"] == [f"{GROUP}/followers"]
    created = body["object"]
    assert created["type"] == "Create" and created["actor"] == f"{BASE}/users/bea"
    assert created["object"]["type"] == "Page" and created["object"]["name"] == "Night buses"
    assert created["object"]["audience"] == GROUP
    assert created["object"]["to"] == [GROUP, PUBLIC]
    assert announces[1][0]["object"]["object"]["type"] == "Note"
    assert row.inbox == "https://remote.example/inbox"
    # Fetched by its id, the thread is the same Page, addressed to the group.
    fetched = await client.get(created["object"]["id"], headers=AP)
    assert fetched.json()["type"] == "Page" and fetched.json()["audience"] == GROUP


async def test_only_members_write_and_leaving_ends_membership(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await make_group(services)
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "bea")
    await sign_in(client, "bea")
    answer = await client.post("/discussions/peers/new", data={"title": "Hi", "text": "Hi"})
    assert answer.status_code == 400 and "join the group to write in it" in answer.text
    await client.post("/discussions/peers/join")
    await client.post("/discussions/peers/leave")
    assert "Join group" in (await client.get("/discussions/peers")).text


async def test_a_remote_follow_is_accepted_by_the_group_unless_banned(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await make_group(services)
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{EVE}/follows/7",
        "type": "Follow",
        "actor": EVE,
        "object": GROUP,
    }
    await send(client, services, follow)
    (accept, row), *_ = await sent(services, "Accept")
    assert accept["actor"] == GROUP and await signer_of(services, row) == GROUP
    async with services.sessions() as session:
        group = await accounts.get_local(session, "peers")
        assert group is not None and await relationships.count_followers(session, group) == 1
    await sign_in(client, "alice")
    banned = await client.post(
        "/discussions/peers/ban", data={"handle": "eve@remote.example", "reason": "abuse"}
    )
    assert banned.status_code == 303
    (block, row), *_ = await sent(services, "Block")
    assert block["actor"] == GROUP and block["target"] == GROUP and block["object"] == EVE
    await send(client, services, {**follow, "id": f"{EVE}/follows/8"})
    (reject, _), *_ = await sent(services, "Reject")
    assert reject["object"]["id"] == f"{EVE}/follows/8"
    async with services.sessions() as session:
        assert await relationships.count_followers(session, group) == 0
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert "group.ban" in actions
    page = (await client.get("/discussions/peers")).text
    assert "Moderated by @alice" in page and "Lift ban on @eve@remote.example" in page
    # A post from the banned account is refused, and nothing is announced.
    await send(client, services, lemmy_page(3))
    assert "Finding a" not in (await client.get("/discussions/peers")).text
    assert await sent(services, "Announce") == []
    # Lifted, the ban no longer refuses a follow.
    lifted = {"handle": "eve@remote.example", "undo": "1"}
    assert (await client.post("/discussions/peers/ban", data=lifted)).status_code == 303
    await send(client, services, {**follow, "id": f"{EVE}/follows/10"})
    assert len(await sent(services, "Accept")) == 2


async def test_a_lemmy_page_and_a_mastodon_reply_are_kept_and_announced(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await make_group(services)
    await eve_joins(services)
    await send(client, services, lemmy_page(1))
    page = await client.get("/discussions/peers")
    assert "Finding a clinic in Cluj" in page.text  # the title is plain text
    await send(client, services, mastodon_note(2, in_reply_to=f"{EVE}/post/1"))
    assert "1 reply" in (await client.get("/discussions/peers")).text
    announces = await sent(services, "Announce")
    assert [body["object"]["id"] for body, _ in announces] == [
        f"{EVE}/activities/create/1",
        f"{EVE}/statuses/2/activity",
    ]
    assert all(body["actor"] == GROUP and "@context" not in body["object"] for body, _ in announces)
    # The author edits the thread: changed here, and the group relays the Update.
    edited = lemmy_page(1, content="<p>Found one, thanks.</p>")
    edited.update(id=f"{EVE}/activities/update/1", type="Update")
    await send(client, services, edited)
    thread = await _thread_path(services, f"{EVE}/post/1")
    assert "Found one, thanks." in (await client.get(thread)).text
    assert (await sent(services, "Announce"))[-1][0]["object"]["type"] == "Update"
    # The author deletes the reply: gone here, and the group relays the Delete.
    await send(client, services, delete_of(f"{EVE}/statuses/2"))
    assert "0 replies" in (await client.get("/discussions/peers")).text
    relayed = (await sent(services, "Announce"))[-1][0]
    assert relayed["object"]["id"] == f"{EVE}/statuses/2#delete"
    # A Mastodon post naming the group opens a thread too.
    await send(client, services, mastodon_note(4))
    assert "same here" in (await client.get("/discussions/peers")).text


async def test_members_only_groups_hide_their_threads_and_refuse_strangers(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await make_group(services, GroupVisibility.MEMBERS)
    await send(client, services, lemmy_page(1))  # eve is no member yet
    await sign_in(client, "alice")
    assert "No threads yet." in (await client.get("/discussions/peers")).text
    await eve_joins(services)
    await send(client, services, lemmy_page(2))
    (announce, _), *_ = await sent(services, "Announce")
    assert announce["to"] == [f"{GROUP}/followers"] and announce["cc"] == []
    made = await client.post("/discussions/peers/new", data={"title": "Private", "text": "Ssh"})
    thread = made.headers["location"]
    assert "Ssh" in (await client.get(thread)).text
    post_id = thread.rsplit("/", 1)[1]
    assert (await client.get(f"/users/alice/statuses/{post_id}", headers=AP)).status_code == 404
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "bea")
    await client.post("/logout")
    await sign_in(client, "bea")
    assert (await client.get(thread)).status_code == 404
    outsider_view = await client.get("/discussions/peers")
    assert "for its members only" in outsider_view.text and "Private" not in outsider_view.text


async def test_local_only_groups_never_federate(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await make_group(services, GroupVisibility.LOCAL)
    await eve_joins(services)  # as if it had been let in before
    await sign_in(client, "alice")
    made = await client.post("/discussions/peers/new", data={"title": "Here", "text": "Only"})
    assert made.status_code == 303
    await send(client, services, lemmy_page(1))
    follow = {"id": f"{EVE}/follows/9", "type": "Follow", "actor": EVE, "object": GROUP}
    await send(client, services, {"@context": "https://www.w3.org/ns/activitystreams", **follow})
    assert [body["type"] for body, _ in await sent(services, "Reject")] == ["Reject"]
    assert await sent(services, "Announce") == [] and await sent(services, "Create") == []
    assert "Finding a" not in (await client.get("/discussions/peers")).text
    await client.post("/logout")
    assert "members of this node only" in (await client.get("/discussions/peers")).text


async def test_moderators_pin_and_remove_threads(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await make_group(services)
    await eve_joins(services)
    await send(client, services, lemmy_page(1))
    await sign_in(client, "alice")
    made = await client.post("/discussions/peers/new", data={"title": "Rules", "text": "Be kind"})
    thread = made.headers["location"]
    # Newest activity first, until the older thread is pinned.
    page = (await client.get("/discussions/peers")).text
    assert page.index("Rules") < page.index("Finding a")
    lemmy_thread = await _thread_path(services, f"{EVE}/post/1")
    assert (await client.post(f"{lemmy_thread}/pin")).status_code == 303
    page = (await client.get("/discussions/peers")).text
    assert page.index("Finding a") < page.index("Rules") and "Pinned: " in page
    featured = (await client.get("/users/peers/collections/featured", headers=AP)).json()
    assert [item["id"] for item in featured["orderedItems"]] == [f"{EVE}/post/1"]
    assert (await client.post(f"{lemmy_thread}/remove", data={"reason": "spam"})).status_code == 303
    assert "Finding a" not in (await client.get("/discussions/peers")).text
    announces = await sent(services, "Announce")
    removal = announces[-1][0]
    assert removal["object"]["type"] == "Delete"
    assert removal["object"]["object"]["id"] == f"{EVE}/post/1"
    assert removal["object"]["actor"] == f"{BASE}/users/alice"
    assert removal["object"]["summary"] == "spam"
    assert (await client.get(thread)).status_code == 200
    async with services.sessions() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert {"group.pin", "group.remove_post"} <= set(actions)


async def test_a_member_of_another_group_cannot_moderate(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await make_group(services)
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "bea")
    await sign_in(client, "bea")
    await client.post("/discussions/peers/join")
    made = await client.post("/discussions/peers/new", data={"title": "Mine", "text": "Text"})
    answer = await client.post(f"{made.headers['location']}/remove")
    assert "only the group" in await world.notice_after(client, answer)
    assert "Mine" in (await client.get("/discussions/peers")).text


async def test_a_remote_group_s_announced_post_is_filed_in_the_group(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    community = "https://remote.example/c/peers"
    remote.add_actor(community, keypair_for_tests(4), "peers")
    remote.documents[community]["type"] = "Group"
    finger = "https://remote.example/.well-known/webfinger?resource=acct%3Apeers%40remote.example"
    remote.documents[finger] = {
        "subject": "acct:peers@remote.example",
        "links": [{"rel": "self", "type": "application/activity+json", "href": community}],
    }
    page = lemmy_page(5)["object"]
    page.update(to=[community, PUBLIC], audience=community)
    remote.documents[page["id"]] = page
    await sign_in(client, "alice")
    joined = await client.post("/discussions/join", data={"handle": "peers@remote.example"})
    assert joined.status_code == 303, joined.text
    assert joined.headers["location"] == "/discussions/peers@remote.example"
    (follow, _), *_ = await sent(services, "Follow")
    assert follow["object"] == community
    accept = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{community}/activities/accept/1",
        "type": "Accept",
        "actor": community,
        "object": follow,
    }
    response = await deliver(
        client, accept, keypair=keypair_for_tests(4), key_id=f"{community}#main-key"
    )
    assert response.status_code == 202
    await Worker(services.federation).run_once()
    announce = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{community}/activities/announce/1",
        "type": "Announce",
        "actor": community,
        "to": [PUBLIC],
        "cc": [f"{community}/followers"],
        "object": {**lemmy_page(5), "object": page},
    }
    response = await deliver(
        client, announce, keypair=keypair_for_tests(4), key_id=f"{community}#main-key"
    )
    assert response.status_code == 202
    await Worker(services.federation).run_once()
    shown = await client.get("/discussions/peers@remote.example")
    assert "Finding a clinic in Cluj" in shown.text
    opened = await client.get(await _thread_path(services, page["id"], "peers@remote.example"))
    assert "walk-in clinic" in opened.text
    # The community relays an edit (fetched again from its origin) and then a removal.
    remote.documents[page["id"]] = {**page, "content": "<p>Clinic closed on Mondays</p>"}
    relayed = {"type": "Update", "actor": EVE, "object": remote.documents[page["id"]]}
    for number, inner in (
        (2, relayed),
        (3, {"type": "Delete", "actor": EVE, "object": page["id"]}),
    ):
        inner_id = {"id": f"{EVE}/activities/{number}"}
        body = {**announce, "id": f"{community}/activities/announce/{number}"}
        body["object"] = {**inner_id, **inner}
        answer = await deliver(
            client, body, keypair=keypair_for_tests(4), key_id=f"{community}#main-key"
        )
        assert answer.status_code == 202
        await Worker(services.federation).run_once()
        if number == 2:
            path = await _thread_path(services, page["id"], "peers@remote.example")
            assert "Clinic closed on Mondays" in (await client.get(path)).text
    assert "Finding a" not in (await client.get("/discussions/peers@remote.example")).text
    assert "peers@remote.example" in (await client.get("/discussions")).text


async def _thread_path(services: Services, uri: str, handle: str = "peers") -> str:
    async with services.sessions() as session:
        entry = await group_threads.entry_by_uri(session, uri)
        assert entry is not None
        return f"/discussions/{handle}/{entry.post_id}"


async def test_staff_create_groups_on_the_web_and_members_cannot(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "sam", role=Role.STAFF)
    await sign_in(client, "alice")
    assert (await client.get("/discussions/new")).status_code == 403
    await client.post("/logout")
    await sign_in(client, "sam")
    form = {"name": "safety", "title": "Safety", "description": "", "visibility": "local"}
    made = await client.post("/discussions/new", data=form)
    assert made.status_code == 303 and made.headers["location"] == "/discussions/safety"
    page = await client.get("/discussions/safety")
    assert "Safety" in page.text and "this node only, never federated" in page.text
    assert "Start a new thread" in page.text  # the creator moderates it
    again = await client.post("/discussions/new", data=form)
    assert again.status_code == 400 and "is taken" in again.text
