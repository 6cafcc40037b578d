"""Mastodon's admin API for the report queue: list, show, resolve, reopen and assign.
Moderators and admins may use it, with an `admin:` reports scope."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content.accounts import Account
from content.posts import Post
from moderation import reports
from moderation.reports import Report
from node import moderating
from node.api.mastodon.admin_entities import admin_report
from node.api.mastodon.paging import link_header, window_of
from node.api.mastodon.requests import path_id, read_params, staff_of
from node.database import session_scope
from node.moderating import MODERATORS, ModerationError
from node.state import services

READ = "admin:read:reports"
WRITE = "admin:write:reports"
TRUE = ("true", "1")
SENDS = ("forward", "share")


async def list_reports(request: Request) -> Response:
    """GET /api/v1/admin/reports: open reports, or closed ones with `resolved=true`."""
    moderator = await staff_of(request, READ, MODERATORS)
    resolved = request.query_params.get("resolved", "false").lower() in TRUE
    base = services(request).settings.base_url
    async with services(request).sessions() as session:
        page = await reports.reports_page(session, resolved=resolved, window=window_of(request))
        found = [await admin_report(session, row, moderator, base) for row in page]
    return JSONResponse(found, headers=link_header(request, base, [row.id for row in page]))


async def show_report(request: Request) -> Response:
    """GET /api/v1/admin/reports/:id."""
    moderator = await staff_of(request, READ, MODERATORS)
    async with services(request).sessions() as session:
        report = await _report(session, request)
        base = services(request).settings.base_url
        return JSONResponse(await admin_report(session, report, moderator, base))


async def on_report(request: Request) -> Response:
    """POST /api/v1/admin/reports/:id/{resolve,reopen,assign_to_self,unassign}. Resolving
    takes Harbour's optional `note`, and `forward=true` to send the report on, anonymously
    and with its public posts only, to the reported account's server. Harbour's own verbs:
    `forward` (with `comment`, the words to send, and `add_status_ids`, non-public reported
    posts the moderator chooses to include) and `share` (also with `domain`, a partner in
    the trusted circle)."""
    moderator = await staff_of(request, WRITE, MODERATORS)
    params = await read_params(request)
    verb = request.path_params["verb"]
    fed = services(request).federation
    async with session_scope(services(request).sessions) as session:
        report = await _report(session, request)
        try:
            if verb in SENDS:
                await _send(request, session, report, moderator, params)
            else:
                forward = str(params.get("forward", "false")).lower() in TRUE
                note = str(params.get("note", ""))
                await moderating.change_report(
                    fed, session, report, moderator, verb, note=note, forward=forward
                )
        except ModerationError as error:
            if verb in SENDS:
                raise HTTPException(422, str(error)) from None
            raise HTTPException(404, "Record not found") from None
        await session.flush()
        entity = await admin_report(session, report, moderator, fed.base_url)
    fed.notify()
    return JSONResponse(entity)


async def _send(
    request: Request,
    session: AsyncSession,
    report: Report,
    moderator: Account,
    params: dict[str, Any],
) -> None:
    fed = services(request).federation
    raw = params.get("add_status_ids") or []
    ids = raw if isinstance(raw, list) else [raw]
    added = [await _reported_uri(session, str(i)) for i in ids]
    comment = str(params.get("comment", report.comment))
    if request.path_params["verb"] == "forward":
        await moderating.forward_report(
            fed, session, report, moderator, comment=comment, added=added
        )
    else:
        partner = str(params.get("domain", ""))
        await moderating.share_report(
            fed, session, report, moderator, partner=partner, comment=comment, added=added
        )


async def _reported_uri(session: AsyncSession, raw_id: str) -> str:
    post = await session.get(Post, int(raw_id)) if raw_id.isdigit() and len(raw_id) < 19 else None
    if post is None:
        raise HTTPException(422, f"there is no status {raw_id}")
    return post.uri


async def _report(session: AsyncSession, request: Request) -> Report:
    found = await session.get(Report, path_id(request))
    if found is None:
        raise HTTPException(404, "Record not found")
    return found


routes = [
    Route("/api/v1/admin/reports", list_reports),
    Route("/api/v1/admin/reports/{id}", show_report),
    Route("/api/v1/admin/reports/{id}/{verb}", on_report, methods=["POST"]),
]
