"""The directory pages: staff publish, edit and delete listings (errors shown by field, each
change sent to the organisation's followers); members and visitors search and read."""

from __future__ import annotations

import html
import json
import re
from typing import Any

import httpx
import pytest

from activitypub import ActorType
from content import relationships
from content.users import Role
from federation import resolve
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
FORM = {
    "name": "Night clinic",
    "organisation": "Hydra",
    "country": "de",
    "city": "Berlin",
    "summary": "Anonymous STI tests at night.",
    "categories": ["sexual-health", "prep"],
    "languages": "de, en, ro",
    "anonymous": "on",
    "street_address": "Secret street 1",
    "address_hidden": "on",
    "last_verified": "2026-11-01",
    "verified_by": "Hydra",
}


async def sign_in(client: httpx.AsyncClient, username: str) -> None:
    signed = await client.post("/login", data={"username": username, "password": world.PASSWORD})
    assert signed.status_code == 303


async def setup(services: Services) -> None:
    """The organisation, a staff member, and eve on remote.example following the organisation."""
    async with services.sessions() as session, session.begin():
        org = await world.local_actor(session, "organisation", ActorType.ORGANIZATION)
        await world.local_member(session, "sam", role=Role.STAFF)
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        await relationships.add_follow(session, eve, org, uri=f"{EVE}/f/9", accepted=True)


async def sent(services: Services, remote: FakeServer) -> list[dict[str, Any]]:
    await Worker(services.federation).run_once()
    posts = [json.loads(r.content) for r in remote.requests if r.method == "POST"]
    remote.requests.clear()
    return posts


async def eve_follows_the_organisation(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> list[tuple[str, str]]:
    """Eve follows the organisation: what it sent her, as (type, object name) pairs."""
    follow = {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{EVE}/follows/1",
        "type": "Follow",
        "actor": EVE,
        "object": f"{BASE}/users/organisation",
    }
    assert (await deliver(client, follow)).status_code == 202
    await Worker(services.federation).run_once()
    return sorted((a["type"], a["object"].get("name", "")) for a in await sent(services, remote))


async def test_staff_publish_edit_and_delete_and_followers_are_told(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "sam")
    assert (await client.get("/directory/new")).status_code == 200
    made = await client.post("/directory/new", data=FORM)
    assert made.status_code == 303
    path = made.headers["location"]
    [create] = await sent(services, remote)
    assert create["type"] == "Create" and create["actor"] == f"{BASE}/users/organisation"
    listing = create["object"]
    assert listing["type"] == ["Page", "ServiceListing"]
    assert listing["id"] == f"{BASE}{path}"
    assert listing["availableLanguage"] == ["de", "en", "ro"]
    assert "Secret street" not in json.dumps(create)
    assert "Night clinic" in listing["content"]
    page = (await client.get(path)).text
    assert "Night clinic" in page and "Secret street 1" in page  # staff see the hidden address
    edited = await client.post(f"{path}/edit", data={**FORM, "name": "Late clinic"})
    assert edited.status_code == 303
    [update] = await sent(services, remote)
    assert update["type"] == "Update" and update["object"]["name"] == "Late clinic"
    assert (await client.post(f"{path}/delete")).status_code == 303
    [delete] = await sent(services, remote)
    assert delete["type"] == "Delete" and delete["object"]["id"] == listing["id"]
    assert (await client.get(path)).status_code == 404


async def test_errors_are_shown_next_to_their_fields(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "sam")
    bad = {**FORM, "country": "ZZ", "languages": "not-a-language-tag!", "last_verified": "soon"}
    answer = await client.post("/directory/new", data=bad)
    assert answer.status_code == 400
    page = answer.text
    assert '<p class="error" id="country-error">Choose a country' in page
    assert 'id="languages-error"' in page and 'id="last_verified-error"' in page
    assert 'value="Night clinic"' in page  # what was typed is kept
    assert await sent(services, remote) == []


async def test_members_and_visitors_search_and_read_but_do_not_publish(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "sam")
    path = (await client.post("/directory/new", data=FORM)).headers["location"]
    await client.post("/directory/new", data={**FORM, "name": "Bucharest legal", "country": "RO",
                                              "categories": ["migration-legal"]})  # fmt: skip
    await sign_in(client, "alice")
    assert (await client.get("/directory/new")).status_code == 403
    assert (await client.post(f"{path}/delete")).status_code == 403
    client.cookies.clear()
    assert (await client.get("/directory/new")).headers["location"].startswith("/login")
    assert '<a href="/directory">Services</a>' in (await client.get("/")).text
    everything = (await client.get("/directory")).text
    assert "Night clinic" in everything and "Bucharest legal" in everything
    for country in ("RO", "romania", " Romania "):
        romania = (await client.get("/directory", params={"country": country})).text
        assert "Bucharest legal" in romania and "Night clinic" not in romania
    nowhere = (await client.get("/directory", params={"country": "Atlantis"})).text
    assert "There is no country called “Atlantis”" in nowhere and "Bucharest" not in nowhere
    home = (await client.get("/")).text
    assert 'aria-label="Find a service"' in home
    assert '<option value="Romania" translate="no">RO</option>' in home
    legal = (await client.get("/directory", params={"category": "prep", "language": "de"})).text
    assert "Night clinic" in legal and "Bucharest legal" not in legal
    assert "Night clinic" in (await client.get("/directory", params={"q": "NIGHT"})).text
    page = (await client.get(path)).text
    assert "Night clinic" in page and "Secret street" not in page and "Edit this" not in page
    document = await client.get(path, headers={"Accept": "application/activity+json"})
    assert document.json()["name"] == "Night clinic"
    assert "Secret street" not in document.text


async def test_the_directory_pages_through_older_listings(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "sam")
    for number in range(21):
        await client.post("/directory/new", data={**FORM, "name": f"Service {number:02}"})
    client.cookies.clear()
    first = (await client.get("/directory")).text
    assert "Service 20" in first and "Service 01" in first and "Service 00" not in first
    older = re.search(r'<a href="([^"]+)">More listings</a>', first)
    assert older is not None
    second = (await client.get(html.unescape(older[1]))).text
    assert "Service 00" in second and "Service 01" not in second
    assert "More listings" not in second
    assert (await client.get("/directory", params={"max_id": "9" * 30})).status_code == 200


async def test_a_new_follower_of_the_organisation_gets_its_listings(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_actor(session, "organisation", ActorType.ORGANIZATION)
        await world.local_member(session, "sam", role=Role.STAFF)
    await sign_in(client, "sam")
    await client.post("/directory/new", data=FORM)
    assert await sent(services, remote) == []  # nobody follows the organisation yet
    assert await eve_follows_the_organisation(client, services, remote) == [
        ("Accept", ""), ("Create", "Night clinic")
    ]  # fmt: skip
