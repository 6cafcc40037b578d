"""An overwriting import's first step: take out of a member's list what the file leaves out.

Unfollows and unblocks tell the servers concerned (`outbox`); mutes, the member's own domain
blocks and bookmarks are hers alone. Bounded by what the list holds, it runs in the
request, as `outbox.block_domain` does for a member's followers."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy.ext.asyncio import AsyncSession

from content import bookmarks, posts
from content.accounts import Account
from federation import outbox
from federation.context import Federation
from moderation import member_domain_blocks, mutes
from moderation.list_export import address, entries, listed_accounts
from moderation.list_files import Kind


async def remove_missing(
    fed: Federation, session: AsyncSession, member: Account, kind: Kind, kept: Collection[str]
) -> None:
    """Remove from the member's list of `kind` every entry not in `kept` (the file's values,
    compared without case)."""
    wanted = {value.lower() for value in kept}
    if kind.names_accounts:
        for account, _ in await listed_accounts(session, member, kind):
            if address(account, fed.domain).lower() not in wanted:
                await _remove_account(fed, session, member, kind, account)
        return
    for entry in await entries(session, member, kind, fed.domain):
        if entry.value.lower() in wanted:
            continue
        if kind is Kind.DOMAIN_BLOCKS:
            await member_domain_blocks.remove(session, member, entry.value)
        elif (post := await posts.get_by_uri(session, entry.value)) is not None:
            await bookmarks.remove(session, member, post)


async def _remove_account(
    fed: Federation, session: AsyncSession, member: Account, kind: Kind, target: Account
) -> None:
    if kind is Kind.FOLLOWING:
        await outbox.unfollow(fed, session, member, target)
    elif kind is Kind.BLOCKS:
        await outbox.unblock(fed, session, member, target)
    else:
        await mutes.unmute(session, member, target)
