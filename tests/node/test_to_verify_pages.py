"""Verification never lapses silently: staff see which of their organisation's listings
and country pages go stale within a month, and "still correct" refreshes the date here and
at the organisation's followers."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from content import directory
from content.orm import utcnow
from content.users import Role
from moderation.audit import AuditEntry
from node.state import Services
from tests.node.test_country_pages import FORM as COUNTRY
from tests.node.test_directory_pages import FORM, sent, setup, sign_in
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def test_staff_confirm_a_listing_about_to_go_stale_and_followers_get_the_date(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "sam")
    due = (await client.post("/directory/new", data=FORM)).headers["location"]
    fresh = await client.post("/directory/new", data={**FORM, "name": "Day clinic"})
    assert fresh.status_code == 303
    today = utcnow().date()
    async with services.sessions() as session, session.begin():
        listing = await directory.get(session, int(due.rsplit("/", 1)[1]))
        assert listing is not None
        listing.last_verified = today - timedelta(days=350)  # stale in about two weeks
    await sent(services, remote)
    page = (await client.get("/staff/to-verify")).text
    assert "Night clinic" in page and "Day clinic" not in page
    assert "is stale already" not in page
    button = f'action="/staff/to-verify/listings/{listing.id}"'
    assert button in page
    confirmed = await client.post(f"/staff/to-verify/listings/{listing.id}")
    assert confirmed.headers["location"] == "/staff/to-verify"
    [update] = await sent(services, remote)
    assert update["type"] == "Update" and update["object"]["name"] == "Night clinic"
    assert update["object"]["lastVerified"] == today.isoformat()
    assert "Night clinic" not in (await client.get("/staff/to-verify")).text
    async with services.sessions() as session:
        logged = (await session.execute(select(AuditEntry.action, AuditEntry.target))).all()
    assert ("listing.still-correct", listing.uri) in logged
    # Members who are not staff are not let in.
    await sign_in(client, "alice")
    assert (await client.get("/staff/to-verify")).status_code == 403
    assert (await client.post(f"/staff/to-verify/listings/{listing.id}")).status_code == 403


async def test_staff_confirm_a_stale_country_page_as_a_new_revision(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    await sign_in(client, "sam")
    old = (utcnow().date() - timedelta(days=400)).isoformat()
    assert (
        await client.post("/countries/DE/edit", data={**COUNTRY, "last_reviewed": old})
    ).status_code == 303
    await sent(services, remote)
    page = (await client.get("/staff/to-verify")).text
    assert "1 is stale already." in page and "Stale" in page
    confirmed = await client.post("/staff/to-verify/countries/DE/en")
    assert confirmed.status_code == 303
    [update] = await sent(services, remote)
    assert update["type"] == "Update"
    assert utcnow().date().isoformat() in json.dumps(update)
    assert "Nothing to verify this month." in (await client.get("/staff/to-verify")).text
    history = (await client.get("/countries/DE/history")).text
    assert "First version" in history  # the earlier revision is kept
    async with services.sessions() as session:
        logged = list(await session.scalars(select(AuditEntry.action)))
    assert "country.still-correct" in logged


async def test_admins_see_how_many_wait_to_be_verified(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    await setup(services)
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "ada", role=Role.ADMIN)
    await sign_in(client, "sam")
    made = [(await client.post("/directory/new", data={**FORM, "name": name})).headers["location"]
            for name in ("Night clinic", "Day clinic", "Legal desk")]  # fmt: skip
    today = utcnow().date()
    async with services.sessions() as session, session.begin():
        for location, days in zip(made, (350, 400, 10), strict=True):
            listing = await directory.get(session, int(location.rsplit("/", 1)[1]))
            assert listing is not None
            listing.last_verified = today - timedelta(days=days)
    await sign_in(client, "ada")
    page = (await client.get("/admin")).text
    assert "2 listings and country pages to verify, 1 already stale" in page
