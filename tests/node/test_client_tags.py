"""Hashtags through the client API: local and remote posts, edits, search and the tag page."""

from __future__ import annotations

import httpx
import pytest

from activitypub import PUBLIC
from content.audience import Visibility
from federation import outbox
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE
from tests.node.test_inbox import deliver, note_to_alice
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def test_local_and_remote_posts_meet_on_the_tag_timeline(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "bob", base_url=BASE)
        token = await world.bearer_token(session, alice)
        await world.post(session, alice, "Free testing on Friday #PrEP #HarmReduction")
        await world.post(session, alice, "no tag here")
    note = note_to_alice()["object"]
    assert isinstance(note, dict)
    note.update(
        content="<p>Our clinic too <a href='https://remote.example/tags/prep'>#PrEP</a></p>",
        tag=[
            {"type": "Mention", "href": f"{BASE}/users/alice"},
            {"type": "Hashtag", "name": "#PREP", "href": "https://remote.example/tags/prep"},
            {"type": "Hashtag", "name": "#1"},
        ],
        to=[PUBLIC],
    )
    activity = note_to_alice(object=note, to=[PUBLIC])
    assert (await deliver(client, activity)).status_code == 202
    await Worker(services.federation).run_once()

    timeline = (await client.get("/api/v1/timelines/tag/prep")).json()
    assert [s["account"]["acct"] for s in timeline] == ["eve@remote.example", "bob"]
    assert [t["name"] for t in timeline[1]["tags"]] == ["harmreduction", "prep"]
    assert timeline[1]["tags"][0]["url"] == f"{BASE}/tags/harmreduction"
    assert [t["name"] for t in timeline[0]["tags"]] == ["prep"]
    local = (await client.get("/api/v1/timelines/tag/PrEP", params={"local": "true"})).json()
    assert [s["account"]["acct"] for s in local] == ["bob"]

    found = await client.get(
        "/api/v2/search", params={"q": "#harm"}, headers={"Authorization": f"Bearer {token}"}
    )
    assert [t["name"] for t in found.json()["hashtags"]] == ["harmreduction"]
    assert (await client.get("/api/v1/tags/PREP")).json()["name"] == "prep"
    assert (await client.get("/api/v1/tags/unused")).status_code == 404
    page = await client.get("/tags/prep", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "Free testing on Friday" in page.text and "Our clinic too" in page.text


async def test_an_edit_changes_the_tags_a_post_is_found_by(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        post = await world.post(session, alice, "Meeting #Berlin")
        await outbox.edit(services.federation, session, alice, post, "Meeting moved #Hamburg")
    berlin = await client.get("/api/v1/timelines/tag/berlin")
    hamburg = await client.get("/api/v1/timelines/tag/hamburg")
    assert berlin.json() == []
    assert [s["content"] for s in hamburg.json()] == [
        '<p>Meeting moved <a href="https://harbour.test/tags/hamburg" class="mention hashtag"'
        ' rel="tag">#<span>Hamburg</span></a></p>'
    ]


async def test_scopes_are_checked_granularly(client: httpx.AsyncClient, services: Services) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        profile_only = await world.bearer_token(session, alice, "profile")
        follow_only = await world.bearer_token(session, alice, "follow")
        reader = await world.bearer_token(session, alice, "read:statuses")

    def auth(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}"}

    me = await client.get("/api/v1/accounts/verify_credentials", headers=auth(profile_only))
    assert me.json()["username"] == "alice"
    home = await client.get("/api/v1/timelines/home", headers=auth(profile_only))
    assert (home.status_code, home.json()) == (
        403,
        {"error": "This action is outside the authorized scopes"},
    )
    assert (await client.get("/api/v1/follow_requests", headers=auth(follow_only))).is_success
    assert (await client.get("/api/v1/timelines/home", headers=auth(reader))).is_success
    posting = await client.post("/api/v1/statuses", data={"status": "x"}, headers=auth(reader))
    assert posting.status_code == 403
    app = await client.post(
        "/api/v1/apps",
        data={"client_name": "x", "redirect_uris": world.OOB, "scopes": "read:everything"},
    )
    assert app.status_code in (400, 422)
    assert "read:everything" in app.text


async def test_unknown_api_paths_answer_json_even_to_browsers(client: httpx.AsyncClient) -> None:
    missing = await client.get("/api/v1/nothing/here", headers={"Accept": "text/html"})
    assert (missing.status_code, missing.json()) == (404, {"error": "Not Found"})
    assert (await client.get("/api/v1/filters")).status_code == 401


async def test_a_tag_only_private_posts_carry_is_unknown_to_search_and_to_its_page(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        bob = await world.local_member(session, "bob", base_url=BASE)
        token = await world.bearer_token(session, bob)
        await world.post(session, bob, "meet at the #safeflat", Visibility.DIRECT)
        await world.post(session, bob, "#safespaces list updated")
    reader = {"Authorization": f"Bearer {token}"}

    found = await client.get("/api/v2/search", params={"q": "#safe"}, headers=reader)
    assert [tag["name"] for tag in found.json()["hashtags"]] == ["safespaces"]
    assert (await client.get("/api/v1/tags/safeflat")).status_code == 404
    assert (await client.get("/api/v1/tags/safespaces")).json()["name"] == "safespaces"
