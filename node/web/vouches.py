"""Co-verification on the pages: a listing or a country page shows which other organisations
checked it too, and when; staff of this node's organisation say it checked another
organisation's listing (`POST /directory/ID/co-verify`) or country page
(`POST /countries/XX/co-verify`, the page's id in the form), which goes to its origin
signed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content import directory
from content.accounts import Account
from content.countries import CountryPage
from federation import vouches
from federation.vouches import Vouched, VouchError
from node.database import session_scope
from node.i18n import N_
from node.state import services
from node.web import notices
from node.web.publishing import STAFF_ROLES, organisation
from node.web.staff import staff_viewer

DONE = "co-verified"


async def shown(
    request: Request, session: AsyncSession, subject: Vouched
) -> list[tuple[Account, str, date]]:
    """Who checked the listing or page too, on which server and when, as its page says.
    The thanks for a check just said is the page's notice (`corrections.form_context` takes
    it: `done`)."""
    node = services(request)
    return await vouches.shown(
        session, subject, node.settings.domain, node.federation.policy_mode()
    )


async def listing(request: Request) -> Response:
    """`POST /directory/ID/co-verify`: this node's organisation checked the listing today."""

    async def find(session: AsyncSession) -> tuple[Vouched, str]:
        found = await directory.get(session, request.path_params["listing_id"])
        if found is None:
            raise HTTPException(404, N_("There is no such listing."))
        return Vouched([found]), f"/directory/{found.id}"

    return await _vouched(request, find)


async def country_page(request: Request) -> Response:
    """`POST /countries/XX/co-verify`: this node's organisation checked the page (every
    language version of it) today."""
    raw = str((await request.form()).get("page", ""))

    async def find(session: AsyncSession) -> tuple[Vouched, str]:
        valid = raw.isdigit() and len(raw) <= 18
        page = await session.get(CountryPage, int(raw)) if valid else None
        subject = await vouches.by_uri(session, page.uri) if page is not None else None
        if page is None or subject is None:
            raise HTTPException(404, N_("There is no such listing or page."))
        return subject, f"/countries/{page.country}"

    return await _vouched(request, find)


async def _vouched(request: Request, find: Finder) -> Response:
    """Staff only: the organisation vouches for what `find` finds, then back to its page."""
    fed = services(request).federation
    async with session_scope(services(request).sessions) as session:
        viewer = await staff_viewer(request, session, STAFF_ROLES)
        if isinstance(viewer, Response):
            return viewer
        subject, back = await find(session)
        ours = await organisation(session, services(request).settings.organisation_username)
        try:
            await vouches.vouch(fed, session, viewer, ours, subject)
        except VouchError as error:
            return notices.refused(request, back, error)
    fed.notify()
    return notices.done(request, back, DONE)


Finder = Callable[[AsyncSession], Awaitable[tuple[Vouched, str]]]

routes = [
    Route("/directory/{listing_id:id}/co-verify", listing, methods=["POST"]),
    Route("/countries/{code}/co-verify", country_page, methods=["POST"]),
]
