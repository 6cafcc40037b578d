"""Corrections: readers suggest them under every listing and country-page section
(`POST /corrections`: members, and signed-out visitors where the node allows it); staff of
the organisation review them at `/staff/corrections`: accept (the edit form opens, the date
last verified today's), reject with a reason, or mark that the service needs a call.
Members tell the organisation how a listed service treated them through the same form and
queue (kind `experience`, with a rating); staff mark one read, or that it needs a call."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import accounts, corrections, directory
from content.accounts import Account
from content.corrections import (
    KIND_LABELS,
    MAX_TEXT,
    RATING_LABELS,
    WRONG,
    Correction,
    CorrectionError,
    Kind,
    State,
)
from content.countries import CountryPage
from content.country_fields import SECTIONS
from content.directory import Listing
from federation import correction_outbox
from moderation.rate_limits import Action
from moderation.switches import Switch
from node import run_time_settings
from node.database import session_scope
from node.i18n import N_
from node.state import services
from node.web import notices
from node.web.publishing import STAFF_ROLES, organisation
from node.web.rendering import render
from node.web.sessions import signed_in_account
from node.web.staff import staff_viewer

PAGE = "/staff/corrections"
DONE = "correction"
TOLD = "experience"  # the notice of an experience sent
OUTCOMES = {"accept": State.ACCEPTED, "call": State.NEEDS_CALL, "reject": State.REJECTED}
VISITORS = "visitors"  # the one rate-limit key all signed-out visitors share


async def form_context(
    request: Request, session: AsyncSession, viewer: Account | None
) -> dict[str, Any]:
    """What a page with correction forms needs: whether the reader may send one, the kinds
    of error, and the notice of one just sent (or refused)."""
    return {
        "can_correct": viewer is not None or await _from_visitors(request, session),
        "correction_kinds": WRONG,
        "ratings": list(RATING_LABELS.items()),
        "done": (done := notices.take_done(request)),
        "correction_done": done == DONE,
        "experience_done": done == TOLD,
        "correction_refused": notices.take(request),
    }


async def _from_visitors(request: Request, session: AsyncSession) -> bool:
    """Whether signed-out visitors may suggest corrections, as the node is set now."""
    settings = services(request).settings
    return await run_time_settings.is_on(session, settings, Switch.CORRECTIONS_FROM_VISITORS)


async def send(request: Request) -> Response:
    """`POST /corrections`: file a suggestion about a listing or a country-page section with
    the organisation that published it, and go back to the page with a thank-you."""
    form = await request.form(max_fields=10, max_files=0)
    fed = services(request).federation
    async with session_scope(services(request).sessions) as session:
        viewer = await signed_in_account(request, session)
        target, back, subject = await _target(session, form)
        kind = str(form.get("kind", ""))
        allowed = kind != Kind.EXPERIENCE and await _from_visitors(request, session)
        if viewer is None and not allowed:
            return RedirectResponse(f"/login?next={quote(back)}", status_code=303)
        await fed.limits.take(Action.CORRECTION, str(viewer.id) if viewer else VISITORS)
        try:
            suggestion = corrections.checked(
                kind,
                str(form.get("text", ""))[: 2 * MAX_TEXT],
                str(form.get("section", ""))[:32],
                str(form.get("rating", ""))[:8],
                page=isinstance(target, CountryPage),
            )
            await correction_outbox.suggest(
                fed,
                session,
                target=target,
                suggestion=suggestion,
                member=viewer,
                signed=form.get("sign") == "on",
                subject=subject,
                path=back,
            )
        except CorrectionError as error:
            return notices.refused(request, back, error)
    fed.notify()
    return notices.done(request, back, TOLD if suggestion.kind == Kind.EXPERIENCE else DONE)


async def _target(session: AsyncSession, form: FormData) -> tuple[Listing | CountryPage, str, str]:
    """The listing or country page a form corrects, its page here and its name; 404 if none."""
    listing_id, page_id = str(form.get("listing", "")), str(form.get("page", ""))
    if listing_id.isdigit() and len(listing_id) <= 18:
        listing = await directory.get(session, int(listing_id))
        if listing is not None:
            return listing, f"/directory/{listing.id}", listing.name
    elif page_id.isdigit() and len(page_id) <= 18:
        page = await session.get(CountryPage, int(page_id))
        if page is not None:
            return page, f"/countries/{page.country}?version={page.language}", page.title
    raise HTTPException(404, N_("There is no such listing or page."))


async def queue_page(request: Request) -> Response:
    """`/staff/corrections`: the suggestions waiting for the organisation's staff."""
    async with services(request).sessions() as session:
        viewer = await staff_viewer(request, session, STAFF_ROLES)
        if isinstance(viewer, Response):
            return viewer
        owner = await _organisation(request, session)
        rows = await corrections.queue(session, owner, (State.OPEN, State.NEEDS_CALL))
        senders = await accounts.by_ids(session, {row[0].sender_id or 0 for row in rows})
    return render(
        request,
        "corrections.html",
        viewer=viewer,
        rows=rows,
        senders=senders,
        kinds=KIND_LABELS,
        ratings=RATING_LABELS,
        sections=dict(SECTIONS),
        notice=notices.take(request),
    )


async def decide(request: Request) -> Response:
    """`POST /staff/corrections/ID/accept|call|reject`: the staff's outcome, audited and told
    to the sender; accepting a correction opens the object's edit form (an experience's is
    only marked read)."""
    outcome = OUTCOMES.get(request.path_params["verb"])
    if outcome is None:
        raise HTTPException(404)
    form = await request.form(max_fields=5, max_files=0)
    reason = str(form.get("reason", ""))[:MAX_TEXT]
    fed = services(request).federation
    async with session_scope(services(request).sessions) as session:
        viewer = await staff_viewer(request, session, STAFF_ROLES)
        if isinstance(viewer, Response):
            return viewer
        owner = await _organisation(request, session)
        correction = await _own(session, owner, request.path_params["correction_id"])
        if outcome == State.REJECTED and correction.kind == Kind.EXPERIENCE:
            raise HTTPException(404)  # what a member lived is read, not rejected
        if outcome == State.REJECTED and not reason.strip():
            error = CorrectionError(N_("Give the reason for rejecting it: the reader reads it."))
            return notices.refused(request, PAGE, error)
        await correction_outbox.decide(
            fed,
            session,
            staff=viewer,
            organisation=owner,
            correction=correction,
            outcome=outcome,
            reason=reason,
        )
        edits = outcome == State.ACCEPTED and correction.kind != Kind.EXPERIENCE
        following = await _edit_path(session, correction) if edits else PAGE
    fed.notify()
    return RedirectResponse(following, status_code=303)


async def _edit_path(session: AsyncSession, correction: Correction) -> str:
    """The edit form of what the correction is about, told which correction opened it."""
    if correction.listing_id is not None:
        return f"/directory/{correction.listing_id}/edit?correction={correction.id}"
    page = await session.get(CountryPage, correction.country_page_id)
    if page is None:
        return PAGE
    return f"/countries/{page.country}/edit?version={page.language}&correction={correction.id}"


async def accepted_for(
    request: Request, session: AsyncSession, owner: Account, target: Listing | CountryPage
) -> Correction | None:
    """The suggestion about `target` the edit form was opened from (`?correction=ID`)."""
    raw = request.query_params.get("correction", "")
    if not raw.isdigit() or len(raw) > 18:
        return None
    try:
        found = await corrections.get(session, owner, int(raw))
    except LookupError:
        return None
    about = found.listing_id if isinstance(target, Listing) else found.country_page_id
    return found if about == target.id else None


def note_context(suggestion: Correction | None) -> dict[str, Any]:
    """What an edit form needs to show the suggestion it was opened from."""
    return {"suggestion": suggestion, "correction_kinds_by_name": KIND_LABELS}


async def _own(session: AsyncSession, owner: Account, raw: int) -> Correction:
    try:
        return await corrections.get(session, owner, raw)
    except LookupError:
        raise HTTPException(404, N_("There is no such suggestion.")) from None


async def _organisation(request: Request, session: AsyncSession) -> Account:
    return await organisation(session, services(request).settings.organisation_username)


routes = [
    Route("/corrections", send, methods=["POST"]),
    Route(PAGE, queue_page),
    Route("/staff/corrections/{correction_id:id}/{verb}", decide, methods=["POST"]),
]
