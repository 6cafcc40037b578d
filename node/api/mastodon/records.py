"""The accounts and statuses a client names by id: found and visible, or 404."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession
from starlette.exceptions import HTTPException

from content.accounts import Account
from content.interactions import Interaction, Kind
from content.paging import parse_id
from content.posts import Post, can_see


async def account(session: AsyncSession, raw_id: str) -> Account:
    """A live account that clients may see (not the instance actor), or 404."""
    found = await session.get(Account, id_) if (id_ := parse_id(raw_id)) is not None else None
    if found is None or found.is_gone or found.actor_type == "Application":
        raise HTTPException(404, "Record not found")
    return found


async def post(session: AsyncSession, raw_id: object, viewer: Account | None) -> Post | None:
    """The post with this id if the viewer may see it and its author is shown (not
    suspended, deleted or awaiting approval, as on the web pages); None for no id; 404
    otherwise."""
    if raw_id in (None, ""):
        return None
    found = await session.get(Post, id_) if (id_ := parse_id(raw_id)) is not None else None
    author = await session.get(Account, found.account_id) if found is not None else None
    if (
        found is None
        or author is None
        or author.is_gone
        or not await can_see(session, viewer, found)
    ):
        raise HTTPException(404, "Record not found")
    return found


async def visible_post(session: AsyncSession, raw_id: str, viewer: Account | None) -> Post:
    """The post with this id if the viewer may see it, or 404."""
    found = await post(session, raw_id, viewer)
    if found is None:
        raise HTTPException(404, "Record not found")
    return found


async def post_or_boost(session: AsyncSession, raw_id: str, viewer: Account) -> Post:
    """The post with this id, or the post the viewer's own boost with this id boosted (a
    client may name a boost it was answered with, as Mastodon allows); 404 otherwise."""
    id_ = parse_id(raw_id)
    boost = await session.get(Interaction, id_) if id_ is not None else None
    if boost is not None and boost.kind == Kind.BOOST and boost.account_id == viewer.id:
        raw_id = str(boost.post_id)
    return await visible_post(session, raw_id, viewer)
