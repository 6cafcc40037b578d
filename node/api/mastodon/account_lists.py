"""Lists about one account, and finding accounts: statuses, followers, following, search."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import account_search, relationships, timelines
from content.accounts import Account
from content.paging import parse_count
from content.relationships import followed_ids
from federation.mentions import full_handle
from federation.resolve import ResolveError, actor_by_handle
from moderation import account_blocks
from moderation.policy import hidden_from
from node.api.mastodon import entities, records
from node.api.mastodon.lists import accounts_response, statuses_response
from node.api.mastodon.paging import window_of
from node.api.mastodon.requests import optional_viewer, read_params, user_of
from node.database import session_scope
from node.state import services

TRUE = ("true", "1")
MAX_OFFSET = 10_000  # a search is read no deeper than this


async def statuses(request: Request) -> Response:
    """GET /api/v1/accounts/:id/statuses: what the viewer may read, newest first. Boosts are
    not listed here yet and nothing has media, so exclude_reblogs changes nothing and
    only_media gives []. Blocked either way, the list is empty."""
    viewer = await optional_viewer(request)
    query = request.query_params
    async with services(request).sessions() as session:
        author = await records.account(session, request.path_params["id"])
        hidden = viewer and author.id in await account_blocks.blocked_either_way(session, viewer)
        if hidden or query.get("only_media", "").lower() in TRUE:
            return JSONResponse([])
        found = await timelines.account_posts(
            session,
            author,
            viewer,
            window=window_of(request),
            pinned=query.get("pinned", "").lower() in TRUE,
            exclude_replies=query.get("exclude_replies", "").lower() in TRUE,
        )
        return await statuses_response(request, session, [(p.id, p) for p in found], viewer)


async def followers(request: Request) -> Response:
    """GET /api/v1/accounts/:id/followers: only the account itself sees who follows it."""
    return await _follows(request, followers=True)


async def following(request: Request) -> Response:
    """GET /api/v1/accounts/:id/following: only the account itself sees whom it follows."""
    return await _follows(request, followers=False)


async def _follows(request: Request, *, followers: bool) -> Response:
    viewer = await optional_viewer(request, "read:accounts")
    async with services(request).sessions() as session:
        account = await records.account(session, request.path_params["id"])
        if viewer is None or viewer.id != account.id:
            return JSONResponse([])
        page = relationships.followers_page if followers else relationships.following_page
        return await accounts_response(
            request, session, await page(session, account, window_of(request))
        )


async def search(request: Request) -> Response:
    """GET /api/v1/accounts/search?q=: accounts by the start of their name or handle."""
    viewer = await user_of(request, "read:accounts")
    params = await read_params(request)
    limit = str(params.get("limit", ""))
    offset = str(params.get("offset", ""))
    found = await find_accounts(
        request,
        viewer,
        str(params.get("q", "")),
        resolve=str(params.get("resolve", "false")).lower() in TRUE,
        limit=parse_count(limit, 40, 80),
        offset=parse_count(offset, 0, MAX_OFFSET),
        following=str(params.get("following", "false")).lower() in TRUE,
    )
    return JSONResponse(found)


async def find_accounts(
    request: Request,
    viewer: Account | None,
    query: str,
    *,
    resolve: bool,
    limit: int,
    offset: int = 0,
    following: bool = False,
) -> list[dict[str, Any]]:
    """Account entities matching `query`; with `resolve`, `name@server` is looked up through
    WebFinger first. Accounts hidden from the viewer are left out."""
    fed = services(request).federation
    query = query.strip().removesuffix(f"@{fed.domain}")
    if resolve and "@" in query.lstrip("@"):
        try:
            async with session_scope(services(request).sessions) as session:
                await actor_by_handle(fed, session, full_handle(query, fed.domain))
        except ResolveError:
            pass
    async with services(request).sessions() as session:
        hidden = (await hidden_from(session, viewer)).accounts
        allowed = set(await followed_ids(session, viewer)) if following and viewer else None
        rows = await account_search.by_prefix(
            session, query, limit=limit, offset=offset, viewer=viewer
        )
        return [
            await entities.account(session, a, fed.base_url)
            for a in rows
            if a.id not in hidden and (allowed is None or a.id in allowed)
        ]


routes = [
    Route("/api/v1/accounts/search", search),
    Route("/api/v1/accounts/{id}/statuses", statuses),
    Route("/api/v1/accounts/{id}/followers", followers),
    Route("/api/v1/accounts/{id}/following", following),
]
