"""What this node mirrors from other organisations (their listings, country pages and
events), and when it stops.

A copy is made only from an organisation followed with an accepted follow
(`federation.handlers.publishers`), and kept while a local account follows it (or has asked to,
`relationships.followed_from_here`): it is updated and deleted only through that follow, so
once the last follow ends the copy would silently go out of date. A service shown here after
it closed can send someone to a locked door, so the copies go with the follow, and come back
with the next one (the origin sends what it publishes to a new follower)."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from content import countries, directory, events, relationships
from content.accounts import Account


async def forget_if_unfollowed(session: AsyncSession, organisation: Account) -> None:
    """Drop the copies of everything a remote organisation publishes once nobody here
    follows it."""
    if organisation.is_local:
        return
    await session.flush()
    if not await relationships.followed_from_here(session, organisation):
        only_it = select(Account.id).where(Account.id == organisation.id)
        await remove_of_accounts(session, only_it)


async def remove_of_accounts(session: AsyncSession, accounts: Select[int]) -> None:
    """Delete every mirrored object (each kind) of the accounts the query selects: an
    organisation nobody follows any more, a suspended domain's."""
    await directory.remove_of_accounts(session, accounts)
    await countries.remove_of_accounts(session, accounts)
    await events.remove_of_accounts(session, accounts)
