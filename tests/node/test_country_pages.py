"""Country pages on the web: staff write a page per language in Markdown (errors by field,
each save a revision sent to the organisation's followers); readers get their language with
links to the other translations, the history and the stale mark."""

from __future__ import annotations

import json

import httpx
import pytest

from activitypub import ActorType
from content.users import Role
from node.state import Services
from tests.node.conftest import BASE
from tests.node.test_directory_pages import eve_follows_the_organisation, sent, setup, sign_in
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
OBJECT = f"{BASE}/countries/DE/organisation"
FORM = {
    "language": "en",
    "title": "Sex work in Germany",
    "legal": "Sex work is legal. <script>alert(1)</script> [law](javascript:alert(1))",
    "health": "Tests at the [health office](https://gesundheitsamt.example).",
    "sources": "https://www.gesetze-im-internet.de/prostschg/\nProstSchG § 3",
    "last_reviewed": "2026-09-01",
    "note": "First version",
}
FRENCH = {
    **FORM,
    "language": "fr",
    "title": "Le travail du sexe en Allemagne",
    "legal": "Le travail du sexe est légal.",
    "note": "Traduction",
}


async def test_staff_write_translations_and_followers_are_told(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "sam")
    assert 'action="/countries/write"' in (await client.get("/countries")).text
    opened = await client.get("/countries/write", params={"country": "de", "version": "EN"})
    assert opened.headers["location"] == "/countries/DE/edit?version=en"
    assert (await client.get("/countries/de/edit?version=en")).status_code == 200
    saved = await client.post("/countries/de/edit", data=FORM)
    assert saved.status_code == 303 and saved.headers["location"] == "/countries/DE?version=en"
    [create] = await sent(services, remote)
    assert create["type"] == "Create" and create["actor"] == f"{BASE}/users/organisation"
    page = create["object"]
    assert page["type"] == ["Article", "CountryInformation"]
    assert page["id"] == OBJECT and page["url"] == f"{BASE}/countries/DE"
    assert page["countryCode"] == "DE" and page["nameMap"] == {"en": "Sex work in Germany"}
    assert "<h3>Legal framework for sex work</h3>" in page["content"]
    assert "<script" not in json.dumps(create) and 'href=\\"javascript' not in json.dumps(create)
    await client.post("/countries/DE/edit", data=FRENCH)
    [update] = await sent(services, remote)
    assert update["type"] == "Update"
    assert set(update["object"]["contentMap"]) == {"en", "fr"}
    [english, french] = update["object"]["languageVersions"]
    assert french["inLanguage"] == "fr" and french["revision"] == 1
    assert french["legalFramework"] == "<p>Le travail du sexe est légal.</p>\n"
    assert english["sources"] == FORM["sources"].split("\n")
    assert english["lastReviewed"] == "2026-09-01"
    await client.post("/countries/DE/edit", data={**FORM, "legal": "Legal.", "note": "Shorter"})
    [update] = await sent(services, remote)
    assert update["object"]["languageVersions"][0]["revision"] == 2
    editor = (await client.get("/countries/DE/edit?version=en")).text
    assert ">Legal.</textarea>" in editor
    history = (await client.get("/countries/DE/history")).text
    order = ["Shorter", "Revision 1</strong> in French", "First version"]
    assert sorted(order, key=history.index) == order
    assert "by sam" in history
    document = await client.get(OBJECT, headers={"Accept": "application/activity+json"})
    assert document.json()["nameMap"]["fr"] == "Le travail du sexe en Allemagne"
    assert (await client.post("/countries/DE/delete?version=fr")).status_code == 303
    [update] = await sent(services, remote)
    assert update["type"] == "Update" and list(update["object"]["nameMap"]) == ["en"]
    assert (await client.post("/countries/DE/delete?version=en")).status_code == 303
    [delete] = await sent(services, remote)
    assert delete["type"] == "Delete" and delete["object"]["id"] == OBJECT
    assert (
        await client.get(OBJECT, headers={"Accept": "application/activity+json"})
    ).status_code == 404


async def test_readers_get_their_language_and_links_to_the_others(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "sam")
    await client.post("/countries/DE/edit", data=FORM)
    await client.post("/countries/DE/edit", data=FRENCH)
    client.cookies.clear()
    assert '<a href="/countries">Countries</a>' in (await client.get("/")).text
    index = (await client.get("/countries")).text
    assert '<a href="/countries/DE">Germany</a>' in index and "/countries/write" not in index
    french = await client.get("/countries/de", headers={"Accept-Language": "fr-CH, en;q=0.5"})
    assert french.status_code == 200 and "Accept-Language" in french.headers["vary"]
    assert (
        '<h2 id="page-' in french.text
        and 'lang="fr" dir="auto">Le travail du sexe en Allemagne' in french.text
    )
    assert '<a href="/countries/DE?version=en" hreflang="en" lang="en">English</a>' in french.text
    english = (await client.get("/countries/DE", headers={"Accept-Language": "de"})).text
    assert "Sex work in Germany" in english and "Le travail" not in english
    assert 'lang="fr">français</a>' in english
    assert '<a href="https://gesundheitsamt.example" rel="nofollow noopener noreferrer">' in english
    assert "&lt;script&gt;" in english and "<script>alert" not in english
    assert 'href="javascript' not in english
    assert 'rel="nofollow noopener noreferrer">https://www.gesetze-im-internet.de' in english
    assert "ProstSchG § 3" in english and "Verlauf dieser Seite" in english  # German interface
    assert "Stale" not in english and "Edit this translation" not in english
    chosen = (await client.get("/countries/DE?lang=fr", headers={"Accept-Language": "en"})).text
    assert "Le travail du sexe" in chosen
    assert (await client.get("/countries/ZZ")).status_code == 404
    nothing = (await client.get("/countries/PT")).text
    assert "No organisation has written about Portugal yet." in nothing
    browser = await client.get(OBJECT)
    assert browser.status_code == 303 and browser.headers["location"] == "/countries/DE"


async def test_errors_are_shown_next_to_their_fields_and_only_staff_edit(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "sam")
    bad = {**FORM, "language": "not a tag", "title": "", "last_reviewed": "soon"}
    answer = await client.post("/countries/DE/edit", data=bad)
    assert answer.status_code == 400
    assert '<p class="error" id="language-error">Give a language tag' in answer.text
    assert 'id="title-error"' in answer.text and 'id="last_reviewed-error"' in answer.text
    assert "Tests at the [health office]" in answer.text  # what was typed is kept
    old = await client.post("/countries/DE/edit", data={**FORM, "last_reviewed": "2025-01-01"})
    assert old.status_code == 303
    assert "Stale: this page has not been reviewed" in (await client.get("/countries/DE")).text
    await sent(services, remote)
    await sign_in(client, "alice")
    assert (await client.get("/countries/DE/edit")).status_code == 403
    assert (await client.post("/countries/DE/edit", data=FORM)).status_code == 403
    assert (await client.post("/countries/DE/delete?version=en")).status_code == 403
    client.cookies.clear()
    assert (await client.get("/countries/DE/edit")).headers["location"].startswith("/login")
    forged = await client.post(
        "/countries/DE/edit", data=FORM, headers={"Origin": "https://evil.example"}
    )
    assert forged.status_code == 403
    assert await sent(services, remote) == []


async def test_a_new_follower_of_the_organisation_gets_its_country_pages(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_actor(session, "organisation", ActorType.ORGANIZATION)
        await world.local_member(session, "sam", role=Role.STAFF)
    await sign_in(client, "sam")
    await client.post("/countries/DE/edit", data=FORM)
    await client.post("/countries/RO/edit", data={**FRENCH, "title": "Roumanie"})
    assert await sent(services, remote) == []
    kinds = await eve_follows_the_organisation(client, services, remote)
    assert kinds == [("Accept", ""), ("Create", "Roumanie"), ("Create", "Sex work in Germany")]
