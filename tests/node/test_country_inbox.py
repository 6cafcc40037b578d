"""Country pages from another organisation's node, as its server sends them: mirrored when
someone here follows the organisation (HTML sanitised, sizes capped), changed and deleted
only by their origin, and gone when its server is suspended."""

from __future__ import annotations

from datetime import date
from typing import Any

import httpx
import pytest

from content import countries
from content.countries import CountryPage
from moderation import domain_blocks
from moderation.domain_blocks import BlockTerms, Severity
from node.state import Services
from tests.node.conftest import EVE
from tests.node.test_listing_inbox import (  # noqa: F401 (a fixture)
    MALLORY,
    activity,
    eve_is_an_organisation,
    follow_eve,
    send,
)
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
PAGE = "https://remote.example/countries/RO/eve"


def version(language: str, **changes: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "inLanguage": language,
        "name": f"Romania ({language})",
        "legalFramework": '<p>Legal <a href="https://lege.example" target="_blank">law</a>'
        "<script>steal()</script></p>",
        "keyContacts": '<p onclick="steal()">Call <a href="javascript:steal()">us</a></p>',
        "sources": ["https://lege.example/1", "<b>Law 61/1991</b>"],
        "lastReviewed": "2026-10-01",
        "revision": 3,
    }
    found.update(changes)
    return found


def page(*versions: dict[str, Any], **changes: Any) -> dict[str, Any]:
    document: dict[str, Any] = {
        "id": PAGE,
        "type": ["Article", "CountryInformation"],
        "attributedTo": EVE,
        "name": "Romania",
        "content": "<p>Romania</p>",
        "countryCode": "RO",
        "languageVersions": list(versions) or [version("ro"), version("en")],
    }
    document.update(changes)
    return document


async def mirrored(services: Services) -> list[CountryPage]:
    async with services.sessions() as session:
        return [p for p, _ in await countries.for_country(session, "RO")]


async def test_a_followed_organisations_page_is_mirrored_updated_and_deleted(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await follow_eve(services)
    await send(client, services, activity("Create", page(), 1))
    [english, romanian] = await mirrored(services)
    assert (romanian.language, romanian.title, romanian.revision) == ("ro", "Romania (ro)", 3)
    assert romanian.legal_html == (
        '<p>Legal <a href="https://lege.example" rel="nofollow noopener noreferrer">law</a></p>'
    )
    assert romanian.contacts_html == '<p>Call <a rel="nofollow noopener noreferrer">us</a></p>'
    assert romanian.sources == ["https://lege.example/1", "Law 61/1991"]
    assert romanian.last_reviewed == date(2026, 10, 1)
    shown = (await client.get("/countries/RO", headers={"Accept-Language": "ro"})).text
    assert "Romania (ro)" in shown and "(remote.example)" in shown
    assert "steal" not in shown and "History of this page" not in shown
    french = version("fr", name="Roumanie", revision=1)
    await send(client, services, activity("Update", page(version("ro", revision=4), french), 2))
    found = {p.language: (p.title, p.revision) for p in await mirrored(services)}
    assert found == {"fr": ("Roumanie", 1), "ro": ("Romania (ro)", 4)}
    await send(client, services, activity("Delete", {"id": PAGE, "type": "Tombstone"}, 3))
    assert await mirrored(services) == []


async def test_pages_of_organisations_nobody_follows_are_not_kept(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await send(client, services, activity("Create", page(), 1))
    assert await mirrored(services) == []


async def test_only_the_origin_changes_or_deletes_a_page(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await follow_eve(services)
    remote.add_actor(MALLORY, keypair_for_tests(4), "mallory")
    await send(client, services, activity("Create", page(), 1))
    mallory = {"keypair": keypair_for_tests(4), "key_id": f"{MALLORY}#main-key"}
    forged = page(version("ro", name="Forged"), attributedTo=MALLORY)
    await send(client, services, activity("Update", forged, 2, MALLORY), **mallory)
    claimed = page(version("ro", name="Forged"))
    await send(client, services, activity("Update", claimed, 3, MALLORY), **mallory)
    tombstone = {"id": PAGE, "type": "Tombstone"}
    await send(client, services, activity("Delete", tombstone, 4, MALLORY), **mallory)
    assert [p.title for p in await mirrored(services)] == ["Romania (en)", "Romania (ro)"]


async def test_invalid_versions_and_oversized_sections_are_not_kept(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await follow_eve(services)
    versions = [
        version("ro", lastReviewed="2099-01-01"),
        version("not a tag"),
        version("hu", name=""),
        version("en", legalFramework="<p>" + "x" * 70_000 + "</p>"),
        version("de", legalFramework="<p>ok</p>", keyContacts=None),
    ]
    await send(client, services, activity("Create", page(*versions), 1))
    [german] = await mirrored(services)
    assert german.language == "de" and german.legal_html == "<p>ok</p>"
    await send(client, services, activity("Update", page(version("de"), countryCode="PT"), 2))
    assert [p.country for p in await mirrored(services)] == ["RO"]


async def test_suspending_a_server_removes_its_pages(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await follow_eve(services)
    await send(client, services, activity("Create", page(), 1))
    assert len(await mirrored(services)) == 2
    async with services.sessions() as session, session.begin():
        await domain_blocks.block(session, BlockTerms("remote.example", Severity.SUSPEND))
    assert await mirrored(services) == []
    assert "Romania" not in (await client.get("/countries")).text


async def test_a_create_overtaken_by_the_update_takes_nothing_back(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await follow_eve(services)
    first = page(version("en", revision=1))
    translated = page(version("en", revision=1), version("fr", name="Roumanie", revision=1))
    edited = page(version("en", name="Romania, revised", revision=2))

    await send(client, services, activity("Update", translated, 2))
    await send(client, services, activity("Create", first, 1))  # delivered late
    assert {p.language for p in await mirrored(services)} == {"en", "fr"}

    await send(client, services, activity("Update", edited, 3))
    assert {p.language for p in await mirrored(services)} == {"en"}
    await send(client, services, activity("Update", translated, 4))  # an older edit, late
    found = {p.language: (p.title, p.revision) for p in await mirrored(services)}
    assert found["en"] == ("Romania, revised", 2)
