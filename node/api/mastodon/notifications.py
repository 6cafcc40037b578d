"""Notifications: list, show, dismiss, clear and the unread count after the marker."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import markers, notifications
from content.accounts import Account
from content.markers import Timeline
from content.notifications import Notification, NotificationType
from content.orm import iso
from content.posts import Post
from moderation.account_blocks import blocked_either_way
from node.api.mastodon import entities
from node.api.mastodon.paging import link_header, window_of
from node.api.mastodon.requests import path_id, user_of
from node.database import session_scope
from node.state import services

ABOUT_A_POST = (NotificationType.MENTION, NotificationType.REBLOG, NotificationType.FAVOURITE)


async def index(request: Request) -> Response:
    """GET /api/v1/notifications (types[], exclude_types[], account_id, paging)."""
    viewer = await user_of(request, "read:notifications")
    base = services(request).settings.base_url
    async with services(request).sessions() as session:
        rows = await notifications.page(
            session,
            viewer,
            window=window_of(request, default=40, maximum=80),
            exclude_accounts=await blocked_either_way(session, viewer),
            **_filters(request),
        )
        found = [await _entity(session, row, viewer, base) for row in rows]
    return JSONResponse(found, headers=link_header(request, base, [row.id for row in rows]))


async def show(request: Request) -> Response:
    """GET /api/v1/notifications/:id."""
    viewer = await user_of(request, "read:notifications")
    async with services(request).sessions() as session:
        hidden = await blocked_either_way(session, viewer)
        row = await notifications.get(session, viewer, path_id(request), hidden)
        if row is None:
            raise HTTPException(404, "Record not found")
        return JSONResponse(
            await _entity(session, row, viewer, services(request).settings.base_url)
        )


async def dismiss(request: Request) -> Response:
    """POST /api/v1/notifications/:id/dismiss."""
    viewer = await user_of(request, "write:notifications")
    async with session_scope(services(request).sessions) as session:
        if not await notifications.dismiss(session, viewer, path_id(request)):
            raise HTTPException(404, "Record not found")
    return JSONResponse({})


async def clear(request: Request) -> Response:
    """POST /api/v1/notifications/clear."""
    viewer = await user_of(request, "write:notifications")
    async with session_scope(services(request).sessions) as session:
        await notifications.clear(session, viewer)
    return JSONResponse({})


async def unread_count(request: Request) -> Response:
    """GET /api/v1/notifications/unread_count: notifications after the notifications
    marker, counted up to `limit` (100 by default, at most 1000)."""
    viewer = await user_of(request, "read:notifications")
    raw = request.query_params.get("limit", "")
    limit = min(max(int(raw), 1), 1000) if raw.isdigit() and len(raw) < 6 else 100
    async with services(request).sessions() as session:
        count = await notifications.count_after(
            session,
            viewer,
            await markers.last_read(session, viewer, Timeline.NOTIFICATIONS),
            limit=limit,
            exclude_accounts=await blocked_either_way(session, viewer),
            **_filters(request),
        )
    return JSONResponse({"count": count})


def _filters(request: Request) -> dict[str, Any]:
    """types[], exclude_types[] and account_id (an account_id that is no id matches nobody)."""
    query = request.query_params
    raw_account = query.get("account_id")
    from_account = None
    if raw_account is not None:
        from_account = int(raw_account) if raw_account.isdigit() and len(raw_account) < 19 else 0
    return {
        "types": [*query.getlist("types[]"), *query.getlist("types")],
        "exclude_types": [*query.getlist("exclude_types[]"), *query.getlist("exclude_types")],
        "from_account_id": from_account,
    }


async def _entity(
    session: AsyncSession, row: Notification, viewer: Account, base: str
) -> dict[str, Any]:
    """The Notification entity; `status` only for the types that are about a post."""
    sender = await session.get(Account, row.from_account_id)
    assert sender is not None
    entity: dict[str, Any] = {
        "id": str(row.id),
        "type": row.type,
        "group_key": f"ungrouped-{row.id}",
        "created_at": iso(row.created_at),
        "account": await entities.account(session, sender, base),
    }
    if row.type in ABOUT_A_POST and row.post_id is not None:
        post = await session.get(Post, row.post_id)
        author = await session.get(Account, post.account_id) if post else None
        if post is not None and author is not None:
            entity["status"] = await entities.status(session, post, author, viewer, base)
    return entity


routes = [
    Route("/api/v1/notifications", index),
    Route("/api/v1/notifications/unread_count", unread_count),
    Route("/api/v1/notifications/clear", clear, methods=["POST"]),
    Route("/api/v1/notifications/{id}", show),
    Route("/api/v1/notifications/{id}/dismiss", dismiss, methods=["POST"]),
]
