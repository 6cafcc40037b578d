"""Countries and languages in the reader's words, through real requests: the directory and
the country pages find a country by its name in any language, its own name or its code;
names and dates are in the reader's language; content with no version in the reader's
language says so and links the others; staff pick countries and languages from lists."""

from __future__ import annotations

import httpx
import pytest

from node.state import Services
from tests.node.test_country_pages import FORM as COUNTRY_PAGE
from tests.node.test_country_pages import FRENCH
from tests.node.test_directory_pages import FORM, sent, setup, sign_in
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
ROMANIAN_ONLY = {
    **FORM,
    "name": "Clinica de noapte",
    "summary": "Teste ITS anonime, noaptea.",
    "country": "RO",
    "city": "București",
    "language": "ro",
}


async def publish(client: httpx.AsyncClient, services: Services, *forms: dict) -> list[str]:
    await setup(services)
    await sign_in(client, "sam")
    paths = []
    for form in forms:
        made = await client.post("/directory/new", data=form)
        assert made.status_code == 303
        paths.append(str(made.headers["location"]))
    client.cookies.clear()
    return paths


async def test_the_directory_finds_a_country_by_any_name(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await publish(client, services, FORM, ROMANIAN_ONLY)
    for typed in ("germania", "Deutschland", "Allemagne", "DE", "germanía", "Германия",
                  "Németország", " NIEMCY "):  # fmt: skip
        page = (await client.get("/directory", params={"country": typed})).text
        assert "Night clinic" in page and "Clinica de noapte" not in page, typed
    for typed in ("România", "romania", "Rumänien", "Румъния", "ro"):
        page = (await client.get("/directory", params={"country": typed})).text
        assert "Clinica de noapte" in page and "Night clinic" not in page, typed
    romanian = {"Accept-Language": "ro"}
    typo = await client.get("/directory", params={"country": "Germny", "q": "x"}, headers=romanian)
    assert "Nu există nicio țară numită „Germny”" in typo.text and "Night clinic" not in typo.text
    assert '<a href="/directory?country=DE&amp;q=x">Germania</a>' in typo.text
    nowhere = (await client.get("/directory", params={"country": "Atlantis"})).text
    assert "There is no country called “Atlantis”" in nowhere and "Did you mean" not in nowhere


async def test_the_language_filter_takes_a_languages_name_in_any_language(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await publish(client, services, {**ROMANIAN_ONLY, "languages": ["ro"]})
    for typed in ("ro", "Romanian", "română", "ROMANA", "rumano", "румънски", "Rumänisch"):
        page = await client.get("/directory", params={"country": "RO", "language": typed})
        assert "Clinica de noapte" in page.text, typed
    other = await client.get("/directory", params={"country": "RO", "language": "Hungarian"})
    assert "Clinica de noapte" not in other.text


async def test_names_and_dates_are_in_the_readers_language(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    [path] = await publish(client, services, FORM)
    romanian = {"Accept-Language": "ro"}
    found = (await client.get("/directory", headers=romanian)).text
    assert "Hydra · Berlin, Germania" in found
    assert "germană, engleză, română" in found
    assert '<time datetime="2026-11-01">1 nov. 2026</time>' in found
    # Suggested in the country field:
    assert '<option value="Germania" translate="no">DE</option>' in found
    listing = (await client.get(path, headers={"Accept-Language": "fr"})).text
    assert "Berlin, Allemagne" in listing and "allemand, anglais, roumain" in listing
    assert "<dd>1 nov. 2026 par Hydra</dd>" in listing
    home = (await client.get("/", headers={"Accept-Language": "de"})).text
    assert '<option value="Deutschland" translate="no">DE</option>' in home
    own, code = '<span lang="ro">România</span>', '<span translate="no">RO</span>'
    assert f"etwa Rumänien, {own} oder {code}" in home


async def test_content_without_the_readers_language_says_so_and_links_the_others(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    [path] = await publish(client, services, ROMANIAN_ONLY)
    turkish = (await client.get(path, headers={"Accept-Language": "tr"})).text
    assert '<h1 lang="ro" dir="auto">Clinica de noapte</h1>' in turkish
    assert "Shown in Romanian: no Turkish version yet." in turkish
    german = (await client.get(path, headers={"Accept-Language": "de"})).text
    assert "Auf Rumänisch angezeigt: noch keine Fassung auf Deutsch." in german
    listed = (await client.get("/directory", headers={"Accept-Language": "es"})).text
    assert "Se muestra en rumano: todavía no hay versión en español." in listed
    own = (await client.get(path, headers={"Accept-Language": "ro"})).text
    assert "Afișat în" not in own and "Shown in" not in own

    await sign_in(client, "sam")
    await client.post("/countries/DE/edit", data=COUNTRY_PAGE)
    await client.post("/countries/DE/edit", data=FRENCH)
    await sent(services, remote)
    client.cookies.clear()
    spanish = (await client.get("/countries/DE", headers={"Accept-Language": "es"})).text
    assert "Se muestra en inglés: todavía no hay versión en español." in spanish
    assert '<h2 id="page-' in spanish and 'lang="en" dir="auto">Sex work in Germany</h2>' in spanish
    assert 'href="/countries/DE?version=fr" hreflang="fr" lang="fr">français</a>' in spanish
    # A version opened from those links leaves the interface in the reader's language.
    french = await client.get("/countries/DE?version=fr", headers={"Accept-Language": "de"})
    assert '<html lang="de"' in french.text and "Verlauf dieser Seite" in french.text
    assert 'lang="fr" dir="auto">Le travail du sexe en Allemagne</h2>' in french.text
    assert "Auf Französisch angezeigt" not in french.text  # the reader asked for it


async def test_country_pages_are_found_by_any_name(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    found = await client.get("/countries", params={"country": "Deutschland"})
    assert found.status_code == 303 and found.headers["location"] == "/countries/DE"
    own = await client.get("/countries/Magyarorsz%C3%A1g", params={"version": "hu"})
    assert own.status_code == 303 and own.headers["location"] == "/countries/HU?version=hu"
    page = await client.get("/countries/germania", follow_redirects=True)
    assert page.status_code == 200 and "No organisation has written about Germany yet." in page.text
    romanian = (await client.get("/countries/DE", headers={"Accept-Language": "ro"})).text
    assert "<h1>Germania</h1>" in romanian
    french = await client.get(
        "/countries", params={"country": "Allemagn"}, headers={"Accept-Language": "fr"}
    )
    assert "Aucun pays ne s’appelle « Allemagn »" in french.text
    assert '<a href="/countries/DE">Allemagne</a>' in french.text
    assert (await client.get("/countries/Atlantis")).status_code == 404


async def test_staff_pick_countries_and_languages_from_lists_in_their_language(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    client.headers["Accept-Language"] = "ro"
    await sign_in(client, "sam")
    form = (await client.get("/directory/new")).text
    assert '<select id="country" name="country">' in form
    assert '<option value="DE">Germania</option>' in form
    own = form.split('<select id="language" name="language"', 1)[1].split("</select>", 1)[0]
    assert '<option value="ro" lang="ro" selected>română</option>' in own  # the interface language
    assert '<option value="bg" lang="bg">български</option>' in own
    assert 'name="languages" multiple' in form
    chosen = {**FORM, "languages": ["de", "ro"], "language": "ro", "country": "DE"}
    made = await client.post("/directory/new", data=chosen)
    assert made.status_code == 303
    [create] = await sent(services, remote)
    assert create["object"]["availableLanguage"] == ["de", "ro"]
    assert create["object"]["inLanguage"] == "ro"
    forged = await client.post("/directory/new", data={**chosen, "country": "Atlantis"})
    assert forged.status_code == 400 and 'id="country-error"' in forged.text

    countries = (await client.get("/countries")).text
    assert '<select id="version" name="version">' in countries
    assert '<option value="ro" lang="ro" selected>română</option>' in countries
    opened = await client.get("/countries/write", params={"country": "DE"})
    assert opened.headers["location"] == "/countries/DE/edit?version=ro"
    editor = (await client.get("/countries/DE/edit")).text
    assert '<option value="ro" lang="ro" selected>română</option>' in editor
    group = (await client.get("/discussions/new")).text
    assert '<option value="ro" lang="ro" selected>română</option>' in group
