"""The posts written in discussion groups, filed in threads. Every post in a group (local
or remote group) has a `group_posts` row: its thread (the opening post's id), the thread's
title and last activity, and whether a moderator pinned it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.audience import Visibility
from content.groups import GroupError
from content.interface_text import N_
from content.orm import Base, utcnow
from content.posts import Post

MAX_TITLE = 200


class GroupPost(Base):
    """A post in a group. `thread_id` is the opening post's id (its own for an opener)."""

    __tablename__ = "group_posts"
    __table_args__ = (Index("ix_group_posts_group_id_thread_id", "group_id", "thread_id"),)

    post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), primary_key=True
    )
    group_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"))
    thread_id: Mapped[int]
    title: Mapped[str] = mapped_column(String(MAX_TITLE), default="")
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    pinned_at: Mapped[datetime | None]


def add_post(
    session: AsyncSession, post: Post, group: Account, *, thread: GroupPost | None, title: str = ""
) -> GroupPost:
    """File a post in a group: as a new thread, or as a reply in `thread` (whose last
    activity moves to now)."""
    now = utcnow()
    if thread is not None:
        thread.last_activity_at = max(thread.last_activity_at, now)
    entry = GroupPost(
        post_id=post.id,
        group_id=group.id,
        thread_id=thread.thread_id if thread else post.id,
        title="" if thread else title.strip()[:MAX_TITLE],
        last_activity_at=now,
    )
    session.add(entry)
    return entry


async def entry_of(session: AsyncSession, post: Post) -> GroupPost | None:
    """The group filing of a post, if it is in a group."""
    return await session.get(GroupPost, post.id)


async def entry_by_uri(session: AsyncSession, uri: str) -> GroupPost | None:
    """The group filing of the post with this id, if we keep it and it is in a group."""
    return await session.scalar(
        select(GroupPost).join(Post, Post.id == GroupPost.post_id).where(Post.uri == uri)
    )


async def unfile(session: AsyncSession, post: Post) -> None:
    """Take a post out of its group; the post itself stays."""
    await session.execute(delete(GroupPost).where(GroupPost.post_id == post.id))


async def group_of(session: AsyncSession, post: Post) -> Account | None:
    """The group a post was written in, if any."""
    entry = await entry_of(session, post)
    return await session.get(Account, entry.group_id) if entry else None


async def threads(
    session: AsyncSession, group: Account, *, members_too: bool = True, limit: int = 50
) -> list[tuple[GroupPost, Post, Account, int]]:
    """The group's threads, pinned first, then by latest activity: (entry, opening post,
    author, number of replies). Without `members_too`, members-only threads are left out
    (a remote group's, as it marked them)."""
    replies = (
        select(GroupPost.thread_id, func.count().label("n"))
        .where(GroupPost.group_id == group.id, GroupPost.thread_id != GroupPost.post_id)
        .group_by(GroupPost.thread_id)
        .subquery()
    )
    query = (
        select(GroupPost, Post, Account, func.coalesce(replies.c.n, 0))
        .join(Post, Post.id == GroupPost.post_id)
        .join(Account, Account.id == Post.account_id)
        .outerjoin(replies, replies.c.thread_id == GroupPost.post_id)
        .where(GroupPost.group_id == group.id, GroupPost.thread_id == GroupPost.post_id)
    )
    if not members_too:
        query = query.where(Post.visibility != Visibility.MEMBERS)
    order = (GroupPost.pinned_at.is_(None), GroupPost.last_activity_at.desc())
    rows = await session.execute(query.order_by(*order).limit(limit))
    return [(entry, post, author, int(count)) for entry, post, author, count in rows]


async def thread_posts(
    session: AsyncSession, opener: GroupPost, *, members_too: bool = True, limit: int | None = 500
) -> list[tuple[Post, Account]]:
    """A thread's posts, the opening post first, then replies oldest first (at most `limit`;
    None for all).
    Without `members_too`, members-only posts are left out (a reader who is not a member)."""
    query = (
        select(Post, Account)
        .join(GroupPost, GroupPost.post_id == Post.id)
        .join(Account, Account.id == Post.account_id)
        .where(GroupPost.thread_id == opener.thread_id, GroupPost.group_id == opener.group_id)
        .order_by(Post.id)
        .limit(limit)
    )
    if not members_too:
        query = query.where(Post.visibility != Visibility.MEMBERS)
    rows = await session.execute(query)
    return [(post, author) for post, author in rows]


async def latest(
    session: AsyncSession, group: Account, *, members_too: bool, limit: int
) -> list[tuple[GroupPost, Post, Account]]:
    """The group's newest posts (openers and replies), newest first, with their authors;
    without `members_too`, members-only posts are left out."""
    query = (
        select(GroupPost, Post, Account)
        .join(Post, Post.id == GroupPost.post_id)
        .join(Account, Account.id == Post.account_id)
        .where(GroupPost.group_id == group.id)
        .order_by(Post.id.desc())
        .limit(limit)
    )
    if not members_too:
        query = query.where(Post.visibility != Visibility.MEMBERS)
    rows = await session.execute(query)
    return [(entry, post, author) for entry, post, author in rows]


async def pinned(session: AsyncSession, group: Account) -> list[Post]:
    """The group's pinned threads' opening posts, most recently pinned first."""
    rows = await session.scalars(
        select(Post)
        .join(GroupPost, GroupPost.post_id == Post.id)
        .where(GroupPost.group_id == group.id, GroupPost.pinned_at.is_not(None))
        .order_by(GroupPost.pinned_at.desc())
    )
    return list(rows)


def pin(entry: GroupPost, *, on: bool) -> None:
    """Pin an opening post (or unpin it)."""
    if entry.thread_id != entry.post_id:
        raise GroupError(N_("only a thread's opening post can be pinned"))
    entry.pinned_at = (entry.pinned_at or utcnow()) if on else None
