"""What this node mirrors from other organisations (their listings), and when it stops.

A copy is kept only while a local account follows its organisation (or has asked to): it
is updated and deleted only through that follow, so once the last follow ends the copy
would silently go out of date. A service shown here after it closed can send someone to a
locked door, so the copies go with the follow, and come back with the next one (the origin
sends its listings to a new follower)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content import directory
from content.accounts import Account
from content.relationships import Follow


async def followed_here(session: AsyncSession, organisation: Account) -> bool:
    """Whether a local account follows the organisation, or has asked to: its listings may
    arrive just before its Accept does."""
    found = await session.scalar(
        select(Follow.id)
        .join(Account, Account.id == Follow.follower_id)
        .where(Follow.followed_id == organisation.id, Account.domain.is_(None))
        .limit(1)
    )
    return found is not None


async def forget_if_unfollowed(session: AsyncSession, organisation: Account) -> None:
    """Drop the copies of a remote organisation's listings once nobody here follows it."""
    if organisation.is_local:
        return
    await session.flush()
    if not await followed_here(session, organisation):
        await directory.remove_of_accounts(
            session, select(Account.id).where(Account.id == organisation.id)
        )
