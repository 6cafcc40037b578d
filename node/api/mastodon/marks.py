"""What members mark for themselves: bookmarks and pins, and their bookmark and favourite
lists. Neither federates (pins are not yet sent as `Add` to the featured collection)."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import bookmarks, interactions, pins
from content.accounts import Account
from content.posts import PostError
from node.api.mastodon import entities, records
from node.api.mastodon.lists import statuses_response
from node.api.mastodon.paging import window_of
from node.api.mastodon.requests import user_of
from node.database import session_scope
from node.state import services

SCOPES = {
    "bookmark": "write:bookmarks",
    "unbookmark": "write:bookmarks",
    "pin": "write:accounts",
    "unpin": "write:accounts",
}


async def mark(request: Request) -> Response:
    """POST /api/v1/statuses/:id/bookmark|unbookmark|pin|unpin: the status afterwards."""
    verb = request.url.path.rsplit("/", 1)[-1]
    viewer = await user_of(request, SCOPES[verb])
    async with session_scope(services(request).sessions) as session:
        post = await records.visible_post(session, request.path_params["id"], viewer)
        try:
            if verb == "bookmark":
                await bookmarks.add(session, viewer, post)
            elif verb == "unbookmark":
                await bookmarks.remove(session, viewer, post)
            elif verb == "pin":
                await pins.pin(session, viewer, post)
            else:
                pins.unpin(viewer, post)
        except PostError as error:
            raise HTTPException(422, str(error)) from None
        author = await session.get(Account, post.account_id)
        assert author is not None
        entity = await entities.status(
            session, post, author, viewer, services(request).settings.base_url
        )
    return JSONResponse(entity)


async def bookmarked(request: Request) -> Response:
    """GET /api/v1/bookmarks, paged by bookmark."""
    viewer = await user_of(request, "read:bookmarks")
    async with services(request).sessions() as session:
        rows = await bookmarks.page(session, viewer, window_of(request))
        return await statuses_response(request, session, rows, viewer)


async def favourited(request: Request) -> Response:
    """GET /api/v1/favourites, paged by like."""
    viewer = await user_of(request, "read:favourites")
    async with services(request).sessions() as session:
        rows = await interactions.liked_page(session, viewer, window_of(request))
        return await statuses_response(request, session, rows, viewer)


routes = [
    *(Route(f"/api/v1/statuses/{{id}}/{verb}", mark, methods=["POST"]) for verb in SCOPES),
    Route("/api/v1/bookmarks", bookmarked),
    Route("/api/v1/favourites", favourited),
]
