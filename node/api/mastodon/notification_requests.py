"""A member's notification policy (`/api/v1|v2/notifications/policy`) and the requests it
holds back, one per sender (`/api/v1/notifications/requests`). A request's id is its
sender's account id; pages follow the newest held notification of each sender."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import notification_policy
from content.accounts import Account
from content.notification_policy import RULES, Choice
from content.notifications import Notification, NotificationType
from content.orm import iso
from content.paging import parse_count, parse_id
from moderation.policy import notification_view
from node.api.mastodon.notifications import referenced
from node.api.mastodon.paging import link_header
from node.api.mastodon.requests import path_id, read_params, user_of
from node.database import session_scope
from node.state import services

# The v1 policy's booleans and the v2 rules they stand for (true = filter).
V1 = {
    "filter_not_following": "for_not_following",
    "filter_not_followers": "for_not_followers",
    "filter_new_accounts": "for_new_accounts",
    "filter_private_mentions": "for_private_mentions",
}
MAX_IDS = 100  # ids[] at once


async def policy_v2(request: Request) -> Response:
    """GET and PATCH /api/v2/notifications/policy."""
    if request.method == "PATCH":
        params = await read_params(request)
        changes = {rule: params[rule] for rule in RULES if rule in params}
        if any(value not in set(Choice) for value in changes.values()):
            raise HTTPException(422, "Each rule is one of accept, filter or drop")
        await _update(request, changes)
    viewer = await user_of(request, "read:notifications")
    async with services(request).sessions() as session:
        policy = await notification_policy.policy_of(session, viewer)
        document = {rule: getattr(policy, rule) for rule in RULES}
        return JSONResponse({**document, "summary": await _summary(session, viewer)})


async def policy_v1(request: Request) -> Response:
    """GET and PUT /api/v1/notifications/policy (true filters, false accepts)."""
    if request.method in ("PUT", "PATCH"):
        params = await read_params(request)
        changes = {
            rule: Choice.FILTER if str(params[flag]).lower() in ("true", "1") else Choice.ACCEPT
            for flag, rule in V1.items()
            if flag in params
        }
        await _update(request, changes)
    viewer = await user_of(request, "read:notifications")
    async with services(request).sessions() as session:
        policy = await notification_policy.policy_of(session, viewer)
        document: dict[str, Any] = {
            flag: getattr(policy, rule) != Choice.ACCEPT for flag, rule in V1.items()
        }
        return JSONResponse({**document, "summary": await _summary(session, viewer)})


async def _update(request: Request, changes: Mapping[str, str]) -> None:
    viewer = await user_of(request, "write:notifications")
    async with session_scope(services(request).sessions) as session:
        await notification_policy.update(session, viewer, changes)


async def index(request: Request) -> Response:
    """GET /api/v1/notifications/requests: senders whose notifications are held back,
    most recent first (`limit`, `max_id`, `min_id` over their newest held notification)."""
    viewer = await user_of(request, "read:notifications")
    base = services(request).settings.base_url
    query = request.query_params
    limit = parse_count(query.get("limit"), 40, 80, minimum=1)
    bounds: list[ColumnElement[bool]] = []
    if (max_id := parse_id(query.get("max_id"))) is not None:
        bounds.append(func.max(Notification.id) < max_id)
    if (min_id := parse_id(query.get("min_id") or query.get("since_id"))) is not None:
        bounds.append(func.max(Notification.id) > min_id)
    async with services(request).sessions() as session:
        rows = await _requests(session, viewer, having=bounds, limit=limit)
        found = await _entities(session, viewer, base, rows)
    return JSONResponse(found, headers=link_header(request, base, [row[2] for row in rows]))


async def show(request: Request) -> Response:
    """GET /api/v1/notifications/requests/:id."""
    viewer = await user_of(request, "read:notifications")
    base = services(request).settings.base_url
    async with services(request).sessions() as session:
        rows = await _requests(session, viewer, sender=path_id(request))
        if not rows:
            raise HTTPException(404, "Record not found")
        [entity] = await _entities(session, viewer, base, rows)
    return JSONResponse(entity)


async def accept_one(request: Request) -> Response:
    """POST /api/v1/notifications/requests/:id/accept: her notifications come through."""
    return await _answer(request, [path_id(request)], accepted=True)


async def dismiss_one(request: Request) -> Response:
    """POST /api/v1/notifications/requests/:id/dismiss: the request is no longer listed."""
    return await _answer(request, [path_id(request)], accepted=False)


async def accept_many(request: Request) -> Response:
    """POST /api/v1/notifications/requests/accept (id[])."""
    return await _answer(request, await _ids(request), accepted=True)


async def dismiss_many(request: Request) -> Response:
    """POST /api/v1/notifications/requests/dismiss (id[])."""
    return await _answer(request, await _ids(request), accepted=False)


async def merged(request: Request) -> Response:
    """GET /api/v1/notifications/requests/merged: accepting takes effect at once here."""
    await user_of(request, "read:notifications")
    return JSONResponse({"merged": True})


async def _ids(request: Request) -> list[int]:
    raw = (await read_params(request)).get("id", [])
    values = raw if isinstance(raw, list) else [raw]
    ids = [found for value in values[:MAX_IDS] if (found := parse_id(str(value))) is not None]
    return ids


async def _answer(request: Request, sender_ids: list[int], *, accepted: bool) -> Response:
    """Accept or dismiss the requests of these senders (ids of no sender change nothing)."""
    viewer = await user_of(request, "write:notifications")
    async with session_scope(services(request).sessions) as session:
        known = await session.scalars(select(Account.id).where(Account.id.in_(sender_ids)))
        await notification_policy.answer(session, viewer, set(known), accepted=accepted)
    return JSONResponse({})


async def _requests(
    session: AsyncSession,
    viewer: Account,
    *,
    sender: int | None = None,
    having: list[ColumnElement[bool]] | None = None,
    limit: int = 1,
) -> list[tuple[int, int, int]]:
    """(sender id, held notifications, newest held notification id) per sender whose
    request is listed, most recent first."""
    view = await notification_view(session, viewer)
    query = (
        select(Notification.from_account_id, func.count(), func.max(Notification.id))
        .join(Account, Account.id == Notification.from_account_id)
        .where(
            Notification.account_id == viewer.id,
            Account.suspended_at.is_(None),
            ~notification_policy.dismissed(viewer),
            *view.held(),
        )
        .group_by(Notification.from_account_id)
        .having(*(having or []))
        .order_by(func.max(Notification.id).desc())
        .limit(limit)
    )
    if sender is not None:
        query = query.where(Notification.from_account_id == sender)
    return [(int(a), int(n), int(newest)) for a, n, newest in await session.execute(query)]


async def _entities(
    session: AsyncSession, viewer: Account, base: str, rows: list[tuple[int, int, int]]
) -> list[dict[str, Any]]:
    newest = {
        row.id: row
        for row in await session.scalars(
            select(Notification).where(Notification.id.in_([r[2] for r in rows]))
        )
    }
    accounts, statuses = await referenced(
        session, [r[0] for r in rows], list(newest.values()), viewer, base
    )
    found = []
    for sender, count, newest_id in rows:
        latest = newest[newest_id]
        entity: dict[str, Any] = {
            "id": str(sender),
            "created_at": iso(latest.created_at),
            "updated_at": iso(latest.created_at),
            "account": accounts[sender],
            "notifications_count": str(count),
        }
        if latest.type == NotificationType.MENTION and latest.post_id in statuses:
            entity["last_status"] = statuses[latest.post_id]
        found.append(entity)
    return found


async def _summary(session: AsyncSession, viewer: Account) -> dict[str, int]:
    rows = await _requests(session, viewer, limit=1000)
    return {
        "pending_requests_count": len(rows),
        "pending_notifications_count": sum(row[1] for row in rows),
    }


routes = [
    Route("/api/v1/notifications/policy", policy_v1, methods=["GET", "PUT", "PATCH"]),
    Route("/api/v2/notifications/policy", policy_v2, methods=["GET", "PATCH"]),
    Route("/api/v1/notifications/requests", index),
    Route("/api/v1/notifications/requests/merged", merged),
    Route("/api/v1/notifications/requests/accept", accept_many, methods=["POST"]),
    Route("/api/v1/notifications/requests/dismiss", dismiss_many, methods=["POST"]),
    Route("/api/v1/notifications/requests/{id}", show),
    Route("/api/v1/notifications/requests/{id}/accept", accept_one, methods=["POST"]),
    Route("/api/v1/notifications/requests/{id}/dismiss", dismiss_one, methods=["POST"]),
]
