"""Editing statuses: the edit itself, a status's history and its source text."""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import media, post_edits, posts
from content.accounts import Account
from content.media import MediaError
from content.posts import PostError
from federation import outbox
from federation.outbox import ActionError
from node.api.mastodon import entities, records
from node.api.mastodon.requests import optional_viewer, read_params, user_of
from node.api.mastodon.statuses import TRUE, media_ids
from node.database import session_scope
from node.state import services


async def update(request: Request) -> Response:
    """PUT /api/v1/statuses/:id: the author's new text, warning, sensitivity, language and
    attachments, checked as a new post's are; the status after."""
    author = await user_of(request, "write:statuses")
    params = await read_params(request)
    fed = services(request).federation
    try:
        async with session_scope(services(request).sessions) as session:
            post = await records.visible_post(session, request.path_params["id"], author)
            if post.account_id != author.id:
                raise HTTPException(403, "This action is not allowed")
            author = await session.get(Account, author.id) or author
            attachments = (
                await media.for_edit(session, author, post, media_ids(params))
                if "media_ids" in params
                else None
            )
            await outbox.edit(
                fed,
                session,
                author,
                post,
                str(params.get("status", "")),
                spoiler_text=str(params.get("spoiler_text", ""))[:500],
                sensitive=params.get("sensitive") in TRUE,
                language=str(params["language"])[:35] if params.get("language") else None,
                attachments=attachments,
            )
            entity = await entities.status(session, post, author, author, fed.base_url)
    except (PostError, ActionError, MediaError) as error:
        raise HTTPException(422, str(error)) from None
    fed.notify()
    return JSONResponse(entity)


async def history(request: Request) -> Response:
    """GET /api/v1/statuses/:id/history: every version kept, oldest first, the current one
    last, as Mastodon lists them."""
    viewer = await optional_viewer(request)
    base = services(request).settings.base_url
    async with services(request).sessions() as session:
        post = await records.visible_post(session, request.path_params["id"], viewer)
        author = await session.get(Account, post.account_id)
        assert author is not None
        return JSONResponse(
            [
                await entities.status_edit(session, version, author, base)
                for version in await post_edits.history(session, post)
            ]
        )


async def source(request: Request) -> Response:
    """GET /api/v1/statuses/:id/source: the author's text as written, to edit."""
    author = await user_of(request, "read:statuses")
    async with services(request).sessions() as session:
        post = await records.visible_post(session, request.path_params["id"], author)
        if post.account_id != author.id:
            raise HTTPException(404, "Record not found")
        return JSONResponse(
            {"id": str(post.id), "text": posts.source_of(post), "spoiler_text": post.spoiler_text}
        )


routes = [
    Route("/api/v1/statuses/{id}", update, methods=["PUT"]),
    Route("/api/v1/statuses/{id}/history", history, methods=["GET"]),
    Route("/api/v1/statuses/{id}/source", source, methods=["GET"]),
]
