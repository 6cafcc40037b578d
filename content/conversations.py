"""Conversations: direct posts grouped by thread, one row per local participant.

A row is kept up to date where direct posts are stored (`record`), so listing them is one
indexed query and each participant has its own unread flag and may delete its copy. The
thread is found by following `in_reply_to_uri` up to the first post not kept here."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime
from functools import cache

from sqlalchemy import ForeignKey, Insert, String, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content import posts
from content.accounts import Account, not_on_any
from content.audience import Visibility
from content.batch_writes import defers_flush, later
from content.orm import Base, insert_of, new_id, utcnow
from content.paging import NEWEST, Window
from content.posts import Post

MAX_DEPTH = 100


class Conversation(Base):
    """The thread `root_uri` as local `account` sees it: its newest direct post and whether
    `account` has read it."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("account_id", "root_uri"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    root_uri: Mapped[str] = mapped_column(String(2048))
    last_post_id: Mapped[int] = mapped_column(
        ForeignKey("posts.id", ondelete="CASCADE"), index=True
    )
    unread: Mapped[bool] = mapped_column(default=False)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


async def record(
    session: AsyncSession, post: Post, author: Account, mentioned: Sequence[Account]
) -> None:
    """File a stored direct post under its thread for each local participant; it is unread
    for everyone but its author."""
    if post.visibility != Visibility.DIRECT:
        return
    root = await _root_uri(session, post)
    participants = {a.id: a for a in (author, *mentioned) if a.is_local}
    if not participants:
        return
    # One statement for every participant, new to the thread or not (a read and a write
    # each had cost two: issue 18), built once per database: building it for each post
    # (its `excluded` columns) and compiling it again was a quarter of applying a mention.
    # In a batch of inbox items the rows wait for the batch's next flush, one upsert for all
    # (`content.batch_writes`).
    now = utcnow()
    upsert = _upsert(session.bind.dialect.name)  # type: ignore[union-attr]
    rows = [
        {
            "id": new_id(),
            "account_id": account_id,
            "root_uri": root,
            "last_post_id": post.id,
            "unread": account_id != author.id,
            "updated_at": now,
        }
        for account_id in participants
    ]
    if defers_flush(session):
        for row in rows:
            later(session, upsert, (row["account_id"], root), row)
    else:
        await session.execute(upsert, rows)


@cache
def _upsert(dialect: str) -> Insert:
    """A participant's row of a thread, its newest post and unread flag replaced if it has
    one (run with a list of rows)."""
    rows = insert_of(dialect)(Conversation.__table__)
    return rows.on_conflict_do_update(
        index_elements=["account_id", "root_uri"],
        set_={
            "last_post_id": rows.excluded.last_post_id,
            "unread": rows.excluded.unread,
            "updated_at": rows.excluded.updated_at,
        },
    )


async def _root_uri(session: AsyncSession, post: Post) -> str:
    uri, parent_uri = post.uri, post.in_reply_to_uri
    for _ in range(MAX_DEPTH):
        if parent_uri is None:
            break
        uri = parent_uri
        parent = await posts.get_by_uri(session, parent_uri)
        parent_uri = parent.in_reply_to_uri if parent is not None else None
    return uri


async def page(
    session: AsyncSession,
    account: Account,
    *,
    window: Window = NEWEST,
    exclude_accounts: Collection[int] = (),
    exclude_domains: Collection[str] = (),
) -> list[tuple[Conversation, Post]]:
    """The account's conversations with their newest posts, most recently active first,
    paged by that post's id (as Mastodon pages them); those whose newest post is by an
    account or on a server moderation leaves out (`exclude_*`) are not shown."""
    query = (
        select(Conversation, Post)
        .join(Post, Post.id == Conversation.last_post_id)
        .join(Account, Account.id == Post.account_id)
        .where(
            Conversation.account_id == account.id,
            Post.account_id.not_in(exclude_accounts),
            not_on_any(Account.domain, exclude_domains),
        )
    )
    rows = [
        (c, p) for c, p in await session.execute(window.apply(query, Conversation.last_post_id))
    ]
    return window.newest_first(rows, key=lambda row: row[0].last_post_id)


async def get(
    session: AsyncSession, account: Account, conversation_id: int
) -> tuple[Conversation, Post] | None:
    """One of the account's conversations with its newest post."""
    row = (
        await session.execute(
            select(Conversation, Post)
            .join(Post, Post.id == Conversation.last_post_id)
            .where(Conversation.id == conversation_id, Conversation.account_id == account.id)
        )
    ).first()
    return (row[0], row[1]) if row is not None else None


async def remove(session: AsyncSession, account: Account, conversation_id: int) -> bool:
    """Take a conversation off the account's list (a new post in it brings it back)."""
    result = await session.execute(
        delete(Conversation).where(
            Conversation.id == conversation_id, Conversation.account_id == account.id
        )
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
