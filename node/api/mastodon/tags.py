"""Hashtags and filters as clients ask for them; Harbour keeps no tag follows or filters yet."""

from __future__ import annotations

from sqlalchemy import literal, select
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import hashtags, tag_search
from node.api.mastodon import entities
from node.api.mastodon.requests import token_of, user_of
from node.state import services

SEARCH_LIMIT = 20


async def show(request: Request) -> Response:
    """GET /api/v1/tags/:name: the Tag entity of a tag an open post here carries."""
    name = hashtags.normalise(request.path_params["name"])
    async with services(request).sessions() as session:
        used = name and await session.scalar(select(tag_search.openly_carried(literal(name))))
    if not used:
        raise HTTPException(404, "Record not found")
    return JSONResponse(entities.tag(str(name), services(request).settings.base_url))


async def matching(request: Request, query: str) -> list[dict[str, object]]:
    """Tags in use that start with `query` (with or without `#`), for search."""
    prefix = hashtags.normalise(query.strip())
    if prefix is None:
        return []
    async with services(request).sessions() as session:
        names = await tag_search.tags_starting_with(session, prefix, SEARCH_LIMIT)
        return [entities.tag(n, services(request).settings.base_url) for n in names]


async def nothing_followed(request: Request) -> Response:
    """GET /api/v1/followed_tags: following hashtags is not offered yet."""
    await user_of(request, "read:follows")
    return JSONResponse([])


async def no_filters(request: Request) -> Response:
    """GET /api/v1/filters and /api/v2/filters: Harbour keeps no filters yet."""
    await token_of(request, "read:filters")
    return JSONResponse([])


routes = [
    Route("/api/v1/tags/{name}", show),
    Route("/api/v1/followed_tags", nothing_followed),
    Route("/api/v1/filters", no_filters),
    Route("/api/v2/filters", no_filters),
]
