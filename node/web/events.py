"""Event pages: anyone reads an event (in the reader's time zone, with the event's own);
staff of this node publish, edit and delete their organisation's events (which federate to
its followers, as listings do)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import events
from content.accounts import Account
from content.event_fields import EventError, EventFields, validate
from content.events import Event
from federation import event_outbox, event_wire, proofs
from node import i18n
from node.api.authorized_fetch import require_signed_fetch
from node.api.negotiation import activity_response, wants_activitypub
from node.database import session_scope
from node.i18n import N_, _
from node.state import services
from node.web import event_form, publishing, time_zones
from node.web.rendering import render
from node.web.sessions import signed_in_account

NO_SUCH = N_("There is no such event.")


def varying(response: Response) -> Response:
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    return response


async def show(request: Request) -> Response:
    """`/events/ID`: one event; its ActivityPub document when asked for one (signed, in
    authorized-fetch mode)."""
    if wants_activitypub(request):
        await require_signed_fetch(request)
    async with services(request).sessions() as session:
        event = await events.get(session, request.path_params["event_id"])
        origin = await session.get(Account, event.account_id) if event else None
        if event is None or origin is None or origin.is_gone:
            raise HTTPException(404, NO_SUCH)
        if wants_activitypub(request):
            if not origin.is_local:
                raise HTTPException(404, NO_SUCH)
            document = {"@context": event_wire.CONTEXT, **event_wire.document(event, origin)}
            return activity_response(proofs.prove(document, origin))
        viewer = await signed_in_account(request, session)
        staff = await publishing.is_staff(session, viewer) and origin.is_local
        zone = await time_zones.reader_zone(request, session, viewer)
        extra = await _attendance(request, session, event, origin, viewer, staff)
    page = render(
        request,
        "event.html",
        viewer=viewer,
        staff=staff,
        event=event,
        origin=origin,
        zone=zone,
        **extra,
    )
    return varying(page)


async def _attendance(
    request: Request,
    session: AsyncSession,
    event: Event,
    origin: Account,
    viewer: Account | None,
    staff: bool,
) -> dict[str, Any]:
    """What the page says about who is going: to a signed-in member, whether she said she
    is; to the organiser's staff, who is going. Nobody else learns who is."""
    going = await events.is_going(session, event, viewer) if viewer is not None else False
    return {
        "going": going,
        "attendees": await events.attendees(session, event) if staff else [],
    }


async def say_going(request: Request) -> Response:
    """`POST /events/ID/going`: a member says she is going (`Join`)."""
    return await _answer(request, going=True)


async def say_not_going(request: Request) -> Response:
    """`POST /events/ID/not-going`: she takes it back (`Leave`)."""
    return await _answer(request, going=False)


async def _answer(request: Request, *, going: bool) -> Response:
    fed = services(request).federation
    path = f"/events/{request.path_params['event_id']}"
    async with session_scope(services(request).sessions) as session:
        viewer = await signed_in_account(request, session)
        if viewer is None:
            return RedirectResponse(f"/login?next={path}", status_code=303)
        event = await events.get(session, request.path_params["event_id"])
        origin = await session.get(Account, event.account_id) if event else None
        if event is None or origin is None or origin.is_gone:
            raise HTTPException(404, NO_SUCH)
        if going:
            await event_outbox.going(fed, session, viewer, event, origin)
        else:
            await event_outbox.not_going(fed, session, viewer, event, origin)
    fed.notify()
    return RedirectResponse(path, status_code=303)


async def new(request: Request) -> Response:
    """`/events/new`: staff publish an event in the organisation's name."""
    return await _form(request, None)


async def edit(request: Request) -> Response:
    """`/events/ID/edit`: staff change one of the organisation's events."""
    return await _form(request, request.path_params["event_id"])


async def _form(request: Request, event_id: int | None) -> Response:
    fed = services(request).federation
    errors: dict[str, str] = {}
    async with session_scope(services(request).sessions) as session:
        found = await publishing.publisher(request, session, _("Only staff publish events."))
        if isinstance(found, Response):
            return found
        viewer, organisation = found
        event = None if event_id is None else await _own_event(session, event_id, organisation)
        if request.method == "GET":
            values = event.values() if event else _blank(services(request).settings.time_zone)
        else:
            form = await request.form(max_fields=event_form.MAX_FIELDS, max_files=0)
            values, errors = event_form.read(form)
            try:
                validate(values)
            except EventError as error:
                errors = {**error.errors, **errors}
            if not errors:
                if event is None:
                    event = await event_outbox.publish(fed, session, organisation, values)
                else:
                    await event_outbox.update(fed, session, organisation, event, values)
                saved_id = event.id
    if request.method == "POST" and not errors:
        fed.notify()
        return RedirectResponse(f"/events/{saved_id}", status_code=303)
    return render(
        request,
        "event_form.html",
        status_code=400 if errors else 200,
        viewer=viewer,
        event=event,
        values=values,
        starts=event_form.local_value(values.starts),
        ends=event_form.local_value(values.ends),
        errors=errors,
    )


async def delete(request: Request) -> Response:
    """`POST /events/ID/delete`: staff cancel one of the organisation's events."""
    async with session_scope(services(request).sessions) as session:
        found = await publishing.publisher(request, session, _("Only staff publish events."))
        if isinstance(found, Response):
            return found
        organisation = found[1]
        event = await _own_event(session, request.path_params["event_id"], organisation)
        await event_outbox.delete(services(request).federation, session, organisation, event)
    services(request).federation.notify()
    return RedirectResponse("/events", status_code=303)


async def _own_event(session: AsyncSession, event_id: int, owner: Account) -> Event:
    found = await events.get(session, event_id)
    return publishing.owned(found, owner, N_("There is no such event of this organisation."))


def _blank(zone: str) -> EventFields:
    """A new event's values: in the staff member's language and the node's time zone."""
    return EventFields(language=i18n.current(), time_zone=zone)


routes = [
    Route("/events/new", new, methods=["GET", "POST"]),
    Route("/events/{event_id:id}", show),
    Route("/events/{event_id:id}/edit", edit, methods=["GET", "POST"]),
    Route("/events/{event_id:id}/delete", delete, methods=["POST"]),
    Route("/events/{event_id:id}/going", say_going, methods=["POST"]),
    Route("/events/{event_id:id}/not-going", say_not_going, methods=["POST"]),
]
