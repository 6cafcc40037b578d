"""Country information pages: anyone reads every organisation's page about a country in the
reader's language (with links to the other translations); staff of this node write their
organisation's pages in Markdown, each save a revision sent to the organisation's followers."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from content import accounts, countries, country_names, languages
from content.accounts import Account
from content.countries import CountryPage
from content.country_fields import SECTIONS, CountryPageError, country_code, validate
from content.orm import utcnow
from content.sanitize import render_inline_text
from federation import country_outbox, country_wire, proofs
from federation.vouches import Vouched
from node import i18n
from node.api.authorized_fetch import require_signed_fetch
from node.api.negotiation import activity_response, wants_activitypub
from node.database import session_scope
from node.i18n import N_, _
from node.state import services
from node.web import corrections, country_form, names, publishing, vouches
from node.web.rendering import render
from node.web.sessions import signed_in_account

HELPERS: dict[str, Any] = {
    "source_html": render_inline_text,
    "sections": SECTIONS,
}


def _country(request: Request) -> str:
    found = country_code(request.path_params["code"])
    if found is None:
        raise HTTPException(404, N_("There is no such country."))
    return found


async def index(request: Request) -> Response:
    """`/countries`: every country with information, local or mirrored; `?country=` finds a
    country by its name in any of Harbour's languages, its own name or its code."""
    typed = country_names.typed(request.query_params.get("country", "")[:60])
    if found := await names.country_typed(typed):
        return RedirectResponse(f"/countries/{found}", status_code=303)
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        staff = await publishing.is_staff(session, viewer)
        found_rows = await countries.countries(session)
    rows = sorted(found_rows, key=lambda row: languages.fold(names.country_name(row[0])))
    return render(
        request,
        "countries.html",
        viewer=viewer,
        staff=staff,
        rows=rows,
        typed=typed.strip(),
        suggestions=country_names.close_to(typed) if typed.strip() else [],
        **HELPERS,
    )


async def show(request: Request) -> Response:
    """`/countries/XX`: each organisation's page about the country, in the reader's language
    (`/countries/Germania` leads to `/countries/DE`)."""
    typed = request.path_params["code"][:60]
    if country_code(typed) is None and (found := await names.country_typed(typed)):
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/countries/{found}{query}", status_code=303)
    country = _country(request)
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        staff = await publishing.is_staff(session, viewer)
        by_origin: dict[int, tuple[Account, dict[str, CountryPage]]] = {}
        for page, origin in await countries.for_country(session, country):
            by_origin.setdefault(origin.id, (origin, {}))[1][page.language] = page
        correcting = await corrections.form_context(request, session, viewer)
        vouched = {
            origin.id: await vouches.shown(request, session, Vouched(list(versions.values())))
            for origin, versions in by_origin.values()
        }
    wanted = names.wanted(request)
    shown = []
    for origin, versions in by_origin.values():
        version = names.version(list(versions), wanted, languages.DEFAULT)
        shown.append((origin, versions[version.shown], version))
    response = render(
        request,
        "country.html",
        viewer=viewer,
        staff=staff,
        country=country,
        shown=shown,
        vouched=vouched,
        today=utcnow().date(),
        **correcting,
        **HELPERS,
    )
    response.headers["Vary"] = "Accept, Accept-Language, Cookie"
    return response


async def write(request: Request) -> Response:
    """`/countries/write?country=XX&version=xx`: the staff form on `/countries` leads to the
    editor of that country's page in that language."""
    country = country_code(request.query_params.get("country", "")[:8])
    if country is None:
        raise HTTPException(404, N_("There is no such country: give a two-letter code."))
    asked = request.query_params.get("version", "")[:64]
    language = languages.language_tag(asked) or i18n.current()
    return RedirectResponse(f"/countries/{country}/edit?version={language}", status_code=303)


async def document(request: Request) -> Response:
    """`/countries/XX/NAME`: the ActivityPub object of a local organisation's page about the
    country (every language version); a browser is sent to the country's page."""
    country = _country(request)
    if not wants_activitypub(request):
        return RedirectResponse(f"/countries/{country}", status_code=303)
    await require_signed_fetch(request)
    fed = services(request).federation
    async with services(request).sessions() as session:
        organisation = await accounts.get_local(session, request.path_params["username"])
        if organisation is None:
            raise HTTPException(404, N_("There is no such page."))
        uri = countries.local_uri(fed.base_url, country, organisation.username)
        pages = await countries.by_uri(session, uri)
        if not pages:
            raise HTTPException(404, N_("There is no such page."))
        found = country_wire.document(pages, organisation, country_outbox.page_url(fed, country))
    return activity_response(
        proofs.prove({"@context": country_wire.CONTEXT, **found}, organisation)
    )


async def history(request: Request) -> Response:
    """`/countries/XX/history`: every revision of this node's page, newest first."""
    country = _country(request)
    settings = services(request).settings
    async with services(request).sessions() as session:
        viewer = await signed_in_account(request, session)
        organisation = await publishing.organisation(session, settings.organisation_username)
        revisions = await countries.history(session, organisation, country)
    return render(
        request,
        "country_history.html",
        viewer=viewer,
        country=country,
        organisation=organisation,
        revisions=revisions,
        **HELPERS,
    )


async def edit(request: Request) -> Response:
    """`/countries/XX/edit?version=xx`: staff write one language version of this node's page."""
    country = _country(request)
    fed = services(request).federation
    errors: dict[str, str] = {}
    suggestion = None
    async with session_scope(services(request).sessions) as session:
        found = await publishing.publisher(request, session, _("Only staff write country pages."))
        if isinstance(found, Response):
            return found
        viewer, organisation = found
        if request.method == "GET":
            asked = request.query_params.get("version", "")[:64]
            language = languages.language_tag(asked) or i18n.current()
            page = await countries.get(session, organisation, country, language)
            revision = await countries.current_revision(session, page) if page else None
            values = (
                revision.values(country, language)
                if revision
                else country_form.blank(country, language, utcnow().date())
            )
            if page and (suggestion := await corrections.accepted_for(
                request, session, organisation, page
            )):  # fmt: skip
                values.last_reviewed = utcnow().date()
        else:
            form = await request.form(max_fields=country_form.MAX_FIELDS, max_files=0)
            values, errors = country_form.read(form, country)
            try:
                validate(values, today=utcnow().date())
            except CountryPageError as error:
                errors = {**error.errors, **errors}
            if not errors:
                await country_outbox.save(fed, session, organisation, viewer, values)
    if request.method == "POST" and not errors:
        fed.notify()
        return RedirectResponse(f"/countries/{country}?version={values.language}", status_code=303)
    return render(
        request,
        "country_form.html",
        status_code=400 if errors else 200,
        viewer=viewer,
        country=country,
        values=values,
        errors=errors,
        **corrections.note_context(suggestion),
        **HELPERS,
    )


async def delete(request: Request) -> Response:
    """`POST /countries/XX/delete?version=xx`: staff delete one language version."""
    country = _country(request)
    fed = services(request).federation
    async with session_scope(services(request).sessions) as session:
        found = await publishing.publisher(request, session, _("Only staff write country pages."))
        if isinstance(found, Response):
            return found
        organisation = found[1]
        asked = request.query_params.get("version", "")[:64]
        language = languages.language_tag(asked) or ""
        page = await countries.get(session, organisation, country, language)
        if page is None:
            raise HTTPException(404, N_("There is no such page of this organisation."))
        await country_outbox.delete(fed, session, organisation, page)
    fed.notify()
    return RedirectResponse(f"/countries/{country}", status_code=303)


routes = [
    Route("/countries", index),
    Route("/countries/write", write),
    Route("/countries/{code}", show),
    Route("/countries/{code}/history", history),
    Route("/countries/{code}/edit", edit, methods=["GET", "POST"]),
    Route("/countries/{code}/delete", delete, methods=["POST"]),
    Route("/countries/{code}/{username}", document),
]
