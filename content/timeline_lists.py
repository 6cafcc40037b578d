"""A member's lists of accounts she follows, each read as its own timeline (Mastodon's lists).

Private to their owner. A membership hangs on the owner's follow of the account (its
`follow_id`, ON DELETE CASCADE), so an unfollow, a block, a rejected request or a purge
takes the account off her lists in the same statement, wherever the follow is deleted.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    ColumnElement,
    ForeignKey,
    Index,
    Select,
    String,
    UniqueConstraint,
    and_,
    delete,
    exists,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, aliased, mapped_column

from content.accounts import Account
from content.orm import Base, new_id, utcnow
from content.paging import Window, read_pairs
from content.posts import Post
from content.readers import Reader
from content.relationships import Follow, FollowState

MAX_LISTS = 50  # lists an account may have (Mastodon's limit)
MAX_MEMBERS = 500  # accounts on one list
MAX_TITLE = 100  # characters of a list's title


class ListError(ValueError):
    """A list cannot be made or changed as asked; the message is fit to show the member."""


class RepliesPolicy(StrEnum):
    """Which replies a list shows besides its members' other posts: replies to anyone she
    follows, to members of the list, or none (replies to her and self-replies always)."""

    FOLLOWED = "followed"
    LIST = "list"
    NONE = "none"


class TimelineList(Base):
    """A list `account` made; only she sees it."""

    __tablename__ = "timeline_lists"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(
        ForeignKey("accounts.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(MAX_TITLE))
    replies_policy: Mapped[str] = mapped_column(String(16), default=RepliesPolicy.LIST)
    exclusive: Mapped[bool] = mapped_column(default=False, server_default=false())
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TimelineListMember(Base):
    """`account` is on `list`; the row lives as long as the owner's follow of it."""

    __tablename__ = "timeline_list_members"
    __table_args__ = (
        UniqueConstraint("list_id", "account_id"),
        Index("ix_timeline_list_members_account_id_list_id", "account_id", "list_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    list_id: Mapped[int] = mapped_column(ForeignKey("timeline_lists.id", ondelete="CASCADE"))
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    follow_id: Mapped[int] = mapped_column(ForeignKey("follows.id", ondelete="CASCADE"), index=True)


def _title(raw: str) -> str:
    title = raw.strip()
    if not title:
        raise ListError("a list needs a title")
    if len(title) > MAX_TITLE:
        raise ListError("a list's title is at most 100 characters")
    return title


def _policy(raw: str) -> RepliesPolicy:
    try:
        return RepliesPolicy(raw)
    except ValueError:
        raise ListError("replies_policy must be followed, list or none") from None


async def create(
    session: AsyncSession,
    owner: Account,
    title: str,
    *,
    replies_policy: str = RepliesPolicy.LIST,
    exclusive: bool = False,
) -> TimelineList:
    """A new list of `owner`; at most MAX_LISTS of them."""
    held = await session.scalar(
        select(func.count()).select_from(TimelineList).where(TimelineList.account_id == owner.id)
    )
    if (held or 0) >= MAX_LISTS:
        raise ListError("you have 50 lists already, the most one account may have")
    found = TimelineList(
        id=new_id(),
        account_id=owner.id,
        title=_title(title),
        replies_policy=_policy(replies_policy),
        exclusive=exclusive,
    )
    session.add(found)
    await session.flush()
    return found


def update(
    found: TimelineList,
    *,
    title: str | None = None,
    replies_policy: str | None = None,
    exclusive: bool | None = None,
) -> None:
    """Change what is given of a list's title, replies policy and exclusiveness."""
    if title is not None:
        found.title = _title(title)
    if replies_policy is not None:
        found.replies_policy = _policy(replies_policy)
    if exclusive is not None:
        found.exclusive = exclusive


async def owned(session: AsyncSession, owner: Account, list_id: int) -> TimelineList | None:
    """The list with this id if `owner` made it; None for anyone else."""
    found = await session.get(TimelineList, list_id)
    return found if found is not None and found.account_id == owner.id else None


async def of_owner(session: AsyncSession, owner: Account) -> list[TimelineList]:
    """The owner's lists, oldest first."""
    rows = await session.scalars(
        select(TimelineList).where(TimelineList.account_id == owner.id).order_by(TimelineList.id)
    )
    return list(rows)


async def containing(session: AsyncSession, owner: Account, account_id: int) -> list[TimelineList]:
    """The owner's lists that `account_id` is on, oldest first."""
    rows = await session.scalars(
        select(TimelineList)
        .join(TimelineListMember, TimelineListMember.list_id == TimelineList.id)
        .where(TimelineList.account_id == owner.id, TimelineListMember.account_id == account_id)
        .order_by(TimelineList.id)
    )
    return list(rows)


async def delete_list(session: AsyncSession, found: TimelineList) -> None:
    """Delete a list and its memberships."""
    await session.execute(delete(TimelineListMember).where(TimelineListMember.list_id == found.id))
    await session.delete(found)


async def members_page(
    session: AsyncSession, found: TimelineList, window: Window
) -> list[tuple[int, Account]]:
    """The list's accounts as (membership id, account), newest membership first."""
    query = (
        select(TimelineListMember.id, Account)
        .join(Account, Account.id == TimelineListMember.account_id)
        .where(TimelineListMember.list_id == found.id)
    )
    return await read_pairs(session, window, query, TimelineListMember.id)


async def add_members(
    session: AsyncSession, found: TimelineList, owner: Account, account_ids: Sequence[int]
) -> None:
    """Put accounts on the list; each must be one the owner follows (or asked to follow),
    as Mastodon requires. One already on it is not an error."""
    wanted = set(account_ids)
    rows = await session.execute(
        select(Follow.followed_id, Follow.id).where(
            Follow.follower_id == owner.id, Follow.followed_id.in_(wanted)
        )
    )
    follows = {followed: follow for followed, follow in rows}
    if wanted - follows.keys():
        raise ListError("only accounts you follow can be put on a list")
    present = set(
        await session.scalars(
            select(TimelineListMember.account_id).where(TimelineListMember.list_id == found.id)
        )
    )
    new = wanted - present
    if len(present) + len(new) > MAX_MEMBERS:
        raise ListError("a list holds at most 500 accounts")
    session.add_all(
        TimelineListMember(id=new_id(), list_id=found.id, account_id=a, follow_id=follows[a])
        for a in sorted(new)
    )
    await session.flush()


async def remove_members(
    session: AsyncSession, found: TimelineList, account_ids: Collection[int]
) -> None:
    """Take accounts off the list (one not on it is not an error)."""
    await session.execute(
        delete(TimelineListMember).where(
            TimelineListMember.list_id == found.id,
            TimelineListMember.account_id.in_(set(account_ids)),
        )
    )


async def exclusive_members(session: AsyncSession, owner: Reader) -> set[int]:
    """Accounts on the owner's exclusive lists: left out of her home timeline."""
    return set(await session.scalars(exclusive_members_query(owner.id)))


def exclusive_members_query(owner_id: int | ColumnElement[int]) -> Select[int]:
    """`exclusive_members` as a query, to read as a subquery of another."""
    return (
        select(TimelineListMember.account_id)
        .join(TimelineList, TimelineList.id == TimelineListMember.list_id)
        .where(TimelineList.account_id == owner_id, TimelineList.exclusive.is_(True))
    )


def followed_members() -> ColumnElement[bool]:
    """Posts by members of the list in the query (`TimelineList`) whose follow is accepted:
    the list's owner reads them as she does her home timeline."""
    return exists().where(
        TimelineListMember.list_id == TimelineList.id,
        TimelineListMember.account_id == Post.account_id,
        Follow.id == TimelineListMember.follow_id,
        Follow.state == FollowState.ACCEPTED,
    )


def reply_shown() -> ColumnElement[bool]:
    """Whether the list in the query (`TimelineList`) shows the post (`Post`), by its replies
    policy, as Mastodon decides: a post that replies to nothing, to its own author or to the
    list's owner always; a reply to someone she follows with `followed`; to a member of the
    list with `list`. A reply whose parent is not kept here is not shown by those two."""
    parent = aliased(Post)
    followed_by_owner = select(Follow.followed_id).where(
        Follow.follower_id == TimelineList.account_id, Follow.state == FollowState.ACCEPTED
    )
    on_list = select(TimelineListMember.account_id).where(
        TimelineListMember.list_id == TimelineList.id
    )
    return or_(
        Post.in_reply_to_uri.is_(None),
        exists().where(
            parent.uri == Post.in_reply_to_uri,
            or_(
                parent.account_id == Post.account_id,
                parent.account_id == TimelineList.account_id,
                and_(
                    TimelineList.replies_policy == RepliesPolicy.FOLLOWED,
                    parent.account_id.in_(followed_by_owner),
                ),
                and_(
                    TimelineList.replies_policy == RepliesPolicy.LIST,
                    parent.account_id.in_(on_list),
                ),
            ),
        ),
    )


async def erase_owner(session: AsyncSession, owner: Account) -> None:
    """Delete every list an account made (erasing it)."""
    lists = select(TimelineList.id).where(TimelineList.account_id == owner.id)
    await session.execute(delete(TimelineListMember).where(TimelineListMember.list_id.in_(lists)))
    await session.execute(delete(TimelineList).where(TimelineList.account_id == owner.id))
