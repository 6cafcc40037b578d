"""Home and public timelines, paged with max_id, since_id, min_id and Link headers."""

from __future__ import annotations

from typing import TypedDict

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import accounts, hashtags, timelines
from content.readers import Reader
from content.timelines import Entry
from moderation.policy import hidden_from, limited
from node.api.mastodon import entities
from node.api.mastodon import timeline_lists as api_timeline_lists
from node.api.mastodon.paging import link_header, window_of
from node.api.mastodon.requests import optional_viewer, reader_of, user_of
from node.database import reading_only
from node.state import services


async def home(request: Request) -> Response:
    """GET /api/v1/timelines/home."""
    async with services(request).sessions() as session:
        await reading_only(session)
        # One connection, not two; the token's grant remembered (no statement) once read.
        viewer = await reader_of(request, "read:statuses", session)
        excluded = await _excluded(session, viewer)
        entries = await timelines.home(session, viewer, window=window_of(request), **excluded)
        return await _page(request, session, entries, viewer)


async def list_posts(request: Request) -> Response:
    """GET /api/v1/timelines/list/:id: the posts of the list's members, for its owner only
    (404 for anyone else), under her blocks, mutes and domain blocks, as her home."""
    viewer = await user_of(request, "read:lists")
    async with services(request).sessions() as session:
        found = await api_timeline_lists.owned(session, request, viewer)
        excluded = await _excluded(session, viewer)
        window = window_of(request)
        entries = await timelines.list_timeline(session, found, window=window, **excluded)
        return await _page(request, session, entries, viewer)


class _Excluded(TypedDict):
    exclude_accounts: frozenset[int]
    exclude_domains: frozenset[str]


async def _excluded(session: AsyncSession, viewer: Reader) -> _Excluded:
    """What a member's own timelines leave out: accounts and domains hidden from her."""
    hidden = await hidden_from(session, viewer)
    return {"exclude_accounts": hidden.accounts, "exclude_domains": hidden.domains}


async def public(request: Request) -> Response:
    """GET /api/v1/timelines/public (?local=true for this node's posts only)."""
    return await _public_posts(request, hashtag=None)


async def tag(request: Request) -> Response:
    """GET /api/v1/timelines/tag/:hashtag: public posts carrying the tag (?local=true too)."""
    name = hashtags.normalise(request.path_params["hashtag"])
    if name is None:
        return JSONResponse([])
    return await _public_posts(request, hashtag=name)


async def _public_posts(request: Request, hashtag: str | None) -> Response:
    viewer = await optional_viewer(request)
    local = request.query_params.get("local", "false").lower() in ("true", "1")
    async with services(request).sessions() as session:
        hidden = await hidden_from(session, viewer)
        # Someone not signed in (no token, or an app's own) is a guest, as on the web pages.
        guests_hidden = await accounts.hiding_from_guests(session) if viewer is None else []
        left_out = await limited(session)
        entries = await timelines.public(
            session,
            local_only=local,
            viewer_is_local=bool(viewer and viewer.is_local),
            window=window_of(request),
            exclude_accounts=hidden.accounts | set(guests_hidden),
            exclude_domains=hidden.domains | set(left_out.domains),
            exclude_hosts=left_out.held,
            hashtag=hashtag,
        )
        return await _page(request, session, entries, viewer)


async def _page(
    request: Request, session: AsyncSession, entries: list[Entry], viewer: Reader | None
) -> Response:
    """The entries as statuses, a boost as Mastodon's wrapper with the boost's own id (the
    id paging goes by)."""
    base = services(request).settings.base_url
    rows = [(e.post, e.author) for e in entries]
    boosts = [e.boosted for e in entries]
    # A timeline's session reads nothing after its statuses: mentioned accounts in brief.
    statuses = await entities.statuses(session, rows, viewer, base, boosts, brief_mentions=True)
    headers = link_header(request, base, [e.id for e in entries])
    return JSONResponse(statuses, headers=headers)


routes = [
    Route("/api/v1/timelines/home", home),
    Route("/api/v1/timelines/list/{id}", list_posts),
    Route("/api/v1/timelines/public", public),
    Route("/api/v1/timelines/tag/{hashtag}", tag),
]
