"""The home timeline through the client API: what each Status on a page shows."""

from __future__ import annotations

import httpx
import pytest

from content import interactions, oauth, posts, relationships
from content.interactions import Kind
from node.state import Services
from tests.node.conftest import BASE
from tests.rig import world

pytestmark = pytest.mark.anyio


async def test_a_home_page_shows_counts_replies_mentions_and_what_the_reader_did(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        bea = await world.local_member(session, "bea", base_url=BASE)
        cy = await world.local_member(session, "cy", base_url=BASE)
        dee = await world.local_member(session, "dee", base_url=BASE)
        await relationships.add_follow(session, alice, bea, uri=f"{BASE}/f/1", accepted=True)
        await relationships.add_follow(session, bea, cy, uri=f"{BASE}/f/2", accepted=True)
        await relationships.add_follow(session, bea, dee, uri=f"{BASE}/f/3", accepted=False)
        first = await world.post(session, bea, "first")
        posts.create_local(session, cy, "a reply alice does not follow", in_reply_to=first)
        reply = posts.create_local(session, alice, "me too", in_reply_to=first, mentioned=[bea])
        second = await world.post(session, bea, "second")
        await session.flush()
        await interactions.add(session, alice, first, Kind.LIKE, uri=f"{BASE}/l/1")
        await interactions.add(session, cy, first, Kind.LIKE, uri=f"{BASE}/l/2")
        await interactions.add(session, cy, first, Kind.BOOST, uri=f"{BASE}/b/1")
        app, _ = oauth.register_app(
            session, name="test", redirect_uris=[oauth.OOB], scopes=["read"], website=None
        )
        await session.flush()
        _, token = oauth.issue_token(session, app, alice, ["read"])
    client.headers["authorization"] = f"Bearer {token}"

    page = (await client.get("/api/v1/timelines/home")).json()

    assert [s["id"] for s in page] == [str(second.id), str(reply.id), str(first.id)]
    newest, mine, oldest = page
    assert (oldest["replies_count"], oldest["favourites_count"], oldest["reblogs_count"]) == (
        2,
        2,
        1,
    )
    assert (oldest["favourited"], oldest["reblogged"]) == (True, False)
    assert (newest["replies_count"], newest["favourites_count"], newest["favourited"]) == (
        0,
        0,
        False,
    )
    assert mine["in_reply_to_id"] == str(first.id)
    assert mine["in_reply_to_account_id"] == str(bea.id)
    assert [m["acct"] for m in mine["mentions"]] == ["bea"]
    assert newest["mentions"] == [] and newest["in_reply_to_id"] is None
    author = oldest["account"]
    assert (author["statuses_count"], author["followers_count"], author["following_count"]) == (
        2,
        1,
        1,
    )
    assert author["last_status_at"] == second.created_at.date().isoformat()
    assert mine["account"]["statuses_count"] == 1
    for entity in page:  # one status alone is rendered exactly as on the page
        alone = await client.get(f"/api/v1/statuses/{entity['id']}")
        assert alone.json() == entity


async def test_a_boost_is_its_boosters_wrapper_and_pages_go_on_from_it(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice, bea, cy = [
            await world.local_member(session, name, base_url=BASE)
            for name in ("alice", "bea", "cy")
        ]
        await relationships.add_follow(session, alice, bea, uri=f"{BASE}/f/1", accepted=True)
        old = await world.post(session, cy, "cy's old post, boosted later")
        between = await world.post(session, bea, "between")
        boost = await interactions.add(session, bea, old, Kind.BOOST, uri=f"{BASE}/b/1")
        client.headers.update(await world.bearer(session, alice))

    first = (await client.get("/api/v1/timelines/home", params={"limit": 1})).json()
    older = {"limit": 1, "max_id": first[0]["id"]}
    second = (await client.get("/api/v1/timelines/home", params=older)).json()

    wrapper = first[0]
    assert (wrapper["id"], wrapper["account"]["acct"]) == (str(boost.id), "bea")
    assert (wrapper["reblog"]["id"], wrapper["reblog"]["account"]["acct"]) == (str(old.id), "cy")
    assert [status["id"] for status in second] == [str(between.id)]
