"""`/staff/to-verify`: the organisation's listings and country pages that go stale within a
month, or already have, oldest first, each with a "still correct" button. It sets today as
the date last verified (a listing) or reviewed (a country page) and sends the usual Update
to the organisation's followers, so no information lapses into "stale" unnoticed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import countries, directory
from content.accounts import Account
from content.countries import CountryPage
from content.directory import Listing
from content.orm import utcnow
from content.provenance import is_due
from federation import country_outbox, listing_outbox
from moderation import audit
from node.database import session_scope
from node.state import services
from node.web.publishing import STAFF_ROLES, organisation
from node.web.rendering import render
from node.web.staff import staff_viewer

PAGE = "/staff/to-verify"


async def page(request: Request) -> Response:
    """The list, with how many of the organisation's objects are stale and due."""
    today = utcnow().date()
    async with services(request).sessions() as session:
        viewer = await staff_viewer(request, session, STAFF_ROLES)
        if isinstance(viewer, Response):
            return viewer
        listings, pages = await due(session, await _organisation(request, session), today)
    return render(
        request,
        "to_verify.html",
        viewer=viewer,
        today=today,
        listings=sorted(listings, key=lambda item: item.last_verified),
        pages=sorted(pages, key=lambda item: item.last_reviewed),
        stale=stale_count(listings, pages, today),
    )


async def due(
    session: AsyncSession, owner: Account, today: date
) -> tuple[list[Listing], list[CountryPage]]:
    """The organisation's listings and country pages that go stale within a month, or have."""
    listings = [
        item
        for item in await directory.of_account(session, owner)
        if is_due(item.last_verified, today)
    ]
    pages = [
        item
        for versions in (await countries.of_account(session, owner)).values()
        for item in versions
        if is_due(item.last_reviewed, today)
    ]
    return listings, pages


def stale_count(listings: list[Listing], pages: list[CountryPage], today: date) -> int:
    """How many of them are stale already."""
    return sum(item.stale(today) for item in listings) + sum(item.stale(today) for item in pages)


async def for_admins(request: Request, session: AsyncSession) -> tuple[int, int]:
    """(due, of which stale) for the moderation page; none on a node without its
    organisation actor yet."""
    try:
        owner = await _organisation(request, session)
    except LookupError:
        return 0, 0
    return await counts(session, owner)


async def counts(session: AsyncSession, owner: Account) -> tuple[int, int]:
    """(due, of which stale) of the organisation `owner`'s listings and country pages."""
    today = utcnow().date()
    listings, pages = await due(session, owner, today)
    return len(listings) + len(pages), stale_count(listings, pages, today)


async def listing_still_correct(request: Request) -> Response:
    """POST: the listing is as it was, checked today."""

    async def confirm(session: AsyncSession, viewer: Account, owner: Account) -> None:
        listing = await directory.get(session, request.path_params["listing_id"])
        if listing is None or listing.account_id != owner.id:
            raise HTTPException(404)
        values = replace(listing.values(), last_verified=utcnow().date())
        await listing_outbox.update(services(request).federation, session, owner, listing, values)
        audit.record(session, viewer, "listing.still-correct", listing.uri)

    return await _confirmed(request, confirm)


async def page_still_correct(request: Request) -> Response:
    """POST: one language version of a country page is as it was, reviewed today (a new
    revision, so the page's history keeps the earlier one)."""

    async def confirm(session: AsyncSession, viewer: Account, owner: Account) -> None:
        versions = (await countries.of_account(session, owner)).get(request.path_params["code"], [])
        found = [item for item in versions if item.language == request.path_params["language"]]
        revision = await countries.current_revision(session, found[0]) if found else None
        if revision is None:
            raise HTTPException(404)
        values = revision.values(found[0].country, found[0].language)
        values.last_reviewed = utcnow().date()
        await country_outbox.save(services(request).federation, session, owner, viewer, values)
        audit.record(session, viewer, "country.still-correct", found[0].uri)

    return await _confirmed(request, confirm)


Confirm = Callable[[AsyncSession, Account, Account], Awaitable[None]]


async def _confirmed(request: Request, confirm: Confirm) -> Response:
    """Run `confirm` for a staff member (viewer, organisation) in one transaction, then send
    what it queued and go back to the list."""
    async with session_scope(services(request).sessions) as session:
        viewer = await staff_viewer(request, session, STAFF_ROLES)
        if isinstance(viewer, Response):
            return viewer
        await confirm(session, viewer, await _organisation(request, session))
    services(request).federation.notify()
    return RedirectResponse(PAGE, status_code=303)


async def _organisation(request: Request, session: AsyncSession) -> Account:
    return await organisation(session, services(request).settings.organisation_username)


routes = [
    Route(PAGE, page),
    Route("/staff/to-verify/listings/{listing_id:id}", listing_still_correct, methods=["POST"]),
    Route("/staff/to-verify/countries/{code}/{language}", page_still_correct, methods=["POST"]),
]
