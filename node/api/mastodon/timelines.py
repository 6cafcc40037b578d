"""Home and public timelines, paged with max_id and Link headers as Mastodon does."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import timelines
from content.accounts import Account
from content.timelines import Entry
from moderation.account_blocks import blocked_either_way
from node.api.mastodon import entities
from node.api.mastodon.requests import token_of, user_of
from node.state import services

MAX_LIMIT = 40


async def home(request: Request) -> Response:
    """GET /api/v1/timelines/home."""
    viewer = await user_of(request, "read:statuses")
    limit, max_id = _paging(request)
    async with services(request).sessions() as session:
        hidden = await blocked_either_way(session, viewer)
        entries = await timelines.home(
            session, viewer, limit=limit, max_id=max_id, exclude_accounts=hidden
        )
        return await _page(request, session, entries, viewer)


async def public(request: Request) -> Response:
    """GET /api/v1/timelines/public (?local=true for this node's posts only)."""
    viewer = None
    if "authorization" in request.headers:
        viewer = (await token_of(request, "read:statuses"))[1]
    limit, max_id = _paging(request)
    local = request.query_params.get("local", "false").lower() in ("true", "1")
    async with services(request).sessions() as session:
        hidden = await blocked_either_way(session, viewer) if viewer else set()
        entries = await timelines.public(
            session,
            local_only=local,
            viewer_is_local=bool(viewer and viewer.is_local),
            limit=limit,
            max_id=max_id,
            exclude_accounts=hidden,
        )
        return await _page(request, session, entries, viewer)


async def _page(
    request: Request, session: AsyncSession, entries: list[Entry], viewer: Account | None
) -> Response:
    base = services(request).settings.base_url
    statuses = [await entities.status(session, e.post, e.author, viewer, base) for e in entries]
    headers: dict[str, str] = {}
    if entries:
        oldest = min(e.post.id for e in entries)
        url = request.url.include_query_params(max_id=oldest)
        headers["Link"] = f'<{base}{url.path}?{url.query}>; rel="next"'
    return JSONResponse(statuses, headers=headers)


def _paging(request: Request) -> tuple[int, int | None]:
    raw_limit = request.query_params.get("limit", "20")
    limit = min(max(int(raw_limit), 1), MAX_LIMIT) if raw_limit.isdigit() else 20
    raw_max = request.query_params.get("max_id", "")
    return limit, int(raw_max) if raw_max.isdigit() and len(raw_max) < 20 else None


routes = [
    Route("/api/v1/timelines/home", home),
    Route("/api/v1/timelines/public", public),
]
