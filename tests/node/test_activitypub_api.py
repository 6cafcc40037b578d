"""Actors, posts and collections over HTTP, negotiated against their HTML pages."""

from __future__ import annotations

import httpx
import pytest

from activitypub import LD_JSON_PROFILE, ActorType, parse_actor
from content import accounts
from content.audience import Visibility
from content.erasure import erase_local_account
from content.orm import utcnow
from content.relationships import Follow, FollowState
from node.state import Services
from tests.rig import world
from tests.rig.keys import keypair_for_tests

pytestmark = pytest.mark.anyio
AP = {"Accept": "application/activity+json"}
BROWSER = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
BASE = "https://harbour.test"


async def test_member_actor_document_round_trips_through_the_parser(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "alice", base_url=BASE)

    for accept in ("application/activity+json", LD_JSON_PROFILE):
        response = await client.get("/users/alice", headers={"Accept": accept})
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/activity+json")
        assert "Accept" in response.headers["vary"]
        actor = parse_actor(response.json())
        assert actor.id == f"{BASE}/users/alice"
        assert actor.type == ActorType.PERSON
        assert actor.public_key.id == f"{BASE}/users/alice#main-key"
        assert actor.public_key.pem == keypair_for_tests(0).public_pem
        assert actor.shared_inbox == f"{BASE}/inbox"
        assert actor.manually_approves_followers is True  # members approve their followers
        assert actor.featured == f"{BASE}/users/alice/collections/featured"


async def test_groups_organisations_and_the_instance_actor_have_their_types(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_actor(session, "peer_support", ActorType.GROUP, base_url=BASE)
        await world.local_actor(session, "org", ActorType.ORGANIZATION, base_url=BASE)
        await accounts.ensure_instance_actor(
            session, base_url=BASE, host="harbour.test", keypair=keypair_for_tests(2)
        )

    group = parse_actor((await client.get("/users/peer_support", headers=AP)).json())
    organisation = parse_actor((await client.get("/users/org", headers=AP)).json())
    instance = parse_actor((await client.get("/actor", headers=AP)).json())
    assert (group.type, organisation.type) == (ActorType.GROUP, ActorType.ORGANIZATION)
    assert group.manually_approves_followers is False
    assert instance.type == ActorType.APPLICATION
    assert instance.id == f"{BASE}/actor"
    outbox = (await client.get("/actor/outbox", headers=AP)).json()
    assert outbox["totalItems"] == 0


async def test_a_browser_gets_the_profile_page_at_the_same_url(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        await world.post(session, alice, "Drop-in clinic open <b>today</b>")

    response = await client.get("/users/alice", headers=BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "@alice@harbour.test" in response.text
    assert "Drop-in clinic open &lt;b&gt;today&lt;/b&gt;" in response.text
    same = (await client.get("/@alice", headers=BROWSER)).text
    # The same page; only the language switcher's way back names the address asked for.
    assert same == response.text.replace('value="/users/alice"', 'value="/@alice"')


async def test_outbox_pages_public_activities_newest_first(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        for number in range(25):
            await world.post(session, alice, f"public post {number}")
        await world.post(session, alice, "followers only", Visibility.PRIVATE)
        await world.post(session, alice, "a direct message", Visibility.DIRECT)
        await world.post(session, alice, "quietly public", Visibility.UNLISTED)

    head = (await client.get("/users/alice/outbox", headers=AP)).json()
    assert head["type"] == "OrderedCollection"
    assert head["totalItems"] == 26
    first = (await client.get(head["first"].removeprefix(BASE), headers=AP)).json()
    assert first["type"] == "OrderedCollectionPage"
    assert first["partOf"] == head["id"]
    texts = [item["object"]["content"] for item in first["orderedItems"]]
    assert len(texts) == 20
    assert texts[0] == "<p>quietly public</p>"
    assert texts[1] == "<p>public post 24</p>"
    second = (await client.get(first["next"].removeprefix(BASE), headers=AP)).json()
    texts += [item["object"]["content"] for item in second["orderedItems"]]
    assert "next" not in second
    assert len(texts) == 26
    assert not any("followers only" in t or "direct message" in t for t in texts)
    activity = first["orderedItems"][1]
    assert activity["type"] == "Create"
    assert activity["actor"] == f"{BASE}/users/alice"
    assert activity["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert activity["cc"] == [f"{BASE}/users/alice/followers"]


async def test_public_posts_are_served_as_notes_and_others_are_not_found(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        public = await world.post(session, alice, "hello")
        private = await world.post(session, alice, "for followers", Visibility.PRIVATE)

    note = (await client.get(f"/users/alice/statuses/{public.id}", headers=AP)).json()
    assert note["type"] == "Note"
    assert note["id"] == public.uri
    assert note["attributedTo"] == f"{BASE}/users/alice"
    assert note["content"] == "<p>hello</p>"
    activity = await client.get(f"/users/alice/statuses/{public.id}/activity", headers=AP)
    assert activity.json()["object"]["id"] == public.uri
    page = await client.get(f"/@alice/{public.id}", headers=BROWSER)
    assert page.status_code == 200 and "hello" in page.text
    hidden = await client.get(f"/users/alice/statuses/{private.id}", headers=AP)
    assert hidden.status_code == 404
    assert hidden.json() == {"error": "there is no such post here"}
    assert (await client.get("/users/alice/statuses/abc", headers=AP)).status_code == 400


async def test_follower_collections_publish_counts_but_never_who(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        bob = await world.local_member(session, "bob", base_url=BASE)
        carol = await world.local_member(session, "carol", base_url=BASE)
        session.add(Follow(follower_id=bob.id, followed_id=alice.id, state=FollowState.ACCEPTED))
        session.add(Follow(follower_id=carol.id, followed_id=alice.id))  # still pending

    followers = (await client.get("/users/alice/followers", headers=AP)).json()
    assert followers["totalItems"] == 1
    assert set(followers) == {"@context", "id", "type", "totalItems"}
    following = (await client.get("/users/bob/following", headers=AP)).json()
    assert following["totalItems"] == 1
    assert set(following) == {"@context", "id", "type", "totalItems"}


async def test_featured_lists_pinned_public_posts(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        pinned = await world.post(session, alice, "read this first")
        pinned.pinned_at = utcnow()
        await world.post(session, alice, "not pinned")

    featured = (await client.get("/users/alice/collections/featured", headers=AP)).json()
    assert featured["totalItems"] == 1
    assert [item["id"] for item in featured["orderedItems"]] == [pinned.uri]


async def test_unknown_suspended_and_deleted_accounts(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        gone = await world.local_member(session, "gone", base_url=BASE)
        hidden = await world.local_member(session, "hidden", base_url=BASE)
        await erase_local_account(session, gone)
        accounts.suspend(hidden)

    missing = await client.get("/users/nobody", headers=AP)
    assert missing.status_code == 404
    assert missing.json() == {"error": "There is no such account."}
    deleted = await client.get("/users/gone", headers=AP)
    assert deleted.status_code == 410
    assert deleted.json()["type"] == "Tombstone"
    assert deleted.json()["id"] == f"{BASE}/users/gone"
    assert (await client.get("/users/hidden", headers=AP)).status_code == 410
    assert (await client.get("/users/hidden/outbox", headers=AP)).status_code == 410
    page = await client.get("/users/nobody", headers=BROWSER)
    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
