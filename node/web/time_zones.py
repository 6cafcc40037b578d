"""The reader's time zone, kept like her language: in the account of a signed-in member,
else in a cookie (`POST /time-zone`, the form on the calendar), else the node's
(`HARBOUR_TIME_ZONE`). Times are written in it by `names.when`."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import users
from content.accounts import Account
from content.event_fields import zone_of
from node import i18n
from node.database import session_scope
from node.state import services
from node.web.sessions import local_path, signed_in_login

COOKIE = i18n.TIME_ZONE_COOKIE


async def reader_zone(request: Request, session: AsyncSession, viewer: Account | None) -> str:
    """The IANA name of the zone the reader reads times in."""
    login = await signed_in_login(request, session) if viewer is not None else None
    if login is not None and (user := await users.user_of(session, login)) is not None:
        if user.time_zone and zone_of(user.time_zone) is not None:
            return user.time_zone
    chosen = request.cookies.get(COOKIE, "")
    if zone_of(chosen) is not None:
        return chosen
    return services(request).settings.time_zone


async def choose_time_zone(request: Request) -> Response:
    """`POST /time-zone`: remember the zone in a signed-in member's account, else in a
    cookie; back to the page it was chosen on."""
    form = await request.form(max_fields=5, max_files=0)
    zone = str(form.get("time_zone", ""))[:64]
    back = local_path(str(form.get("next", ""))[:2048]) or "/events"
    response = RedirectResponse(back, status_code=303)
    if zone_of(zone) is None:
        return response
    async with session_scope(services(request).sessions) as session:
        viewer = await signed_in_login(request, session)
        user = await users.user_of(session, viewer) if viewer else None
        if user is not None:
            user.time_zone = zone
            return response
    response.set_cookie(
        COOKIE,
        zone,
        max_age=i18n.COOKIE_SECONDS,
        samesite="lax",
        secure=not services(request).settings.development,
        httponly=True,
    )
    return response


routes = [Route("/time-zone", choose_time_zone, methods=["POST"])]
