"""Paged lists of accounts and statuses as responses: entities plus Link headers, where the
ids in the headers are those of the rows that order the list (a block, a like, a follow)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from content.accounts import Account
from content.posts import Post, can_see
from node.api.mastodon import entities
from node.api.mastodon.paging import link_header
from node.state import services


async def accounts_response(
    request: Request, session: AsyncSession, rows: Sequence[tuple[int, Account]]
) -> Response:
    """Account entities for (row id, account) pairs, newest row first."""
    base = services(request).settings.base_url
    found = [await entities.account(session, account, base) for _, account in rows]
    return JSONResponse(found, headers=link_header(request, base, [i for i, _ in rows]))


async def statuses_response(
    request: Request,
    session: AsyncSession,
    rows: Sequence[tuple[int, Post]],
    viewer: Account | None,
) -> Response:
    """Status entities for (row id, post) pairs, newest row first, leaving out posts the
    viewer may no longer see (the Link headers still page over every row)."""
    base = services(request).settings.base_url
    shown = []
    for _, post in rows:
        author = await session.get(Account, post.account_id)
        if author is not None and await can_see(session, viewer, post):
            shown.append((post, author))
    found = await entities.statuses(session, shown, viewer, base)
    return JSONResponse(found, headers=link_header(request, base, [i for i, _ in rows]))
