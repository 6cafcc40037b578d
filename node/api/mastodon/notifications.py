"""Notifications: list, show, dismiss, clear and the unread count after the marker."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import markers, notifications
from content.accounts import Account, by_ids
from content.markers import Timeline
from content.notifications import Notification, NotificationType
from content.orm import iso
from content.paging import parse_count, parse_id
from content.posts import Post
from moderation.account_blocks import blocked_either_way
from node.api.mastodon import entities
from node.api.mastodon.entity_facts import account_counts, status_facts
from node.api.mastodon.paging import link_header, window_of
from node.api.mastodon.requests import path_id, user_of
from node.database import session_scope
from node.state import services

ABOUT_A_POST = (
    NotificationType.MENTION,
    NotificationType.REBLOG,
    NotificationType.FAVOURITE,
    NotificationType.POLL,
)


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
        found = await _entities(session, rows, viewer, base)
    return JSONResponse(found, headers=link_header(request, base, [row.id for row in rows]))


async def show(request: Request) -> Response:
    """GET /api/v1/notifications/:id."""
    viewer = await user_of(request, "read:notifications")
    async with services(request).sessions() as session:
        hidden = await blocked_either_way(session, viewer)
        row = await notifications.get(session, viewer, path_id(request), hidden)
        if row is None:
            raise HTTPException(404, "Record not found")
        [entity] = await _entities(session, [row], viewer, services(request).settings.base_url)
        return JSONResponse(entity)


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
    limit = parse_count(raw, 100, 1000, minimum=1)
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
        from_account = parse_id(raw_account) or 0
    return {
        "types": [*query.getlist("types[]"), *query.getlist("types")],
        "exclude_types": [*query.getlist("exclude_types[]"), *query.getlist("exclude_types")],
        "from_account_id": from_account,
    }


async def _entities(
    session: AsyncSession, rows: Sequence[Notification], viewer: Account, base: str
) -> list[dict[str, Any]]:
    """Notification entities, with `status` only for the types that are about a post. The
    senders' counts and the posts' facts are read for the whole page at once."""
    senders = await by_ids(session, {row.from_account_id for row in rows})
    post_ids = {row.post_id for row in rows if row.type in ABOUT_A_POST and row.post_id}
    about = {p.id: p for p in await session.scalars(select(Post).where(Post.id.in_(post_ids)))}
    authors = await by_ids(session, {post.account_id for post in about.values()})
    shown = [
        (post, authors[post.account_id]) for post in about.values() if post.account_id in authors
    ]
    facts = await status_facts(session, shown, viewer)
    counts = await account_counts(session, senders.keys())
    found = []
    for row in rows:
        sender = senders[row.from_account_id]
        entity: dict[str, Any] = {
            "id": str(row.id),
            "type": row.type,
            "group_key": f"ungrouped-{row.id}",
            "created_at": iso(row.created_at),
            "account": await entities.account(session, sender, base, counts[sender.id]),
        }
        post = about.get(row.post_id) if row.type in ABOUT_A_POST and row.post_id else None
        if post is not None and post.account_id in authors:
            author = authors[post.account_id]
            entity["status"] = await entities.status(session, post, author, viewer, base, facts)
        found.append(entity)
    return found


routes = [
    Route("/api/v1/notifications", index),
    Route("/api/v1/notifications/unread_count", unread_count),
    Route("/api/v1/notifications/clear", clear, methods=["POST"]),
    Route("/api/v1/notifications/{id}", show),
    Route("/api/v1/notifications/{id}/dismiss", dismiss, methods=["POST"]),
]
