"""Grouped notifications (`/api/v2/notifications`): likes and boosts of one post, and
follows, within one slot of `content.notifications.GROUP_HOURS` shown as one group.

A page holds up to `limit` groups. It is read newest first and ends before the first
notification of a group that does not fit, so the next page (`max_id`, from the Link header)
starts exactly there and nothing is skipped; a group can continue on the next page, as
Mastodon's do (`page_min_id`, `page_max_id`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import ColumnElement, delete, false, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import markers, notifications
from content.accounts import Account
from content.markers import Timeline
from content.notifications import Notification
from content.orm import iso
from content.paging import Window, parse_count
from node.api.mastodon.notifications import filters, referenced, shown
from node.api.mastodon.paging import link_header, window_of
from node.api.mastodon.requests import user_of
from node.database import session_scope
from node.state import services

READ_AHEAD = 5  # notifications read per group asked for, at most
SAMPLE_ACCOUNTS = 8
UNGROUPED = "ungrouped-"


async def index(request: Request) -> Response:
    """GET /api/v2/notifications (types[], exclude_types[], account_id, grouped_types[],
    include_filtered, paging)."""
    viewer = await user_of(request, "read:notifications")
    base = services(request).settings.base_url
    window = window_of(request, default=40, maximum=80)
    grouped = _grouped_types(request)
    async with services(request).sessions() as session:
        where = await shown(session, viewer, request)
        ahead = replace(window, limit=window.limit * READ_AHEAD)
        rows = await notifications.page(
            session, viewer, window=ahead, where=where, **filters(request)
        )
        groups = _groups(rows, grouped, window.limit, from_oldest=window.min_id is not None)
        document = await _document(session, viewer, base, groups, where)
    ids = [row.id for group in groups for row in group]
    return JSONResponse(document, headers=link_header(request, base, ids))


async def show(request: Request) -> Response:
    """GET /api/v2/notifications/:group_key."""
    viewer = await user_of(request, "read:notifications")
    base = services(request).settings.base_url
    async with services(request).sessions() as session:
        rows, where = await _of_group(session, viewer, request)
        return JSONResponse(await _document(session, viewer, base, [rows], where))


async def accounts(request: Request) -> Response:
    """GET /api/v2/notifications/:group_key/accounts: who is in the group, newest first."""
    viewer = await user_of(request, "read:notifications")
    base = services(request).settings.base_url
    async with services(request).sessions() as session:
        rows, _ = await _of_group(session, viewer, request)
        senders = list(dict.fromkeys(row.from_account_id for row in rows))
        found, _ = await referenced(session, senders, [], viewer, base)
    return JSONResponse([found[i] for i in senders if i in found])


async def dismiss(request: Request) -> Response:
    """POST /api/v2/notifications/:group_key/dismiss: every notification of the group goes."""
    viewer = await user_of(request, "write:notifications")
    async with session_scope(services(request).sessions) as session:
        await session.execute(
            delete(Notification).where(
                Notification.account_id == viewer.id, _key_is(request.path_params["group_key"])
            )
        )
    return JSONResponse({})


async def unread_count(request: Request) -> Response:
    """GET /api/v2/notifications/unread_count: groups with a notification after the
    notifications marker, counted up to `limit` (100 by default, at most 1000)."""
    viewer = await user_of(request, "read:notifications")
    limit = parse_count(request.query_params.get("limit", ""), 100, 1000, minimum=1)
    grouped = _grouped_types(request)
    async with services(request).sessions() as session:
        last_read = await markers.last_read(session, viewer, Timeline.NOTIFICATIONS)
        rows = await notifications.page(
            session,
            viewer,
            window=Window(limit=limit * READ_AHEAD, min_id=last_read),
            where=await shown(session, viewer, request),
            **filters(request),
        )
    keys = {_key(row, grouped) for row in rows}
    return JSONResponse({"count": min(len(keys), limit)})


def _grouped_types(request: Request) -> set[str]:
    """The types the client shows grouped (`grouped_types[]`), by default all that group."""
    return set(request.query_params.getlist("grouped_types[]")) or set(notifications.GROUPED)


def _key(row: Notification, grouped: set[str]) -> str:
    return notifications.group_key_of(row) if row.type in grouped else f"{UNGROUPED}{row.id}"


def _groups(
    rows: Sequence[Notification], grouped: set[str], limit: int, *, from_oldest: bool = False
) -> list[list[Notification]]:
    """Rows (newest first) in groups, newest group first, each newest row first, up to
    `limit` groups: reading stops before the first row of a group that does not fit. It
    reads from the newest row, or, for the page before a `min_id`, from the oldest."""
    found: dict[str, list[Notification]] = {}
    for row in reversed(rows) if from_oldest else rows:
        key = _key(row, grouped)
        if key not in found and len(found) == limit:
            break
        found.setdefault(key, []).append(row)
    groups = [sorted(g, key=lambda row: row.id, reverse=True) for g in found.values()]
    return sorted(groups, key=lambda group: group[0].id, reverse=True)


def _key_is(group_key: str) -> ColumnElement[bool]:
    """Notifications of a group, by the key clients were given."""
    if group_key.startswith(UNGROUPED):
        number = group_key.removeprefix(UNGROUPED)
        return Notification.id == int(number) if number.isdigit() and len(number) < 19 else false()
    return Notification.group_key == group_key[:64]


async def _of_group(
    session: AsyncSession, viewer: Account, request: Request
) -> tuple[list[Notification], list[ColumnElement[bool]]]:
    """The notifications of the path's group the viewer is shown, newest first (up to 80),
    and the conditions they met; 404 if there are none."""
    where = await shown(session, viewer, request)
    key = _key_is(request.path_params["group_key"])
    rows = await notifications.page(session, viewer, window=Window(limit=80), where=[*where, key])
    if not rows:
        raise HTTPException(404, "Record not found")
    return rows, where


async def _document(
    session: AsyncSession,
    viewer: Account,
    base: str,
    groups: list[list[Notification]],
    where: list[ColumnElement[bool]],
) -> dict[str, Any]:
    """The grouped-notifications document: the groups, and the accounts and statuses they
    refer to, each once."""
    keyed = [row.group_key for group in groups for row in group[:1] if row.group_key]
    totals = dict(
        (
            await session.execute(
                select(Notification.group_key, func.count())
                .join(Account, Account.id == Notification.from_account_id)
                .where(
                    Notification.account_id == viewer.id,
                    Notification.group_key.in_(keyed),
                    Account.suspended_at.is_(None),
                    *where,
                )
                .group_by(Notification.group_key)
            )
        ).all()
    )
    samples = [list(dict.fromkeys(r.from_account_id for r in g))[:SAMPLE_ACCOUNTS] for g in groups]
    rows = [group[0] for group in groups]
    senders = {i for sample in samples for i in sample}
    account_entities, statuses = await referenced(session, senders, rows, viewer, base)
    found = []
    for group, sample in zip(groups, samples, strict=True):
        newest = group[0]
        entry: dict[str, Any] = {
            "group_key": notifications.group_key_of(newest),
            "notifications_count": totals.get(newest.group_key, len(group))
            if newest.group_key
            else 1,
            "type": newest.type,
            "most_recent_notification_id": str(newest.id),
            "page_min_id": str(group[-1].id),
            "page_max_id": str(newest.id),
            "latest_page_notification_at": iso(newest.created_at),
            "sample_account_ids": [str(i) for i in sample],
        }
        if newest.post_id in statuses:
            entry["status_id"] = statuses[newest.post_id]["id"]
        found.append(entry)
    return {
        "accounts": [account_entities[i] for i in dict.fromkeys(senders) if i in account_entities],
        "statuses": list({s["id"]: s for s in statuses.values()}.values()),
        "notification_groups": found,
    }


routes = [
    Route("/api/v2/notifications", index),
    Route("/api/v2/notifications/unread_count", unread_count),
    Route("/api/v2/notifications/{group_key}", show),
    Route("/api/v2/notifications/{group_key}/accounts", accounts),
    Route("/api/v2/notifications/{group_key}/dismiss", dismiss, methods=["POST"]),
]
