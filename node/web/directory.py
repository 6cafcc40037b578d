"""The service directory pages: anyone searches and reads; staff of this node publish,
edit and delete their organisation's listings (which federate to its followers)."""

from __future__ import annotations

from functools import cache
from typing import Any
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import country_names, directory, languages
from content.accounts import Account
from content.directory import Listing, Query
from content.listing_fields import EUROPE, LABELS, ListingError, ListingFields, label_of, validate
from content.orm import utcnow
from content.paging import Window, parse_id
from federation import listing_outbox, listing_wire, proofs
from federation.vouches import Vouched
from node import i18n
from node.api.authorized_fetch import require_signed_fetch
from node.api.negotiation import activity_response, wants_activitypub
from node.database import session_scope
from node.i18n import N_, _
from node.state import services
from node.web import corrections, listing_form, names, publishing, vouches
from node.web.rendering import render
from node.web.sessions import signed_in_account

PAGE_SIZE = 20


@cache
def _europe(language: str) -> list[tuple[str, str]]:
    """The countries the country field suggests, named and sorted in `language`."""
    return [row for row in country_names.choices(language) if row[0] in EUROPE]


HELPERS: dict[str, Any] = {
    "category_labels": lambda codes: ", ".join(_(label_of(c)) for c in codes),
    "europe": lambda: _europe(i18n.current()),
}


def _version(listing: Listing, wanted: list[str]) -> names.Version:
    """The language version of a listing to show: the reader's, else its own."""
    return names.version(listing.available_languages, wanted, listing.language)


def _varying(response: Response) -> Response:
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    return response


async def search(request: Request) -> Response:
    """`/directory`: the search form and a page of matching listings, newest first."""
    params = request.query_params
    typed = country_names.typed(params.get("country", "")[:60])
    country = await names.country_typed(typed)
    query = Query(
        country=country if country is not None else typed,
        category=params.get("category", "")[:40],
        language=names.language_typed(params.get("language", "")[:40]),
        text=params.get("q", "")[:200],
    )
    window = Window(limit=PAGE_SIZE, max_id=parse_id(params.get("max_id")))
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        staff = await publishing.is_staff(session, viewer)
        rows = await directory.search(session, query, window) if country is not None else []
    older = None
    if len(rows) == PAGE_SIZE:
        older = str(request.url.include_query_params(max_id=rows[-1][0].id))
    wanted = names.wanted(request)
    shown = []
    for listing, origin in rows:
        version = _version(listing, wanted)
        shown.append((listing, origin, listing.wording(version.shown), version))
    override = request.query_params.get("lang", "")[:64]
    page = render(
        request,
        "directory.html",
        viewer=viewer,
        staff=staff,
        query=query,
        rows=shown,
        older=older,
        override=languages.language_tag(override) or "",
        unknown_country=country is None,
        suggestions=_suggestions(request, query.country) if country is None else [],
        categories=LABELS,
        today=utcnow().date(),
        **HELPERS,
    )
    return _varying(page)


def _suggestions(request: Request, typed: str) -> list[tuple[str, str]]:
    """Countries spelt like an unknown one, each with the search's address for it."""
    params = dict(request.query_params)
    params.pop("max_id", None)
    return [
        (code, "/directory?" + urlencode({**params, "country": code}))
        for code in country_names.close_to(typed)
    ]


async def show(request: Request) -> Response:
    """`/directory/ID`: one listing; its ActivityPub document when asked for one (signed, in
    authorized-fetch mode)."""
    if wants_activitypub(request):
        await require_signed_fetch(request)
    async with services(request).sessions() as session:
        listing = await directory.get(session, request.path_params["listing_id"])
        origin = await session.get(Account, listing.account_id) if listing else None
        if listing is None or origin is None or origin.is_gone:
            raise HTTPException(404, N_("There is no such listing."))
        if wants_activitypub(request):
            if not origin.is_local:
                raise HTTPException(404, N_("There is no such listing."))
            document = {"@context": listing_wire.CONTEXT, **listing_wire.document(listing, origin)}
            return activity_response(proofs.prove(document, origin))
        viewer = await signed_in_account(request, session)
        is_staff = await publishing.is_staff(session, viewer)
        staff = is_staff and origin.is_local
        vouched = await vouches.shown(request, session, Vouched([listing]))
        correcting = await corrections.form_context(request, session, viewer)
    version = _version(listing, names.wanted(request))
    page = render(
        request,
        "listing.html",
        viewer=viewer,
        staff=staff,
        listing=listing,
        wording=listing.wording(version.shown),
        version=version,
        origin=origin,
        today=utcnow().date(),
        **correcting,
        vouched=vouched,
        may_vouch=is_staff and not origin.is_local,
        **HELPERS,
    )
    return _varying(page)


async def new(request: Request) -> Response:
    """`/directory/new`: staff publish a listing in the organisation's name."""
    return await _form(request, None)


async def edit(request: Request) -> Response:
    """`/directory/ID/edit`: staff change one of the organisation's listings."""
    return await _form(request, request.path_params["listing_id"])


async def _form(request: Request, listing_id: int | None) -> Response:
    fed = services(request).federation
    errors: dict[str, str] = {}
    suggestion = None
    async with session_scope(services(request).sessions) as session:
        found = await publishing.publisher(request, session, _("Only staff publish listings."))
        if isinstance(found, Response):
            return found
        viewer, organisation = found
        listing = (
            None if listing_id is None else await _own_listing(session, listing_id, organisation)
        )
        if request.method == "GET":
            values = listing.values() if listing else _blank(organisation.display_name)
            if listing and (suggestion := await corrections.accepted_for(
                request, session, organisation, listing
            )):  # fmt: skip
                values.last_verified = utcnow().date()
        else:
            form = await request.form(max_fields=listing_form.MAX_FIELDS, max_files=0)
            values, errors = listing_form.read(form)
            try:
                validate(values, today=utcnow().date())
            except ListingError as error:
                errors = {**error.errors, **errors}
            if not errors:
                if listing is None:
                    listing = await listing_outbox.publish(fed, session, organisation, values)
                else:
                    await listing_outbox.update(fed, session, organisation, listing, values)
                saved_id = listing.id
    if request.method == "POST" and not errors:
        fed.notify()
        return RedirectResponse(f"/directory/{saved_id}", status_code=303)
    return render(
        request,
        "listing_form.html",
        status_code=400 if errors else 200,
        viewer=viewer,
        listing=listing,
        values=values,
        rows=listing_form.rows(values),
        errors=errors,
        categories=LABELS,
        **corrections.note_context(suggestion),
    )


async def delete(request: Request) -> Response:
    """`POST /directory/ID/delete`: staff delete one of the organisation's listings."""
    async with session_scope(services(request).sessions) as session:
        found = await publishing.publisher(request, session, _("Only staff publish listings."))
        if isinstance(found, Response):
            return found
        organisation = found[1]
        listing = await _own_listing(session, request.path_params["listing_id"], organisation)
        await listing_outbox.delete(services(request).federation, session, organisation, listing)
    services(request).federation.notify()
    return RedirectResponse("/directory", status_code=303)


async def _own_listing(session: AsyncSession, listing_id: int, owner: Account) -> Listing:
    found = await directory.get(session, listing_id)
    return publishing.owned(found, owner, N_("There is no such listing of this organisation."))


def _blank(organisation_name: str) -> ListingFields:
    """A new listing's values: written in the staff member's interface language."""
    return ListingFields(
        organisation=organisation_name,
        verified_by=organisation_name,
        last_verified=utcnow().date(),
        language=i18n.current(),
    )


routes = [
    Route("/directory", search),
    Route("/directory/new", new, methods=["GET", "POST"]),
    Route("/directory/{listing_id:id}", show),
    Route("/directory/{listing_id:id}/edit", edit, methods=["GET", "POST"]),
    Route("/directory/{listing_id:id}/delete", delete, methods=["POST"]),
]
