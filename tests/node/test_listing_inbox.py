"""Listings from another organisation's node, as its server sends them: mirrored when
someone here follows the organisation, changed and deleted only by their origin."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from activitypub import ActorType
from content import accounts, directory, relationships
from content.directory import Query
from content.listing_fields import Translation
from content.paging import NEWEST
from federation import outbox, resolve
from federation.worker import Worker
from moderation import domain_blocks
from moderation.domain_blocks import BlockTerms, Severity
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_inbox import deliver
from tests.rig import world
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
LISTING = "https://remote.example/directory/1"
MALLORY = "https://remote.example/users/mallory"


@pytest.fixture(autouse=True)
def eve_is_an_organisation(remote: FakeServer) -> None:
    """Only organisations publish listings and country pages: eve is one here."""
    remote.add_actor(EVE, keypair_for_tests(3), "eve", ActorType.ORGANIZATION)


def listing(**changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": LISTING,
        "type": ["Page", "ServiceListing"],
        "attributedTo": EVE,
        "name": "Clinic <b>Rosa</b><script>alert(1)</script>",
        "summary": "Walk-in STI tests &amp; PrEP",
        "content": "<p>Clinic Rosa</p>",
        "provider": {"type": "Organization", "name": "Rosa Collective"},
        "areaServed": {
            "type": "Place",
            "address": {"addressCountry": "ro", "addressLocality": "Cluj"},
        },
        "serviceType": ["sexual-health", "sex-work-unions"],
        "availableLanguage": ["ro", "hu"],
        "anonymous": True,
        "lastVerified": "2026-10-01",
        "verifiedBy": "Rosa Collective",
    }
    document.update(changes)
    return document


def activity(kind: str, object_: Any, number: int, actor: str = EVE) -> dict[str, Any]:
    return {
        "@context": "https://www.w3.org/ns/activitystreams",
        "id": f"{actor}/activities/{number}",
        "type": kind,
        "actor": actor,
        "object": object_,
    }


async def follow_eve(services: Services, uri: str = EVE, *, accepted: bool = True) -> None:
    """alice follows eve (or the actor at `uri`)."""
    async with services.sessions() as session, session.begin():
        alice = await accounts.get_local(session, "alice")
        eve = await resolve.actor_by_uri(services.federation, session, uri)
        assert alice is not None
        await relationships.add_follow(session, alice, eve, uri=f"{BASE}/f/1", accepted=accepted)


async def send(
    client: httpx.AsyncClient, services: Services, body: dict[str, Any], **kw: Any
) -> None:
    assert (await deliver(client, body, **kw)).status_code == 202
    await Worker(services.federation).run_once()


async def found(services: Services, **query: str) -> list[directory.Listing]:
    async with services.sessions() as session:
        rows = await directory.search(session, Query(**query), NEWEST)
    return [row for row, _ in rows]


async def test_a_followed_organisations_listing_is_mirrored_updated_and_deleted(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await follow_eve(services)
    await send(client, services, activity("Create", listing(), 1))
    [copy] = await found(services, country="RO", language="hu")
    assert copy.name == "Clinic Rosa"
    assert copy.summary == "Walk-in STI tests & PrEP"
    assert copy.categories == ["sexual-health", "sex-work-unions"]
    assert copy.anonymous and copy.last_verified == date(2026, 10, 1)
    assert copy.language == "en" and copy.translations == []  # no language maps: English
    await send(client, services, activity("Update", listing(name="Clinic Rosa Cluj"), 2))
    assert [c.name for c in await found(services, text="cluj")] == ["Clinic Rosa Cluj"]
    await send(client, services, activity("Delete", {"id": LISTING, "type": "Tombstone"}, 3))
    assert await found(services) == []


async def test_listings_of_organisations_nobody_follows_are_not_kept(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await send(client, services, activity("Create", listing(), 1))
    assert await found(services) == []


async def test_only_the_origin_changes_or_deletes_a_listing(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await follow_eve(services)
    remote.add_actor(MALLORY, keypair_for_tests(4), "mallory")
    await send(client, services, activity("Create", listing(), 1))
    mallory = {"keypair": keypair_for_tests(4), "key_id": f"{MALLORY}#main-key"}
    forged = listing(name="Forged", attributedTo=MALLORY)
    await send(client, services, activity("Update", forged, 2, MALLORY), **mallory)
    claimed = listing(name="Forged")
    await send(client, services, activity("Update", claimed, 3, MALLORY), **mallory)
    tombstone = {"id": LISTING, "type": "Tombstone"}
    await send(client, services, activity("Delete", tombstone, 4, MALLORY), **mallory)
    assert [c.name for c in await found(services)] == ["Clinic Rosa"]


async def test_an_invalid_listing_is_not_kept(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await follow_eve(services)
    await send(client, services, activity("Create", listing(availableLanguage=[]), 1))
    assert await found(services) == []


async def test_suspending_a_server_removes_its_listings(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await follow_eve(services)
    await send(client, services, activity("Create", listing(), 1))
    assert len(await found(services)) == 1
    async with services.sessions() as session, session.begin():
        await domain_blocks.block(session, BlockTerms("remote.example", Severity.SUSPEND))
    assert await found(services) == []


async def test_copies_go_when_the_last_follow_of_their_organisation_ends(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await follow_eve(services)
    async with services.sessions() as session, session.begin():
        bob = await world.local_member(session, "bob")
        eve = await resolve.actor_by_uri(services.federation, session, EVE)
        await relationships.add_follow(session, bob, eve, uri=f"{BASE}/f/2", accepted=True)
    await send(client, services, activity("Create", listing(), 1))

    async with services.sessions() as session, session.begin():
        await outbox.unfollow(services.federation, session, bob, eve)
    assert [c.name for c in await found(services)] == ["Clinic Rosa"]  # alice still follows

    refused = {"id": f"{BASE}/f/1", "type": "Follow", "actor": f"{BASE}/users/alice"}
    await send(client, services, activity("Reject", {**refused, "object": EVE}, 2))
    assert await found(services) == []


async def test_a_listing_keeps_its_valid_translations_sanitised(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await follow_eve(services)
    names = {
        "ro": "Clinica Rosa",
        "en": "Rosa <b>clinic</b>",
        '"><script>alert(1)</script>': "Hostile",
        "HU": "Rosa klinika",
        "de": ["not", "text"],
    }
    summaries = {"en": "<img src=x onerror=alert(1)>Walk-in tests", "fr": "Tests"}
    many = {f"x-{n:03}": "Name" for n in range(60)}
    document = listing(
        name="Clinica Rosa",
        summary="Teste ITS",
        inLanguage="ro",
        nameMap={**names, **many},
        summaryMap=summaries,
    )
    await send(client, services, activity("Create", document, 1))
    [copy] = await found(services, text="klinika")
    assert copy.language == "ro"
    assert copy.translations[:3] == [
        Translation("en", "Rosa clinic", "Walk-in tests"),
        Translation("hu", "Rosa klinika", ""),
        Translation("x-000", "Name", ""),
    ]
    assert len(copy.translations) == 40
    assert "Hostile" not in copy.search_text
    page = await client.get(f"/directory/{copy.id}", headers={"Accept-Language": "en"})
    assert '<h1 lang="en" dir="auto">Rosa clinic</h1>' in page.text
    assert "<img" not in page.text and "<script>alert" not in page.text

    older = listing(name="Clinica Rosa", contentMap={"ro": "<p>Clinica Rosa</p>"},
                    nameMap={"ro": "Clinica Rosa", "hu": "Rosa klinika"})  # fmt: skip
    await send(client, services, activity("Update", older, 2))
    [copy] = await found(services)
    assert copy.language == "ro"  # no inLanguage: the first key of contentMap, as Mastodon
    assert copy.translations == [Translation("hu", "Rosa klinika", "")]


async def test_a_create_overtaken_by_the_update_does_not_take_the_edit_back(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await follow_eve(services)
    await send(client, services, activity("Update", listing(name="Clinic Rosa Cluj"), 2))
    await send(client, services, activity("Create", listing(), 1))  # delivered late
    assert [c.name for c in await found(services)] == ["Clinic Rosa Cluj"]
