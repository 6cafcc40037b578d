"""Statuses: post, read and delete, through the federation engine."""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import idempotency, interactions, media, posts
from content.accounts import Account
from content.audience import Visibility
from content.interactions import Kind
from content.media import MediaError
from content.polls import PollError
from content.posts import Post, PostError, can_see
from federation import outbox
from federation.mentions import resolve_mentions
from federation.outbox import ActionError
from federation.resolve import ResolveError
from moderation.policy import left_out_of_threads
from node.api.mastodon import entities, records
from node.api.mastodon import polls as api_polls
from node.api.mastodon.requests import optional_viewer, read_params, user_of
from node.database import session_scope
from node.state import services


async def create(request: Request) -> Response:
    """POST /api/v1/statuses. With an Idempotency-Key header, the same key from the same
    account within an hour answers the first status and posts nothing new."""
    author = await user_of(request, "write:statuses")
    params = await read_params(request)
    key = request.headers.get("idempotency-key", "")[:256] or None
    try:
        entity = await _create(request, author, params, key)
    except IntegrityError:
        if key is None:
            raise
        entity = await _create(request, author, params, key)  # the same key, at the same time
    services(request).federation.notify()
    return JSONResponse(entity)


async def _create(
    request: Request, author: Account, params: dict[str, Any], key: str | None
) -> dict[str, Any]:
    text = str(params.get("status", ""))
    visibility = _visibility(params)
    fed = services(request).federation
    try:
        async with session_scope(services(request).sessions) as session:
            author = await session.get(Account, author.id) or author
            earlier = await idempotency.earlier_post(session, author, key) if key else None
            if earlier is not None and (post := await session.get(Post, earlier)) is not None:
                return await entities.status(session, post, author, author, fed.base_url)
            parent = await records.post(session, params.get("in_reply_to_id"), author)
            attachments = await media.for_new_post(session, author, media_ids(params))
            post = await outbox.publish(
                fed,
                session,
                author,
                text,
                visibility=visibility or outbox.default_visibility(parent),
                in_reply_to=parent,
                mentioned=await resolve_mentions(fed, session, text),
                spoiler_text=str(params.get("spoiler_text", ""))[:500],
                sensitive=params.get("sensitive") in TRUE,
                language=str(params["language"])[:35] if params.get("language") else None,
                attachments=attachments,
                poll=api_polls.spec_of(params),
            )
            if key:
                await idempotency.remember(session, author, key, post.id)
            return await entities.status(session, post, author, author, fed.base_url)
    except (PostError, ActionError, ResolveError, MediaError, PollError) as error:
        raise HTTPException(422, str(error)) from None


async def show(request: Request) -> Response:
    """GET /api/v1/statuses/:id (public ones without a token)."""
    viewer = await optional_viewer(request)
    async with services(request).sessions() as session:
        post = await records.post(session, request.path_params["id"], viewer)
        assert post is not None
        author = await session.get(Account, post.account_id)
        assert author is not None
        return JSONResponse(
            await entities.status(
                session, post, author, viewer, services(request).settings.base_url
            )
        )


async def delete(request: Request) -> Response:
    """DELETE /api/v1/statuses/:id: the deleted status, as Mastodon answers."""
    author = await user_of(request, "write:statuses")
    fed = services(request).federation
    async with session_scope(services(request).sessions) as session:
        post = await records.post(session, request.path_params["id"], author)
        assert post is not None
        if post.account_id != author.id:
            raise HTTPException(403, "This action is not allowed")
        entity = await entities.status(session, post, author, author, fed.base_url)
        files = [m.file_name for m in await media.of_post(session, post.id)]
        await outbox.delete(fed, session, author, post)
    # The rows went with the post; the images go once that is committed.
    media.remove_files(services(request).settings.media_dir, files)
    fed.notify()
    return JSONResponse(entity)


async def react(request: Request) -> Response:
    """POST /api/v1/statuses/:id/favourite|unfavourite|reblog|unreblog: the status after;
    for a reblog, the boost itself with the status in `reblog`, as Mastodon answers."""
    verb = request.path_params["verb"]
    if verb not in VERBS:
        raise HTTPException(404, "Record not found")
    viewer = await user_of(request, "write:favourites" if "favourite" in verb else "write:statuses")
    fed = services(request).federation
    try:
        async with session_scope(services(request).sessions) as session:
            post = await records.post_or_boost(session, request.path_params["id"], viewer)
            kind, undo = VERBS[verb]
            if undo:
                await outbox.unreact(fed, session, viewer, post, kind)
            else:
                await outbox.react(fed, session, viewer, post, kind)
            author = await session.get(Account, post.account_id)
            assert author is not None
            entity = await entities.status(session, post, author, viewer, fed.base_url)
            boost = await interactions.find(session, viewer, post, kind)
            if verb == "reblog" and boost is not None:  # Mastodon answers with the boost
                entity = await entities.reblog(session, boost, viewer, entity, fed.base_url)
    except ActionError as error:
        raise HTTPException(422, str(error)) from None
    fed.notify()
    return JSONResponse(entity)


async def context(request: Request) -> Response:
    """GET /api/v1/statuses/:id/context: the replied-to chain and every reply under the
    post that we keep. A thread begun elsewhere is filled in by the worker meanwhile
    (`thread_backfill`): an app that opens it again sees what was missing."""
    viewer = await optional_viewer(request)
    base = services(request).settings.base_url
    fed = services(request).federation
    async with services(request).sessions() as session:
        post = await records.post(session, request.path_params["id"], viewer)
        assert post is not None
        ancestors: list[Post] = []
        parent_uri = post.in_reply_to_uri
        while parent_uri and len(ancestors) < MAX_THREAD:
            parent = await posts.get_by_uri(session, parent_uri)
            if parent is None or not await can_see(session, viewer, parent):
                break
            ancestors.insert(0, parent)
            parent_uri = parent.in_reply_to_uri
        below = await posts.replies_below(session, post, limit=MAX_THREAD)
        left_out = await left_out_of_threads(session, viewer, {p.account_id for p in below})
        descendants = [
            p for p in below if p.account_id not in left_out and await can_see(session, viewer, p)
        ]
        top = ancestors[0] if ancestors else post
        if viewer is not None and not fed.is_local(top.uri):
            fed.want_thread(post.uri)  # begun on another server: the worker fills it in
        return JSONResponse(
            {
                "ancestors": [await _entity(session, p, viewer, base) for p in ancestors],
                "descendants": [await _entity(session, p, viewer, base) for p in descendants],
            }
        )


async def _entity(
    session: AsyncSession, post: Post, viewer: Account | None, base: str
) -> dict[str, object]:
    author = await session.get(Account, post.account_id)
    assert author is not None
    return await entities.status(session, post, author, viewer, base)


def media_ids(params: dict[str, object]) -> list[object]:
    raw = params.get("media_ids") or []
    return list(raw) if isinstance(raw, list) else [raw]


def _visibility(params: dict[str, object]) -> Visibility | None:
    """Mastodon's four levels, plus Hometown's local_only and Akkoma's visibility=local;
    None when not given (public, or a reply's parent's)."""
    raw = str(params.get("visibility") or "")
    if params.get("local_only") in TRUE:
        return Visibility.LOCAL
    if not raw:
        return None
    try:
        visibility = Visibility(raw)
    except ValueError:
        visibility = Visibility.MEMBERS  # refused below, as any unknown level
    if visibility == Visibility.MEMBERS:  # only posts in a discussion group are for members
        raise HTTPException(422, f"Validation failed: {raw!r} is not a visibility")
    return visibility


TRUE = api_polls.TRUE
VERBS = {
    "favourite": (Kind.LIKE, False),
    "unfavourite": (Kind.LIKE, True),
    "reblog": (Kind.BOOST, False),
    "unreblog": (Kind.BOOST, True),
}
MAX_THREAD = 200

routes = [
    Route("/api/v1/statuses", create, methods=["POST"]),
    Route("/api/v1/statuses/{id}/context", context),
    Route("/api/v1/statuses/{id}/{verb:str}", react, methods=["POST"]),
    Route("/api/v1/statuses/{id}", show, methods=["GET"]),
    Route("/api/v1/statuses/{id}", delete, methods=["DELETE"]),
]
