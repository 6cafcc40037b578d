"""Conversations (direct messages): list, mark as read, remove."""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import conversations, posts
from content.accounts import Account
from content.conversations import Conversation
from content.posts import Post
from moderation.account_blocks import blocked_either_way
from node.api.mastodon import entities
from node.api.mastodon.paging import link_header, window_of
from node.api.mastodon.requests import path_id, user_of
from node.database import session_scope
from node.state import services


async def index(request: Request) -> Response:
    """GET /api/v1/conversations, paged by the id of each conversation's newest post."""
    viewer = await user_of(request, "read:statuses")
    base = services(request).settings.base_url
    async with services(request).sessions() as session:
        rows = await conversations.page(
            session,
            viewer,
            window=window_of(request),
            exclude_accounts=await blocked_either_way(session, viewer),
        )
        found = [await _entity(session, c, post, viewer, base) for c, post in rows]
    ids = [c.last_post_id for c, _ in rows]
    return JSONResponse(found, headers=link_header(request, base, ids))


async def read(request: Request) -> Response:
    """POST /api/v1/conversations/:id/read: the conversation, now read."""
    viewer = await user_of(request, "write:conversations")
    async with session_scope(services(request).sessions) as session:
        found = await conversations.get(session, viewer, path_id(request))
        if found is None:
            raise HTTPException(404, "Record not found")
        conversation, post = found
        conversation.unread = False
        base = services(request).settings.base_url
        return JSONResponse(await _entity(session, conversation, post, viewer, base))


async def remove(request: Request) -> Response:
    """DELETE /api/v1/conversations/:id: off the list until someone writes in it again."""
    viewer = await user_of(request, "write:conversations")
    async with session_scope(services(request).sessions) as session:
        if not await conversations.remove(session, viewer, path_id(request)):
            raise HTTPException(404, "Record not found")
    return JSONResponse({})


async def _entity(
    session: AsyncSession, conversation: Conversation, post: Post, viewer: Account, base: str
) -> dict[str, Any]:
    """The Conversation entity: the other participants of its newest post (the viewer alone
    in a note to self), whether it is unread, and that post."""
    others = ({post.account_id} | await posts.mentioned_ids(session, post)) - {viewer.id}
    people = [a for i in sorted(others) if (a := await session.get(Account, i)) is not None]
    author = await session.get(Account, post.account_id)
    assert author is not None
    return {
        "id": str(conversation.id),
        "unread": conversation.unread,
        "accounts": [await entities.account(session, a, base) for a in people or [viewer]],
        "last_status": await entities.status(session, post, author, viewer, base),
    }


routes = [
    Route("/api/v1/conversations", index),
    Route("/api/v1/conversations/", index),  # Mastodon.py asks with the slash
    Route("/api/v1/conversations/{id}/read", read, methods=["POST"]),
    Route("/api/v1/conversations/{id}", remove, methods=["DELETE"]),
]
