"""Safe visibility defaults: members' pages are closed to search engines until they opt in to
being discoverable, and a member can show her public posts on the web pages to signed-in
viewers only (ActivityPub and the client API are unchanged)."""

from __future__ import annotations

import json

import httpx
import pytest

from content import accounts, relationships
from content.accounts import Account
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_settings_pages import _cache_eve, sign_in
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
AP = {"Accept": "application/activity+json"}


async def alice_posts(services: Services, text: str) -> tuple[Account, int]:
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        post = await world.post(session, alice, text)
    return alice, post.id


async def test_a_profile_is_closed_to_search_engines_until_she_opts_in(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    alice, post_id = await alice_posts(services, "hello")
    eve = await _cache_eve(services)
    async with services.sessions() as session, session.begin():
        await relationships.add_follow(session, eve, alice, uri=f"{EVE}/f/1", accepted=True)
    for path in ("/@alice", f"/@alice/{post_id}"):
        page = await client.get(path)
        assert page.headers["x-robots-tag"] == "noindex, nofollow", path
        assert '<meta name="robots" content="noindex, nofollow">' in page.text
    assert (await client.get("/users/alice", headers=AP)).json()["discoverable"] is False

    await sign_in(client, "alice")
    form = await client.get("/settings/privacy")
    assert 'name="discoverable">' in form.text  # unticked
    elsewhere = await client.post(
        "/settings/privacy", data={"discoverable": "on"}, headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403
    saved = await client.post("/settings/privacy", data={"discoverable": "on"})
    assert saved.headers["location"] == "/settings/privacy"
    assert 'name="discoverable" checked>' in (await client.get(saved.headers["location"])).text
    client.cookies.clear()
    page = await client.get("/@alice")
    assert page.headers["x-robots-tag"] == "nofollow"
    assert '<meta name="robots" content="nofollow">' in page.text
    assert (await client.get("/users/alice", headers=AP)).json()["discoverable"] is True

    await Worker(services.federation).run_once()
    [update] = [json.loads(r.content) for r in remote.requests if r.method == "POST"]
    assert (update["type"], update["object"]["discoverable"]) == ("Update", True)


async def test_her_public_posts_show_on_the_web_to_signed_in_viewers_only(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    _, post_id = await alice_posts(services, "out tonight #harbour")
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "bob", base_url=BASE)
    await sign_in(client, "alice")
    saved = await client.post("/settings/privacy", data={"hide_from_guests": "on"})
    assert saved.status_code == 303
    client.cookies.clear()

    profile = await client.get("/@alice")
    assert "out tonight" not in profile.text
    assert "Posts are shown to people signed in to this node." in profile.text
    assert (await client.get(f"/@alice/{post_id}")).status_code == 404
    assert "out tonight" not in (await client.get("/tags/harbour")).text
    # Other servers get it as before; the client API, like the pages, not without an account.
    document = await client.get(f"/users/alice/statuses/{post_id}", headers=AP)
    assert "out tonight" in document.json()["content"]
    public = await client.get("/api/v1/timelines/public", params={"local": "true"})
    assert public.json() == []

    await sign_in(client, "bob")
    assert "out tonight" in (await client.get("/@alice")).text
    assert "out tonight" in (await client.get(f"/@alice/{post_id}")).text
    assert "out tonight" in (await client.get("/tags/harbour")).text
