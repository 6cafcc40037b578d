"""Notifications: list, show, dismiss, clear and the unread count after the marker. What
they leave out (blocks, mutes, blocked servers, the member's notification policy) is
`moderation.policy.notification_view`'s, as on the web page."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, select
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
from moderation.policy import NotificationView, notification_view
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
            where=await shown(session, viewer, request),
            **filters(request),
        )
        found = await notification_entities(session, rows, viewer, base)
    return JSONResponse(found, headers=link_header(request, base, [row.id for row in rows]))


async def show(request: Request) -> Response:
    """GET /api/v1/notifications/:id."""
    viewer = await user_of(request, "read:notifications")
    async with services(request).sessions() as session:
        view = await notification_view(session, viewer)
        row = await notifications.get(session, viewer, path_id(request), view.shown())
        if row is None:
            raise HTTPException(404, "Record not found")
        [entity] = await notification_entities(
            session, [row], viewer, services(request).settings.base_url
        )
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
            where=await shown(session, viewer, request),
            **filters(request),
        )
    return JSONResponse({"count": count})


async def shown(
    session: AsyncSession, viewer: Account, request: Request
) -> list[ColumnElement[bool]]:
    """The conditions of the viewer's notifications, with those her policy held back if the
    request says `include_filtered=true`."""
    view: NotificationView = await notification_view(session, viewer)
    held = request.query_params.get("include_filtered", "").lower() in ("true", "1")
    return view.shown(include_held=held)


def filters(request: Request) -> dict[str, Any]:
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


async def referenced(
    session: AsyncSession,
    account_ids: Collection[int],
    rows: Sequence[Notification],
    viewer: Account,
    base: str,
) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, Any]]]:
    """Account entities by id, and status entities by post id for the rows that are about a
    post. Counts and the posts' facts are read for all of them at once."""
    senders = await by_ids(session, account_ids)
    post_ids = {row.post_id for row in rows if row.type in ABOUT_A_POST and row.post_id}
    about = {p.id: p for p in await session.scalars(select(Post).where(Post.id.in_(post_ids)))}
    authors = await by_ids(session, {post.account_id for post in about.values()})
    shown = [
        (post, authors[post.account_id]) for post in about.values() if post.account_id in authors
    ]
    facts = await status_facts(session, shown, viewer)
    counts = await account_counts(session, senders.keys())
    accounts = {
        i: await entities.account(session, sender, base, counts[i]) for i, sender in senders.items()
    }
    statuses = {
        post.id: await entities.status(session, post, author, viewer, base, facts)
        for post, author in shown
    }
    return accounts, statuses


async def notification_entities(
    session: AsyncSession, rows: Sequence[Notification], viewer: Account, base: str
) -> list[dict[str, Any]]:
    """Notification entities, with `status` only for the types that are about a post."""
    senders = {row.from_account_id for row in rows}
    accounts, statuses = await referenced(session, senders, rows, viewer, base)
    found = []
    for row in rows:
        entity: dict[str, Any] = {
            "id": str(row.id),
            "type": row.type,
            "group_key": notifications.group_key_of(row),
            "created_at": iso(row.created_at),
            "account": accounts[row.from_account_id],
        }
        if row.type in ABOUT_A_POST and row.post_id in statuses:
            entity["status"] = statuses[row.post_id]
        found.append(entity)
    return found


routes = [
    Route("/api/v1/notifications", index),
    Route("/api/v1/notifications/unread_count", unread_count),
    Route("/api/v1/notifications/clear", clear, methods=["POST"]),
    Route("/api/v1/notifications/{id}", show),
    Route("/api/v1/notifications/{id}/dismiss", dismiss, methods=["POST"]),
]
