"""A member's own lists as Mastodon's CSV files: whom she follows (accepted or asked),
blocks and mutes, the servers she blocks, and her bookmarks."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from content.accounts import Account
from content.bookmarks import Bookmark
from content.posts import Post
from content.relationships import Follow
from moderation import member_domain_blocks, mutes
from moderation.account_blocks import AccountBlock
from moderation.list_files import Entry, Kind, write
from moderation.mutes import Mute


def address(account: Account, local_domain: str) -> str:
    """`name@server` as Mastodon writes it; a local account's server is this node's."""
    return f"{account.username}@{account.domain or local_domain}"


async def export(session: AsyncSession, member: Account, kind: Kind, local_domain: str) -> str:
    """The member's list of `kind` as the CSV file Mastodon writes for it."""
    return write(kind, await entries(session, member, kind, local_domain))


async def entries(
    session: AsyncSession, member: Account, kind: Kind, local_domain: str
) -> list[Entry]:
    """The member's list of `kind`, oldest first."""
    if kind is Kind.DOMAIN_BLOCKS:
        domains = await member_domain_blocks.blocked_domains(session, member)
        return [Entry(name) for name in sorted(domains)]
    if kind is Kind.BOOKMARKS:
        query = (
            select(Post.uri)
            .join(Bookmark, Bookmark.post_id == Post.id)
            .where(Bookmark.account_id == member.id)
            .order_by(Bookmark.id)
        )
        return [Entry(uri) for uri in await session.scalars(query)]
    return [
        Entry(address(account, local_domain), hide)
        for account, hide in await listed_accounts(session, member, kind)
    ]


async def listed_accounts(
    session: AsyncSession, member: Account, kind: Kind
) -> list[tuple[Account, bool]]:
    """The accounts the member follows (accepted or asked), blocks or mutes, oldest first,
    each with whether its notifications are hidden too (a mute's choice; True otherwise)."""
    if kind is Kind.MUTES:
        muted = await session.execute(
            select(Account, Mute.notifications)
            .join(Mute, Mute.target_id == Account.id)
            .where(Mute.account_id == member.id, mutes.in_force())
            .order_by(Mute.id)
        )
        return [(account, hide) for account, hide in muted]
    return [(account, True) for account in await session.scalars(_accounts(member, kind))]


def _accounts(member: Account, kind: Kind) -> Select[Account]:

    if kind is Kind.FOLLOWING:
        return (
            select(Account)
            .join(Follow, Follow.followed_id == Account.id)
            .where(Follow.follower_id == member.id)
            .order_by(Follow.id)
        )
    return (
        select(Account)
        .join(AccountBlock, AccountBlock.target_id == Account.id)
        .where(AccountBlock.account_id == member.id)
        .order_by(AccountBlock.id)
    )
