"""Mastodon's admin API for accounts, local and remote: find them, limit (silence), suspend,
lift either, warn, delete a local one. Moderators and admins may use it, with an `admin:`
accounts scope; every action is in the audit log."""

from __future__ import annotations

from sqlalchemy import ColumnElement, Select, and_, func, not_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import media
from content.accounts import Account
from content.paging import parse_id
from federation.context import Federation
from moderation.reports import Report
from node.api.mastodon.admin_entities import admin_account
from node.api.mastodon.paging import link_header, window_of
from node.api.mastodon.requests import path_id, read_params, staff_of
from node.database import session_scope
from node.moderating import (
    MODERATORS,
    AccountAction,
    ModerationError,
    act_on_account,
    delete_account,
    resolve_report,
)
from node.state import services

READ = "admin:read:accounts"
WRITE = "admin:write:accounts"
ACTIONS = ("none", "silence", "suspend")
STATUSES: dict[str, ColumnElement[bool]] = {
    "active": and_(Account.suspended_at.is_(None), Account.deleted_at.is_(None)),
    "silenced": Account.silenced_at.is_not(None),
    "suspended": Account.suspended_at.is_not(None),
}


async def list_accounts(request: Request) -> Response:
    """GET /api/v2/admin/accounts: `origin` (local|remote), `status` (active|silenced|
    suspended), `username` (its start), `display_name` (a part), `by_domain`."""
    await staff_of(request, READ, MODERATORS)
    query = _filtered(select(Account), dict(request.query_params))
    base = services(request).settings.base_url
    window = window_of(request, maximum=200)
    async with services(request).sessions() as session:
        rows = window.newest_first(
            list(await session.scalars(window.apply(query, Account.id))), key=lambda a: a.id
        )
        found = [await admin_account(session, row, base) for row in rows]
    return JSONResponse(found, headers=link_header(request, base, [row.id for row in rows]))


async def show_account(request: Request) -> Response:
    """GET /api/v1/admin/accounts/:id."""
    await staff_of(request, READ, MODERATORS)
    async with services(request).sessions() as session:
        row = await _account(session, request)
        return JSONResponse(await admin_account(session, row, services(request).settings.base_url))


async def take_action(request: Request) -> Response:
    """POST /api/v1/admin/accounts/:id/action: `type` none (a warning, logged), silence or
    suspend, with `text` as the reason; `report_id` closes that report with the action."""
    moderator = await staff_of(request, WRITE, MODERATORS)
    params = await read_params(request)
    kind = str(params.get("type") or "none")
    if kind not in ACTIONS:
        raise HTTPException(422, "type must be none, silence or suspend")
    text = str(params.get("text") or "")
    fed = services(request).federation
    async with session_scope(services(request).sessions) as session:
        target = await _account(session, request)
        await _act(fed, session, moderator, target, AccountAction(kind), text)
        report = await _report_about(session, target, str(params.get("report_id") or ""))
        if report is not None:
            await resolve_report(fed, session, report, moderator, note=text)
    fed.notify()
    return JSONResponse({})


async def lift(request: Request) -> Response:
    """POST /api/v1/admin/accounts/:id/unsilence or /unsuspend."""
    moderator = await staff_of(request, WRITE, MODERATORS)
    verb = request.path_params["verb"]
    if verb not in ("unsilence", "unsuspend"):
        raise HTTPException(404, "Record not found")
    fed = services(request).federation
    async with session_scope(services(request).sessions) as session:
        target = await _account(session, request)
        await _act(fed, session, moderator, target, AccountAction(verb), "")
        await session.flush()
        return JSONResponse(
            await admin_account(session, target, services(request).settings.base_url)
        )


async def delete(request: Request) -> Response:
    """DELETE /api/v1/admin/accounts/:id: erase a local account for good."""
    moderator = await staff_of(request, WRITE, MODERATORS)
    fed = services(request).federation
    async with session_scope(services(request).sessions) as session:
        target = await _account(session, request)
        try:
            files = await delete_account(fed, session, moderator, target, "")
        except ModerationError as error:
            raise HTTPException(403, str(error)) from None
        entity = await admin_account(session, target, fed.base_url)
    media.remove_files(services(request).settings.media_dir, files)
    fed.notify()
    return JSONResponse(entity)


def _filtered(query: Select[Account], params: dict[str, str]) -> Select[Account]:
    local_actor = and_(Account.domain.is_(None), Account.actor_type == "Application")
    query = query.where(not_(local_actor))
    origin = params.get("origin")
    if origin == "local":
        query = query.where(Account.domain.is_(None))
    elif origin == "remote":
        query = query.where(Account.domain.is_not(None))
    if status := params.get("status"):
        query = query.where(STATUSES.get(status, Account.id.is_(None)))
    if username := params.get("username", "").strip().lower():
        query = query.where(func.lower(Account.username).startswith(username, autoescape=True))
    if display_name := params.get("display_name", "").strip().lower():
        query = query.where(
            func.lower(Account.display_name).contains(display_name, autoescape=True)
        )
    if domain := params.get("by_domain", "").strip().lower():
        query = query.where(Account.domain == domain)
    return query


async def _act(
    fed: Federation,
    session: AsyncSession,
    moderator: Account,
    target: Account,
    action: AccountAction,
    text: str,
) -> None:
    try:
        await act_on_account(fed, session, moderator, target, action, text)
    except ModerationError as error:
        raise HTTPException(403, str(error)) from None


async def _account(session: AsyncSession, request: Request) -> Account:
    found = await session.get(Account, path_id(request))
    if found is None or (found.is_local and found.actor_type == "Application"):
        raise HTTPException(404, "Record not found")
    return found


async def _report_about(session: AsyncSession, target: Account, raw_id: str) -> Report | None:
    if not raw_id:
        return None
    found = parse_id(raw_id)
    report = await session.get(Report, found) if found is not None else None
    if report is None or report.target_id != target.id:
        raise HTTPException(404, "Record not found")
    return report


routes = [
    Route("/api/v2/admin/accounts", list_accounts),
    Route("/api/v1/admin/accounts/{id}", show_account),
    Route("/api/v1/admin/accounts/{id}", delete, methods=["DELETE"]),
    Route("/api/v1/admin/accounts/{id}/action", take_action, methods=["POST"]),
    Route("/api/v1/admin/accounts/{id}/{verb}", lift, methods=["POST"]),
]
