"""Pins: a few of a member's own posts shown first on their profile."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from content.audience import Visibility
from content.interface_text import N_, Message
from content.orm import utcnow
from content.posts import Post, PostError

MAX_PINS = 5
PINNABLE = (Visibility.PUBLIC, Visibility.UNLISTED, Visibility.PRIVATE)


async def pin(session: AsyncSession, account: Account, post: Post) -> None:
    """Pin one of the account's own public, unlisted or followers-only posts."""
    if post.account_id != account.id:
        raise PostError(N_("you can only pin your own posts"))
    if Visibility(post.visibility) not in PINNABLE:
        raise PostError(N_("direct and local-only posts cannot be pinned"))
    if post.pinned_at is not None:
        return
    pinned = await session.scalar(
        select(func.count())
        .select_from(Post)
        .where(Post.account_id == account.id, Post.pinned_at.is_not(None))
    )
    if int(pinned or 0) >= MAX_PINS:
        raise PostError(
            Message(N_("you can pin at most %(count)s posts; unpin one first"), count=MAX_PINS)
        )
    post.pinned_at = utcnow()


def unpin(account: Account, post: Post) -> None:
    """Unpin one of the account's own posts."""
    if post.account_id != account.id:
        raise PostError(N_("you can only unpin your own posts"))
    post.pinned_at = None
