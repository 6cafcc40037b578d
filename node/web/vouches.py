"""Co-verification on the pages: a listing shows which other organisations checked it too,
and when; staff of this node's organisation say it checked another organisation's listing
(`POST /directory/ID/co-verify`), which goes to the listing's origin signed."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content import directory
from content.directory import Listing
from federation import vouches
from federation.vouches import VouchError
from node.database import session_scope
from node.i18n import N_
from node.state import services
from node.web import notices
from node.web.listing_form import STAFF_ROLES, organisation
from node.web.staff import staff_viewer

DONE = "co-verified"


async def page_context(
    request: Request, session: AsyncSession, listing: Listing, may_vouch: bool
) -> dict[str, Any]:
    """What a listing's page shows of co-verification: who checked it too and when, and
    whether the viewer may say her organisation did (`may_vouch`: she is its staff, and the
    listing another organisation's). The thanks for one just said is the page's notice
    (`corrections.form_context` takes it: `done`)."""
    here = services(request).settings.domain
    return {"vouched": await vouches.shown(session, listing, here), "may_vouch": may_vouch}


async def vouch(request: Request) -> Response:
    """`POST /directory/ID/co-verify`: this node's organisation checked the listing today."""
    fed = services(request).federation
    back = f"/directory/{request.path_params['listing_id']}"
    async with session_scope(services(request).sessions) as session:
        viewer = await staff_viewer(request, session, STAFF_ROLES)
        if isinstance(viewer, Response):
            return viewer
        listing = await directory.get(session, request.path_params["listing_id"])
        if listing is None:
            raise HTTPException(404, N_("There is no such listing."))
        ours = await organisation(session, services(request).settings.organisation_username)
        try:
            await vouches.vouch(fed, session, viewer, ours, listing)
        except VouchError as error:
            return notices.refused(request, back, error)
    fed.notify()
    return notices.done(request, back, DONE)


routes = [Route("/directory/{listing_id:id}/co-verify", vouch, methods=["POST"])]
