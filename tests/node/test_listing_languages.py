"""Listings in several languages: staff write translations of the name and summary on the
form, followers get them as language maps, and readers see their own language (chosen by
Accept-Language, `?lang=` or `?version=`), with links to the others."""

from __future__ import annotations

import httpx
import pytest

from node.state import Services
from tests.node.test_directory_pages import FORM, sent, setup, sign_in
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
ROMANIAN = {
    "translations-0-language": "RO",
    "translations-0-name": "Clinica de noapte",
    "translations-0-summary": "Teste ITS anonime, noaptea.",
}


async def publish_in_two_languages(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> str:
    await setup(services)
    await sign_in(client, "sam")
    made = await client.post("/directory/new", data={**FORM, "language": "en", **ROMANIAN})
    assert made.status_code == 303
    return str(made.headers["location"])


async def test_staff_write_a_translation_and_followers_get_every_language(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    path = await publish_in_two_languages(client, services, remote)
    [create] = await sent(services, remote)
    listing = create["object"]
    assert listing["inLanguage"] == "en"
    assert listing["name"] == "Night clinic" and "Night clinic" in listing["content"]
    assert listing["nameMap"] == {"en": "Night clinic", "ro": "Clinica de noapte"}
    assert listing["summaryMap"] == {
        "en": "Anonymous STI tests at night.",
        "ro": "Teste ITS anonime, noaptea.",
    }
    assert list(listing["contentMap"]) == ["en", "ro"]
    assert "Clinica de noapte" in listing["contentMap"]["ro"]

    form = (await client.get(f"{path}/edit")).text
    assert '<option value="en" lang="en" selected>English</option>' in form
    first_row = form.split('name="translations-0-language"', 1)[1].split("</select>", 1)[0]
    assert '<option value="ro" lang="ro" selected>română</option>' in first_row
    assert 'value="Clinica de noapte" lang="ro"' in form
    assert 'for="translations-2-name">Translation 3: name</label>' in form  # two blank rows
    assert "translations-3-name" not in form
    assert "<legend>Translations</legend>" in form

    cleared = {**ROMANIAN, "translations-0-name": "", "translations-0-summary": ""}
    assert (await client.post(f"{path}/edit", data={**FORM, **cleared})).status_code == 303
    [update] = await sent(services, remote)
    assert update["object"]["nameMap"] == {"en": "Night clinic"}
    assert list(update["object"]["contentMap"]) == ["en"]
    assert "Clinica" not in (await client.get(path, params={"lang": "ro"})).text


async def test_translation_errors_are_shown_next_to_their_fields(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "sam")
    bad = {
        **FORM,
        "language": "english please",
        **ROMANIAN,
        "translations-1-language": "ro",
        "translations-1-name": "Din nou",
        "translations-2-language": "",
        "translations-2-summary": "x" * 4001,
    }
    answer = await client.post("/directory/new", data=bad)
    assert answer.status_code == 400
    page = answer.text
    assert '<p class="error" id="language-error">Give a language tag' in page
    assert (
        '<p class="error" id="translations-1-language-error">'
        "There is already a text in this language.</p>"
    ) in page
    assert 'id="translations-2-language-error"' in page
    assert '<p class="error" id="translations-2-summary-error">At most 4000' in page
    assert 'value="Din nou"' in page  # what was typed is kept
    assert await sent(services, remote) == []


async def test_readers_see_their_language_and_links_to_the_others(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    path = await publish_in_two_languages(client, services, remote)
    client.cookies.clear()
    romanian = await client.get(path, headers={"Accept-Language": "ro-RO,ro;q=0.9,en;q=0.5"})
    assert '<h1 lang="ro" dir="auto">Clinica de noapte</h1>' in romanian.text
    assert '<p lang="ro" dir="auto">Teste ITS anonime, noaptea.</p>' in romanian.text
    assert 'hreflang="en" lang="en">English</a>' in romanian.text
    assert "Accept-Language" in romanian.headers["vary"]

    chosen = await client.get(path, params={"lang": "en"}, headers={"Accept-Language": "ro"})
    assert '<h1 lang="en" dir="auto">Night clinic</h1>' in chosen.text
    assert f'<a href="{path}?version=ro" hreflang="ro" lang="ro">română</a>' in chosen.text

    french = await client.get(path, headers={"Accept-Language": "fr"})
    assert '<h1 lang="en" dir="auto">Night clinic</h1>' in french.text  # the listing's own language

    found = await client.get(
        "/directory", params={"q": "NOAPTEA"}, headers={"Accept-Language": "ro"}
    )
    assert 'lang="ro" dir="auto">Clinica de noapte</a>' in found.text
    assert '<p lang="ro" dir="auto">Teste ITS anonime, noaptea.</p>' in found.text
    assert "Accept-Language" in found.headers["vary"]
    overridden = (await client.get("/directory", params={"lang": "ro"})).text
    assert f'<a href="{path}?lang=ro" lang="ro" dir="auto">Clinica de noapte</a>' in overridden
    assert '<input type="hidden" name="lang" value="ro">' in overridden
    assert "Clinica" not in (await client.get("/directory")).text
