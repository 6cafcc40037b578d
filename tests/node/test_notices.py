"""A refused form sends the member back to a page that says why, once, in her language; and
no link can make a Harbour page show a "notice" of somebody else's choosing."""

from __future__ import annotations

import httpx
import pytest

from content.users import Role
from node.state import Services
from tests.node.test_i18n import catalogue, shown_text
from tests.rig import world

pytestmark = pytest.mark.anyio
PHISHING = "Your account is suspended. Write to help@evil.example to keep it"
IN_ROMANIAN = {"Accept-Language": "ro"}


@pytest.fixture
async def admin(client: httpx.AsyncClient, services: Services) -> httpx.AsyncClient:
    """The client, signed in as the node's admin."""
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "ada", role=Role.ADMIN)
    await client.post("/login", data={"username": "ada", "password": world.PASSWORD})
    return client


async def test_a_notice_in_the_address_is_never_shown(
    admin: httpx.AsyncClient, services: Services
) -> None:
    for path in ("/home", "/discussions", "/admin/domains", "/admin/reports"):
        page = await admin.get(path, params={"notice": PHISHING})
        assert page.status_code == 200, path
        assert "help@evil.example" not in page.text, path
    # Nor can a link confirm what was never done.
    async with services.sessions() as session, session.begin():
        eve = await world.local_member(session, "eve")
    safety = await admin.get(f"/accounts/{eve.id}/safety", params={"notice": "report"})
    assert "went to this node's moderators" not in safety.text
    security = await admin.get("/settings/security", params={"notice": "password"})
    assert "Your password is changed" not in security.text


async def test_an_unknown_name_in_the_address_is_not_repeated_on_the_error_page(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get(f"/users/{PHISHING}", headers={"Accept": "text/html"})
    assert page.status_code == 404
    assert "help@evil.example" not in shown_text(page.text)  # the switcher's form keeps the path
    assert "There is no such account." in page.text


async def test_a_refusal_with_values_is_shown_once_in_the_readers_language(
    admin: httpx.AsyncClient,
) -> None:
    words = catalogue("ro")

    refused = await admin.post("/follow", data={"handle": "nobody@harbour.test"})
    assert refused.headers["location"] == "/home"
    expected = words["there is no account @%(user)s here"].string % {"user": "nobody"}
    assert expected in (await admin.get("/home", headers=IN_ROMANIAN)).text
    assert expected not in (await admin.get("/home", headers=IN_ROMANIAN)).text  # once

    refused = await admin.post("/admin/domains/unblock", data={"domain": "calm.example"})
    assert refused.headers["location"] == "/admin/domains"
    page = await admin.get("/admin/domains", headers=IN_ROMANIAN)
    expected = words["%(domain)s is not blocked"].string % {"domain": "calm.example"}
    assert expected in page.text


async def test_a_typed_country_is_repeated_without_characters_that_reverse_the_sentence(
    client: httpx.AsyncClient,
) -> None:
    for path in ("/directory", "/countries"):
        page = await client.get(path, params={"country": "\u202eAtlantis\u200b"})
        assert "\u202e" not in page.text and "\u200b" not in page.text, path
        assert "“Atlantis”" in page.text, path
    found = await client.get("/countries", params={"country": "Ger\u200bmany"})
    assert found.status_code in (302, 303, 307) and found.headers["location"].endswith("/DE")
