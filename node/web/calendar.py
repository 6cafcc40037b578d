"""The calendar: `/events`, upcoming events (this node's and those mirrored from followed
organisations) soonest first, in the reader's time zone with a form to choose another; and
iCalendar files (RFC 5545, written by the `icalendar` library) of one event and of the
calendar, each event at its own zone's wall time with the zone's definition included.
`icalendar` (~3 MiB, 20 ms) is imported when the first file is asked for, not at start-up."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content import events
from content.accounts import Account
from content.events import Event
from content.orm import utcnow
from moderation.policy import limited
from node.state import services
from node.web import publishing, time_zones
from node.web.events import NO_SUCH, varying
from node.web.rendering import render
from node.web.sessions import signed_in_account

if TYPE_CHECKING:
    from icalendar import Event as CalendarEvent

CALENDAR_SIZE = 100
ICS = "text/calendar; charset=utf-8"


async def calendar(request: Request) -> Response:
    """`/events`: what is coming, in the reader's time zone."""
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        staff = await publishing.is_staff(session, viewer)
        zone = await time_zones.reader_zone(request, session, viewer)
        rows = await _upcoming(session)
    page = render(
        request,
        "events.html",
        viewer=viewer,
        staff=staff,
        rows=rows,
        zone=zone,
        here=request.url.path,
    )
    return varying(page)


async def event_file(request: Request) -> Response:
    """`/events/ID.ics`: one event, for a calendar app."""
    async with services(request).sessions() as session:
        event = await events.get(session, request.path_params["event_id"])
        origin = await session.get(Account, event.account_id) if event else None
        if event is None or origin is None or origin.is_gone:
            raise HTTPException(404, NO_SUCH)
    return _file([(event, origin)], services(request).settings.base_url, f"event-{event.id}")


async def calendar_file(request: Request) -> Response:
    """`/events.ics`: every upcoming event, for a calendar app to subscribe to."""
    async with services(request).sessions() as session:
        rows = await _upcoming(session)
    return _file(rows, services(request).settings.base_url, "events")


async def _upcoming(session: AsyncSession) -> list[tuple[Event, Account]]:
    """The calendar's events: none from a silenced server or one in quarantine, as public
    timelines show none of their posts."""
    left_out = await limited(session)
    return await events.upcoming(
        session, limit=CALENDAR_SIZE, exclude_domains=left_out.domains, exclude_hosts=left_out.held
    )


def _file(rows: list[tuple[Event, Account]], base_url: str, name: str) -> Response:
    from icalendar import Calendar

    found = Calendar()
    found.add("prodid", "-//Harbour//Events//EN")
    found.add("version", "2.0")
    stamp = utcnow()
    for event, origin in rows:
        found.add_component(_component(event, origin, base_url, stamp))
    found.add_missing_timezones()
    return Response(
        found.to_ical(),
        media_type=ICS,
        headers={"Content-Disposition": f'attachment; filename="{name}.ics"'},
    )


def _component(event: Event, origin: Account, base_url: str, stamp: datetime) -> CalendarEvent:
    from icalendar import Event as CalendarEvent

    item = CalendarEvent()
    item.add("uid", event.uri)
    item.add("dtstamp", stamp)
    item.add("dtstart", event.starts_at.astimezone(event.zone))
    item.add("dtend", event.ends_at.astimezone(event.zone))
    item.add("summary", event.title)
    item.add("last-modified", event.updated_at)
    text = "\n\n".join(p for p in (event.description, event.audience, event.registration) if p)
    if text:
        item.add("description", text)
    place = ", ".join(p for p in (event.place_name, event.place_address) if p)
    if place:
        item.add("location", place)
    item.add("url", event.online_url or f"{base_url}/events/{event.id}")
    item.add("organizer", origin.uri, parameters={"cn": origin.display_name or origin.username})
    return item


routes = [
    Route("/events", calendar),
    Route("/events.ics", calendar_file),
    Route("/events/{event_id:id}.ics", event_file),
]
