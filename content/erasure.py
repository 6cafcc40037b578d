"""Erasing a local account's data for good."""

from __future__ import annotations

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from content.orm import utcnow
from content.posts import Post
from content.relationships import Follow
from content.users import User


async def erase_local_account(session: AsyncSession, account: Account) -> None:
    """Delete a local account's posts, follows, login and profile, keeping a tombstone row.

    The row stays so the username is never given to someone else: other servers still hold
    the old actor id and would take a newcomer for the deleted member.
    """
    await session.execute(delete(Post).where(Post.account_id == account.id))
    await session.execute(
        delete(Follow).where(
            (Follow.follower_id == account.id) | (Follow.followed_id == account.id)
        )
    )
    await session.execute(delete(User).where(User.account_id == account.id))
    account.display_name = ""
    account.summary_html = ""
    account.deleted_at = utcnow()
