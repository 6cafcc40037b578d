"""Conversations (direct messages): list, mark as read, remove."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from content import accounts, conversations
from content.accounts import Account
from content.conversations import Conversation
from content.posts import Post
from moderation.policy import hidden_from
from node.api.mastodon import entities
from node.api.mastodon.entity_facts import account_counts, status_facts
from node.api.mastodon.paging import link_header, window_of
from node.api.mastodon.requests import path_id, user_of
from node.database import session_scope
from node.state import services


async def index(request: Request) -> Response:
    """GET /api/v1/conversations, paged by the id of each conversation's newest post."""
    viewer = await user_of(request, "read:statuses")
    base = services(request).settings.base_url
    async with services(request).sessions() as session:
        hidden = await hidden_from(session, viewer)  # blocks, mutes and blocked servers
        rows = await conversations.page(
            session,
            viewer,
            window=window_of(request),
            exclude_accounts=hidden.accounts,
            exclude_domains=hidden.domains,
        )
        found = await conversation_entities(session, rows, viewer, base)
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
        [entity] = await conversation_entities(session, [(conversation, post)], viewer, base)
        return JSONResponse(entity)


async def remove(request: Request) -> Response:
    """DELETE /api/v1/conversations/:id: off the list until someone writes in it again."""
    viewer = await user_of(request, "write:conversations")
    async with session_scope(services(request).sessions) as session:
        if not await conversations.remove(session, viewer, path_id(request)):
            raise HTTPException(404, "Record not found")
    return JSONResponse({})


async def conversation_entities(
    session: AsyncSession,
    rows: Sequence[tuple[Conversation, Post]],
    viewer: Account,
    base: str,
) -> list[dict[str, Any]]:
    """Conversation entities: the other participants of each newest post (the viewer alone
    in a note to self), whether it is unread, and that post; read for the page at once."""
    authors = await accounts.by_ids(session, {post.account_id for _, post in rows})
    shown = [(post, authors[post.account_id]) for _, post in rows]
    facts = await status_facts(session, shown, viewer)
    people: dict[int, list[Account]] = {}
    for _, post in rows:
        taking_part = {
            a.id: a for a in (authors[post.account_id], *facts.mentions.get(post.id, []))
        }
        taking_part.pop(viewer.id, None)
        people[post.id] = [taking_part[i] for i in sorted(taking_part)] or [viewer]
    counts = await account_counts(session, {a.id for group in people.values() for a in group})
    return [
        {
            "id": str(conversation.id),
            "unread": conversation.unread,
            "accounts": [
                await entities.account(session, a, base, counts[a.id]) for a in people[post.id]
            ],
            "last_status": await entities.status(
                session, post, authors[post.account_id], viewer, base, facts
            ),
        }
        for conversation, post in rows
    ]


routes = [
    Route("/api/v1/conversations", index),
    Route("/api/v1/conversations/", index),  # Mastodon.py asks with the slash
    Route("/api/v1/conversations/{id}/read", read, methods=["POST"]),
    Route("/api/v1/conversations/{id}", remove, methods=["DELETE"]),
]
