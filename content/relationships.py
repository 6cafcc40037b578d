"""Follows between accounts, pending until accepted, and the counts actors publish."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    delete,
    func,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute, Mapped, aliased, mapped_column

from content import account_stats
from content.accounts import Account
from content.notifications import NotificationType, drop_follow_request, notify
from content.orm import Base, new_id, utcnow
from content.paging import Window, read_pairs
from content.readers import Reader


class FollowState(StrEnum):
    """A follow waits for approval (pending) or is in force (accepted)."""

    PENDING = "pending"
    ACCEPTED = "accepted"


class Follow(Base):
    """`follower` follows `followed`. The Follow activity's id (`uri`) is unique per follower:
    another account on the follower's server could otherwise take it first."""

    __tablename__ = "follows"
    __table_args__ = (
        UniqueConstraint("follower_id", "followed_id"),
        UniqueConstraint("uri", "follower_id"),
        # A member's accepted follows from the index alone (the home page asks, migration 0065).
        Index("ix_follows_follower_state_followed", "follower_id", "state", "followed_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    follower_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    followed_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=FollowState.PENDING)
    uri: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def count_followers(session: AsyncSession, account: Account) -> int:
    """How many accepted followers the account has (kept by `content.account_stats`)."""
    return (await account_stats.counts(session, account.id)).followers


async def count_following(session: AsyncSession, account: Account) -> int:
    """How many accounts this account follows (accepted follows only)."""
    return (await account_stats.counts(session, account.id)).following


async def find_follow(session: AsyncSession, follower: Account, followed: Account) -> Follow | None:
    """The follow (pending or accepted) of `follower` to `followed`, if any."""
    return await session.scalar(
        select(Follow).where(Follow.follower_id == follower.id, Follow.followed_id == followed.id)
    )


async def get_follow_by_uri(
    session: AsyncSession,
    uri: str,
    *,
    follower: Account | None = None,
    followed: Account | None = None,
) -> Follow | None:
    """A follow by the id of the Follow activity that made it, of `follower` or to
    `followed` (ids are unique per follower only)."""
    query = select(Follow).where(Follow.uri == uri)
    if follower is not None:
        query = query.where(Follow.follower_id == follower.id)
    if followed is not None:
        query = query.where(Follow.followed_id == followed.id)
    return await session.scalar(query.limit(1))


async def add_follow(
    session: AsyncSession, follower: Account, followed: Account, *, uri: str, accepted: bool
) -> Follow:
    """Record a follow, or update the one that exists (a repeated Follow is not an error).
    A new one notifies a local `followed`: a follow, or a follow request while pending."""
    follow = await find_follow(session, follower, followed)
    is_new = follow is None
    if follow is None:
        follow = Follow(follower_id=follower.id, followed_id=followed.id)
        session.add(follow)
    follow.uri = uri
    if accepted:
        follow.state = FollowState.ACCEPTED
    await session.flush()
    if is_new:
        kind = NotificationType.FOLLOW if accepted else NotificationType.FOLLOW_REQUEST
        notify(session, followed, follower.id, kind, follow_id=follow.id)
    return follow


async def accept_follow(session: AsyncSession, follow: Follow) -> None:
    """A follow request is accepted; its notification goes, as Mastodon's does."""
    follow.state = FollowState.ACCEPTED
    await drop_follow_request(session, follow.id)


async def remove_follow(session: AsyncSession, follower: Account, followed: Account) -> bool:
    """End a follow or withdraw a request; False if there was none."""
    result = await session.execute(
        delete(Follow).where(Follow.follower_id == follower.id, Follow.followed_id == followed.id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def follows_of_local(
    session: AsyncSession, follower: Account
) -> list[tuple[Follow, Account]]:
    """The follows and follow requests of `follower` to this node's accounts, with the
    account each is of, oldest first; held (PostgreSQL: FOR UPDATE) until the caller
    commits, those another transaction holds passed over: two workers' prunes, or a prune
    and a suspension, ending the same follows at once failed the later one's delete."""
    rows = await session.execute(
        select(Follow, Account)
        .join(Account, Account.id == Follow.followed_id)
        .where(Follow.follower_id == follower.id, Account.domain.is_(None))
        .order_by(Follow.id)
        .with_for_update(skip_locked=True, of=Follow)
    )
    return [(follow, followed) for follow, followed in rows]


async def suspended_remote_followers(session: AsyncSession) -> list[Account]:
    """Suspended remote accounts that follow, or ask to follow, this node's accounts."""
    followed = aliased(Account)
    rows = await session.scalars(
        select(Account)
        .where(Account.domain.is_not(None), Account.suspended_at.is_not(None))
        .where(
            select(Follow.id)
            .join(followed, followed.id == Follow.followed_id)
            .where(Follow.follower_id == Account.id, followed.domain.is_(None))
            .exists()
        )
    )
    return list(rows)


async def follower_inboxes(session: AsyncSession, account: Account) -> set[str]:
    """The inboxes (shared where offered) of the account's accepted remote followers, but
    for suspended ones (found by attack3). A suspension ends a remote account's follows of
    this node (`outbox.reject_follows`); one suspended before that was done keeps hers
    until the worker's next prune ends them too (`outbox.reject_suspended_follows`).
    Made distinct by the database: 10,000 followers on 1,000 servers were 10,000 rows for
    the event loop to turn into 1,000 inboxes (issue 18)."""
    inbox = func.coalesce(func.nullif(Account.shared_inbox_uri, ""), Account.inbox_uri)
    return set(
        await session.scalars(
            select(inbox)
            .distinct()
            .join(Follow, Follow.follower_id == Account.id)
            .where(
                Follow.followed_id == account.id,
                Follow.state == FollowState.ACCEPTED,
                Account.domain.is_not(None),
                Account.suspended_at.is_(None),
            )
        )
    )


async def followed_from_here(session: AsyncSession, account: Account) -> bool:
    """Whether a local account follows `account`, or has asked to (what it publishes may
    arrive just before the Accept does)."""
    return await follow_state_from_here(session, account) is not None


async def follow_state_from_here(session: AsyncSession, account: Account) -> FollowState | None:
    """How this node follows `account`: ACCEPTED if a local account's follow is accepted,
    PENDING if local accounts have only asked to, None if nobody here follows it."""
    states = await session.scalars(
        select(Follow.state)
        .join(Account, Account.id == Follow.follower_id)
        .where(Follow.followed_id == account.id, Account.domain.is_(None))
        .distinct()
    )
    found = set(states)
    if not found:
        return None
    return FollowState.ACCEPTED if FollowState.ACCEPTED in found else FollowState.PENDING


async def followed_ids(session: AsyncSession, account: Reader) -> list[int]:
    """Ids of the accounts `account` follows (accepted)."""
    rows = await session.scalars(
        select(Follow.followed_id).where(
            Follow.follower_id == account.id, Follow.state == FollowState.ACCEPTED
        )
    )
    return list(rows)


async def pending_requests(session: AsyncSession, account: Account) -> list[tuple[Follow, Account]]:
    """Follow requests waiting for `account` to approve them, oldest first."""
    rows = await session.execute(
        select(Follow, Account)
        .join(Account, Account.id == Follow.follower_id)
        .where(Follow.followed_id == account.id, Follow.state == FollowState.PENDING)
        .order_by(Follow.id)
    )
    return [(follow, follower) for follow, follower in rows]


async def followers_page(
    session: AsyncSession, account: Account, window: Window
) -> list[tuple[int, Account]]:
    """The account's accepted followers as (follow id, follower), newest follow first."""
    return await _page(session, Follow.followed_id == account.id, Follow.follower_id, window)


async def following_page(
    session: AsyncSession, account: Account, window: Window
) -> list[tuple[int, Account]]:
    """The accounts this account follows as (follow id, account), newest follow first."""
    return await _page(session, Follow.follower_id == account.id, Follow.followed_id, window)


async def _page(
    session: AsyncSession,
    condition: ColumnElement[bool],
    other: InstrumentedAttribute[int],
    window: Window,
) -> list[tuple[int, Account]]:
    query = (
        select(Follow.id, Account)
        .join(Account, Account.id == other)
        .where(condition, Follow.state == FollowState.ACCEPTED)
    )
    return await read_pairs(session, window, query, Follow.id)


async def local_followers(session: AsyncSession, account: Account) -> list[Account]:
    """The local accounts whose follow of `account` is accepted."""
    rows = await session.scalars(
        select(Account)
        .join(Follow, Follow.follower_id == Account.id)
        .where(
            Follow.followed_id == account.id,
            Follow.state == FollowState.ACCEPTED,
            Account.domain.is_(None),
        )
    )
    return list(rows)


async def followers_on(
    session: AsyncSession, account: Account, domain: str
) -> list[tuple[Follow, Account]]:
    """Follows of the account (pending or accepted) by accounts on `domain`."""
    rows = await session.execute(
        select(Follow, Account)
        .join(Account, Account.id == Follow.follower_id)
        .where(Follow.followed_id == account.id, Account.domain == domain)
    )
    return [(follow, follower) for follow, follower in rows]
