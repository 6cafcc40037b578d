"""Reports from members: POST /api/v1/reports files one in the moderation queue."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import posts
from content.accounts import Account
from content.orm import iso
from moderation import reports
from moderation.reports import Report
from node.api.mastodon import entities, records
from node.api.mastodon.requests import read_params, user_of
from node.database import session_scope
from node.state import services


async def create(request: Request) -> Response:
    """File a report about an account and some of its posts for this node's moderators.
    `forward=true` only records the member's wish that it go to the account's server: a
    moderator decides whether it does. `rule_ids` are ignored: Harbour has no rules list."""
    viewer = await user_of(request, "write:reports")
    params = await read_params(request)
    raw_ids = params.get("status_ids") or []
    status_ids = [str(i) for i in (raw_ids if isinstance(raw_ids, list) else [raw_ids])]
    forward = str(params.get("forward", "false")).lower() in ("true", "1")
    base_url = services(request).settings.base_url
    async with session_scope(services(request).sessions) as session:
        target = await records.account(session, str(params.get("account_id", "")))
        reported = [await records.visible_post(session, i, viewer) for i in status_ids[:50]]
        if any(post.account_id != target.id for post in reported):
            raise HTTPException(422, "Validation failed: statuses must be the account's own")
        try:
            report = await reports.file_report(
                session,
                reporter=viewer,
                target=target,
                post_uris=[post.uri for post in reported],
                comment=str(params.get("comment", "")),
                category=str(params.get("category", "other")),
                forward_requested=forward,
            )
        except ValueError as error:
            raise HTTPException(422, str(error)) from None
        entity = await report_entity(session, report, target, base_url)
    return JSONResponse(entity)


async def report_entity(
    session: AsyncSession, report: Report, target: Account, base_url: str
) -> dict[str, Any]:
    """The Report entity, as the member who filed it sees it."""
    found = [await posts.get_by_uri(session, uri) for uri in reports.reported_post_uris(report)]
    return {
        **report_fields(report),
        "status_ids": [str(p.id) for p in found if p is not None] or None,
        "rule_ids": None,
        "target_account": await entities.account(session, target, base_url),
    }


def report_fields(report: Report) -> dict[str, Any]:
    """What the Report and Admin::Report entities share."""
    return {
        "id": str(report.id),
        "action_taken": report.resolved_at is not None,
        "action_taken_at": iso(report.resolved_at) if report.resolved_at else None,
        "category": report.category,
        "comment": report.comment,
        "forwarded": report.forwarded,
        "created_at": iso(report.created_at),
    }


routes = [Route("/api/v1/reports", create, methods=["POST"])]
