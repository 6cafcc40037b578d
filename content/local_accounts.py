"""Local accounts by actor id, read once for a batch of inbox items.

The worker reads the local accounts a batch's activities address in one statement
(`prefetch_local`); the handlers' own reads (`local_by_uris`: a note's mentions, the local
group it is written in) are then answered from the session instead of a statement each.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account

LOCAL_BY_URI = "local accounts by uri"  # session.info: what a batch of inbox items read


async def prefetch_local(session: AsyncSession, uris: Collection[str]) -> None:
    """Read the local accounts with these actor ids in one statement, and from now on answer
    `local_by_uris` in this session from what was read (the worker's batch of inbox items:
    local accounts are not made or removed by what other servers send)."""
    session.info[LOCAL_BY_URI] = {}
    if uris:
        await local_by_uris(session, uris)


async def local_by_uris(session: AsyncSession, uris: Collection[str]) -> dict[str, Account]:
    """The local accounts (of any type) with these actor ids, by id; in a session that
    prefetched them (`prefetch_local`), only the ids it has not met yet are read."""
    known: dict[str, Account | None] | None = session.info.get(LOCAL_BY_URI)
    missing = [uri for uri in uris if known is None or uri not in known]
    found: dict[str, Account | None] = dict.fromkeys(missing)
    if missing:
        query = select(Account).where(Account.uri.in_(missing), Account.domain.is_(None))
        found.update((account.uri, account) for account in await session.scalars(query))
        if known is not None:
            known.update(found)
    every = found if known is None else known
    return {uri: account for uri in uris if (account := every.get(uri)) is not None}
