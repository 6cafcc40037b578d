"""Only organisations this node follows, with a follow they accepted, publish into its
directory and country pages: not a person, not an organisation that has not answered yet
(what it sent waits, unseen, for its Accept), not one nobody here follows."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from activitypub import ActorType
from content import country_trust, relationships
from federation import resolve
from federation.inbox import InboxItem
from federation.worker import Worker
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_country_inbox import mirrored, page
from tests.node.test_listing_inbox import (  # noqa: F401 (a fixture)
    LISTING,
    MALLORY,
    activity,
    eve_is_an_organisation,
    follow_eve,
    found,
    listing,
    send,
)
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
AS_MALLORY = {"keypair": keypair_for_tests(4), "key_id": f"{MALLORY}#main-key"}


async def test_a_person_followed_here_publishes_no_listing_or_country_page(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    remote.add_actor(MALLORY, keypair_for_tests(4), "mallory")  # a Person
    await follow_eve(services, MALLORY, accepted=True)
    own: dict[str, Any] = {"attributedTo": MALLORY}
    await send(client, services, activity("Create", listing(**own), 1, MALLORY), **AS_MALLORY)
    await send(client, services, activity("Create", page(**own), 2, MALLORY), **AS_MALLORY)
    assert await found(services) == [] and await mirrored(services) == []
    assert "Clinic Rosa" not in (await client.get("/directory")).text


async def test_an_organisations_objects_wait_unseen_for_its_accept(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await follow_eve(services, EVE, accepted=False)
    await send(client, services, activity("Create", listing(), 1))
    await send(client, services, activity("Create", page(), 2))
    assert await found(services) == [] and await mirrored(services) == []
    assert "Clinic Rosa" not in (await client.get("/directory")).text
    async with services.sessions() as session:
        states = set(await session.scalars(select(InboxItem.state)))
    assert states == {"retry"}  # held back quietly, not failed

    follow = {"id": f"{BASE}/f/1", "type": "Follow", "actor": f"{BASE}/users/alice", "object": EVE}
    await send(client, services, activity("Accept", follow, 3))
    await Worker(services.federation).run_once()
    [copy] = await found(services)
    assert copy.name == "Clinic Rosa" and len(await mirrored(services)) == 2
    shown = (await client.get(f"/directory/{copy.id}")).text
    assert "(remote.example)" in shown


async def test_an_organisation_nobody_here_follows_publishes_nothing(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    remote.add_actor(MALLORY, keypair_for_tests(4), "mallory", ActorType.ORGANIZATION)
    own: dict[str, Any] = {"attributedTo": MALLORY}
    await send(client, services, activity("Create", listing(**own), 1, MALLORY), **AS_MALLORY)
    await send(client, services, activity("Create", page(**own), 2, MALLORY), **AS_MALLORY)
    assert await found(services) == [] and await mirrored(services) == []


async def test_staff_name_the_organisations_they_trust_for_a_country(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    remote.add_actor(MALLORY, keypair_for_tests(4), "mallory", ActorType.ORGANIZATION)
    await follow_eve(services)
    async with services.sessions() as session, session.begin():  # bob follows mallory
        bob = await world.local_member(session, "bob")
        mallory = await resolve.actor_by_uri(services.federation, session, MALLORY)
        await relationships.add_follow(session, bob, mallory, uri=f"{BASE}/f/2", accepted=True)
    await send(client, services, activity("Create", listing(), 1))
    assert [c.name for c in await found(services)] == ["Clinic Rosa"]

    async with services.sessions() as session, session.begin():
        await country_trust.name(session, "RO", mallory)
    assert await found(services) == []  # eve is not named for Romania: her copy goes
    await send(client, services, activity("Update", listing(), 2))
    await send(client, services, activity("Create", page(), 3))
    german = listing(id=f"{LISTING}-de", name="Klinik", areaServed={"type": "Place",
                     "address": {"addressCountry": "de", "addressLocality": "Köln"}})  # fmt: skip
    await send(client, services, activity("Create", german, 4))
    own: dict[str, Any] = {"attributedTo": MALLORY, "id": "https://remote.example/directory/9"}
    await send(client, services, activity("Create", listing(**own), 5, MALLORY), **AS_MALLORY)
    assert sorted((c.country, c.name) for c in await found(services)) == [
        ("DE", "Klinik"),
        ("RO", "Clinic Rosa"),
    ]
    assert await mirrored(services) == []  # eve's page about Romania was refused too
    async with services.sessions() as session:
        assert [c.account_id for c in await found(services, country="RO")] == [mallory.id]
        assert await country_trust.all_named(session) != []
