"""`/admin/trust`: trust lists for admins, as `harbour trust` does them: subscribe to a
partner's published block- or allowlist, review each change its last copy would make and
apply it, have it fetched now, let it apply itself, unsubscribe. Every change applied is in
the audit log; the worker fetches each list every few hours."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from content.accounts import Account
from content.interface_text import N_
from content.paging import parse_id
from moderation import audit, trust_lists
from moderation.domain_names import normalise
from moderation.trust_lists import Change, Kind, TrustList, TrustListError
from node.moderating import ADMINS, ModerationError
from node.state import services
from node.web import notices
from node.web.rendering import render
from node.web.staff import staff_form, staff_viewer

PATH = "/admin/trust"


@dataclass(frozen=True)
class Subscription:
    """A subscription as the page shows it: what it applied here and what waits."""

    row: TrustList
    applied: int
    changes: tuple[Change, ...]
    skipped: tuple[tuple[str, str], ...]


MAX_CHOSEN = 10_000  # changes applied by one form (its body is at most 1 MiB)


async def trust_page(request: Request) -> Response:
    """Every subscription with the changes waiting for review, and the form to add one."""
    async with services(request).sessions() as session:
        viewer = await staff_viewer(request, session, ADMINS)
        if isinstance(viewer, Response):
            return viewer
        counts = await trust_lists.applied_counts(session)
        shown = []
        for row in await trust_lists.all_lists(session):
            waiting = await trust_lists.pending(session, row)
            shown.append(Subscription(row, counts.get(row.id, 0), waiting.changes, waiting.skipped))
    return render(
        request, "admin_trust.html", viewer=viewer, lists=shown, notice=notices.take(request)
    )


async def waiting_changes(session: AsyncSession) -> int:
    """How many changes from trust lists wait for an admin, for the moderation page."""
    waiting = 0
    for row in await trust_lists.all_lists(session):
        if not row.auto_apply:
            waiting += len((await trust_lists.pending(session, row)).changes)
    return waiting


async def _subscribe(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> list[str]:
    url = str(form.get("url", "")).strip()[:2048]
    if not url.startswith(("https://", "http://")):
        raise ModerationError(N_("Give the list's full address, starting with https://"))
    kind = Kind.ALLOWLIST if form.get("kind") == Kind.ALLOWLIST else Kind.BLOCKLIST
    name = str(form.get("name", "")).strip()[:255]
    try:
        row = await trust_lists.subscribe(
            session, url, kind, name, auto_apply=form.get("auto_apply") == "on"
        )
    except TrustListError:
        raise ModerationError(
            N_("This node already subscribes to that list, or to one with that name")
        ) from None
    audit.record(session, viewer, "trust.subscribe", row.url, row.name)
    services(request).federation.notify()  # the worker fetches it now
    return []


async def _apply(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> list[str]:
    row = await _subscription(session, request)
    chosen = {normalise(str(name)) for name in form.getlist("domain")}
    changes = (await trust_lists.pending(session, row)).changes
    chosen_changes = [c for c in changes if c.entry.domain in chosen]
    await trust_lists.apply_in_batches(services(request).sessions, row.id, chosen_changes, viewer)
    return []


async def _fetch(
    session: AsyncSession, _viewer: Account, _form: FormData, request: Request
) -> list[str]:
    trust_lists.fetch_soon(await _subscription(session, request))
    services(request).federation.notify()
    return []


async def _automatic(
    session: AsyncSession, viewer: Account, form: FormData, request: Request
) -> list[str]:
    row = await _subscription(session, request)
    row.auto_apply = form.get("auto_apply") == "on"
    audit.record(session, viewer, f"trust.auto_apply {'on' if row.auto_apply else 'off'}", row.url)
    return []


async def _unsubscribe(
    session: AsyncSession, viewer: Account, _form: FormData, request: Request
) -> list[str]:
    row = await _subscription(session, request)
    audit.record(session, viewer, "trust.unsubscribe", row.url, row.name)
    await trust_lists.unsubscribe(session, row)
    return []


async def _subscription(session: AsyncSession, request: Request) -> TrustList:
    found = parse_id(request.path_params["list_id"])
    row = await session.get(TrustList, found) if found is not None else None
    if row is None:
        raise ModerationError(N_("There is no such subscription."))
    return row


routes = [
    Route(PATH, trust_page),
    Route(f"{PATH}/subscribe", staff_form(_subscribe, ADMINS, PATH), methods=["POST"]),
    # One field a chosen domain: a partner's whole list, not the 19 of other forms (more
    # were refused with a 400, so a list's review could not be applied on the page).
    Route(
        f"{PATH}/{{list_id}}/apply",
        staff_form(_apply, ADMINS, PATH, max_fields=MAX_CHOSEN),
        methods=["POST"],
    ),
    *(
        Route(f"{PATH}/{{list_id}}/{verb}", staff_form(action, ADMINS, PATH), methods=["POST"])
        for verb, action in (
            ("fetch", _fetch),
            ("automatic", _automatic),
            ("unsubscribe", _unsubscribe),
        )
    ),
]
