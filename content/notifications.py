"""Notifications: what other accounts did that a local account should hear about.

They are written where the fact is recorded (a follow, a like or boost, a mention), so local
acts and acts that came through federation notify alike. Each row points at the fact it
reports (follow, interaction or post) with ON DELETE CASCADE: an unfollow, an undone like or
boost and a deleted post take their notification with them. Blocks are applied when reading,
by the caller (content does not know moderation)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, ForeignKey, Index, Select, String, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column, relationship

from content.accounts import Account
from content.orm import Base, new_id, utcnow
from content.paging import NEWEST, Window

if TYPE_CHECKING:
    from content.posts import Post


class NotificationType(StrEnum):
    """The kinds of notification Harbour makes, named as Mastodon names them."""

    FOLLOW = "follow"
    FOLLOW_REQUEST = "follow_request"
    MENTION = "mention"
    REBLOG = "reblog"
    FAVOURITE = "favourite"
    POLL = "poll"  # a poll she voted in or made has ended


class Notification(Base):
    """`from_account` did something `account` (always local) hears about."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_account_id_group_key", "account_id", "group_key"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    from_account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    type: Mapped[str] = mapped_column(String(16))
    post_id: Mapped[int | None] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    follow_id: Mapped[int | None] = mapped_column(
        ForeignKey("follows.id", ondelete="CASCADE"), index=True
    )
    interaction_id: Mapped[int | None] = mapped_column(
        ForeignKey("interactions.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Likes and boosts of one post, and follows, within one GROUP_HOURS slot share a key
    # (Mastodon's grouped notifications); None for the others.
    group_key: Mapped[str | None] = mapped_column(String(64))
    # Declared so a flush inserts a new post before the mentions' notifications.
    post: Mapped[Post | None] = relationship(viewonly=False, lazy="raise")


GROUP_HOURS = 12
GROUPED = (NotificationType.FAVOURITE, NotificationType.REBLOG, NotificationType.FOLLOW)


def group_key_for(kind: str, post_id: int | None, at: datetime) -> str | None:
    """The key notifications of one kind about one post (or follows) share within a slot."""
    if kind not in GROUPED:
        return None
    slot = int(at.timestamp()) // (GROUP_HOURS * 3600)
    return f"{kind}-{post_id}-{slot}" if post_id is not None else f"{kind}-{slot}"


def group_key_of(row: Notification) -> str:
    """The row's group key as clients see it: ungrouped ones have their own."""
    return row.group_key or f"ungrouped-{row.id}"


def _wanted(recipient: Account, actor_id: int) -> bool:
    return recipient.is_local and recipient.id != actor_id


def notify_mentions(
    session: AsyncSession, post: Post, author_id: int, mentioned: Sequence[Account]
) -> None:
    """A mention notification for every local account a new post names, but its author."""
    session.add_all(
        Notification(
            account_id=a.id, from_account_id=author_id, type=NotificationType.MENTION, post=post
        )
        for a in {a.id: a for a in mentioned}.values()
        if _wanted(a, author_id)
    )


def notify(
    session: AsyncSession,
    recipient: Account,
    actor_id: int,
    kind: NotificationType,
    *,
    post_id: int | None = None,
    follow_id: int | None = None,
    interaction_id: int | None = None,
) -> None:
    """Tell a local `recipient` that `actor_id` followed, asked to, liked or boosted; never
    a remote account and never oneself."""
    if _wanted(recipient, actor_id):
        now = utcnow()
        session.add(
            Notification(
                account_id=recipient.id,
                from_account_id=actor_id,
                type=kind,
                post_id=post_id,
                follow_id=follow_id,
                interaction_id=interaction_id,
                created_at=now,
                group_key=group_key_for(kind, post_id, now),
            )
        )


async def drop_follow_request(session: AsyncSession, follow_id: int) -> None:
    """A follow request was answered: its notification goes."""
    await session.execute(
        delete(Notification).where(
            Notification.follow_id == follow_id,
            Notification.type == NotificationType.FOLLOW_REQUEST,
        )
    )


def _of(
    account: Account,
    *,
    types: Collection[str] = (),
    exclude_types: Collection[str] = (),
    from_account_id: int | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> Select[Notification]:
    query = (
        select(Notification)
        .join(Account, Account.id == Notification.from_account_id)
        .where(
            Notification.account_id == account.id,
            Account.suspended_at.is_(None),
            *where,
        )
    )
    if types:
        query = query.where(Notification.type.in_(types))
    if exclude_types:
        query = query.where(Notification.type.not_in(exclude_types))
    if from_account_id is not None:
        query = query.where(Notification.from_account_id == from_account_id)
    return query


async def page(
    session: AsyncSession,
    account: Account,
    *,
    window: Window = NEWEST,
    types: Collection[str] = (),
    exclude_types: Collection[str] = (),
    from_account_id: int | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[Notification]:
    """The account's notifications in `window`, newest first, filtered by type and sender.
    The conditions `where` (on the notification and its sender, `Account`) come from
    moderation and the member's policy (`moderation.policy.notification_view`)."""
    query = _of(
        account,
        types=types,
        exclude_types=exclude_types,
        from_account_id=from_account_id,
        where=where,
    )
    rows = (await session.scalars(window.apply(query, Notification.id))).all()
    return window.newest_first(rows, key=lambda row: row.id)


async def get(
    session: AsyncSession,
    account: Account,
    notification_id: int,
    where: Sequence[ColumnElement[bool]] = (),
) -> Notification | None:
    """One of the account's notifications, if it meets the conditions `where`."""
    query = _of(account, where=where).where(Notification.id == notification_id)
    return await session.scalar(query)


async def count_after(
    session: AsyncSession,
    account: Account,
    last_read_id: int,
    *,
    limit: int,
    types: Collection[str] = (),
    exclude_types: Collection[str] = (),
    from_account_id: int | None = None,
    where: Sequence[ColumnElement[bool]] = (),
) -> int:
    """How many notifications are newer than `last_read_id`, counted up to `limit`."""
    newer = (
        _of(
            account,
            types=types,
            exclude_types=exclude_types,
            from_account_id=from_account_id,
            where=where,
        )
        .where(Notification.id > last_read_id)
        .limit(limit)
        .subquery()
    )
    return int(await session.scalar(select(func.count()).select_from(newer)) or 0)


async def dismiss(session: AsyncSession, account: Account, notification_id: int) -> bool:
    """Delete one of the account's notifications; False if it has no such notification."""
    result = await session.execute(
        delete(Notification).where(
            Notification.id == notification_id, Notification.account_id == account.id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def clear(session: AsyncSession, account: Account) -> None:
    """Delete all of the account's notifications."""
    await session.execute(delete(Notification).where(Notification.account_id == account.id))
