"""Co-verification of country pages, as of listings (one mechanism): staff here say their
organisation checked a page mirrored from elsewhere (every language version of it); a
partner's statement added to a page of ours is kept, on every language version, and
published with it; a mirror shows the statements a page carries whose proofs verify."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from federation import vouch_wire
from moderation.audit import AuditEntry
from node.state import Services
from tests.node.conftest import BASE, EVE
from tests.node.test_corrections import ORGANISATION, queued, staffed  # noqa: F401 (a fixture)
from tests.node.test_country_inbox import PAGE, page, version
from tests.node.test_country_pages import FORM, FRENCH
from tests.node.test_directory_pages import sign_in
from tests.node.test_listing_inbox import activity, follow_eve, send
from tests.node.test_vouches import (  # noqa: F401 (a fixture)
    ONA,
    altered,
    organisations,
    shown_day,
    statement,
    today,
)
from tests.rig import world
from tests.rig.strict import inbox_outcome

pytestmark = [pytest.mark.anyio, pytest.mark.usefixtures("organisations")]
CHECKED_TOO = "Has your organisation checked this page too?"


def page_id(shown: str) -> str:
    return shown.split('name="page" value="')[1].split('"')[0]


async def test_staff_here_vouch_for_every_language_version_of_a_mirrored_page(
    client: httpx.AsyncClient, services: Services
) -> None:
    await follow_eve(services)
    await send(client, services, activity("Create", page(version("ro"), version("en")), 1))
    await sign_in(client, "alice")  # a member, not staff
    assert CHECKED_TOO not in (await client.get("/countries/RO")).text
    await client.post("/logout")
    await sign_in(client, "sam")
    shown = (await client.get("/countries/RO")).text
    assert CHECKED_TOO in shown
    done = await client.post("/countries/RO/co-verify", data={"page": page_id(shown)})
    assert done.headers["location"] == "/countries/RO"
    thanked = (await client.get("/countries/RO")).text
    assert "your organisation's check is shown with this page" in thanked
    for language in ("en", "ro"):
        shown = (await client.get("/countries/RO", params={"version": language})).text
        assert f"organisation (harbour.test), on {shown_day()}" in shown, language

    [added] = await queued(services, "Add")
    assert (added["actor"], added["to"], added["target"]) == (ORGANISATION, [EVE], PAGE)
    assert (added["object"]["object"], added["object"]["verifiedOn"]) == (PAGE, today().isoformat())
    async with services.sessions() as session:
        actions = list(await session.scalars(select(AuditEntry.action)))
    assert "country.co-verify" in actions


async def test_a_page_of_our_own_or_none_cannot_be_vouched_for(
    client: httpx.AsyncClient, services: Services
) -> None:
    await sign_in(client, "sam")
    await client.post("/countries/DE/edit", data=FORM)
    shown = (await client.get("/countries/DE")).text
    assert CHECKED_TOO not in shown  # the organisation's own page
    ours = shown.split('id="page-')[1].split('"')[0]
    refused = await client.post("/countries/DE/co-verify", data={"page": ours})
    notice = await world.notice_after(client, refused)
    assert "Only another organisation's information can be checked too." in notice
    assert (await client.post("/countries/DE/co-verify", data={"page": "9"})).status_code == 404
    assert (await client.post("/countries/DE/co-verify", data={"page": "x"})).status_code == 404


async def test_a_partners_statement_is_kept_and_published_with_every_version_of_our_page(
    client: httpx.AsyncClient, services: Services
) -> None:
    await sign_in(client, "sam")
    await client.post("/countries/DE/edit", data=FORM)
    await client.post("/countries/DE/edit", data=FRENCH)
    about = f"{BASE}/countries/DE/organisation"
    add = {"@context": vouch_wire.CONTEXT, "type": "Add", "actor": EVE, "target": about}
    forged = altered(statement(EVE, about))
    await send(client, services, {**add, "id": f"{EVE}/adds/1", "object": forged})
    async with services.sessions() as session:
        _, outcome = await inbox_outcome(session, f"{EVE}/adds/1")
    assert "not a current co-verification" in str(outcome)

    await send(client, services, {**add, "id": f"{EVE}/adds/2", "object": statement(EVE, about)})
    for language in ("en", "fr"):
        shown = (await client.get("/countries/DE", params={"version": language})).text
        assert f"eve (remote.example), on {shown_day()}" in shown, language
    published = (await client.get(about, headers={"Accept": "application/activity+json"})).json()
    assert [s["attributedTo"] for s in published["coVerifiedBy"]] == [EVE]


async def test_a_mirror_shows_the_statements_that_verify_and_drops_one_altered(
    client: httpx.AsyncClient, services: Services
) -> None:
    await follow_eve(services)
    await send(client, services, activity("Create", page(coVerifiedBy=[statement(ONA, PAGE)]), 1))
    assert f"ona (victim.example), on {shown_day()}" in (await client.get("/countries/RO")).text
    tampered = page(coVerifiedBy=[altered(statement(ONA, PAGE))])
    await send(client, services, activity("Update", tampered, 2))
    assert "Also checked by" not in (await client.get("/countries/RO")).text
