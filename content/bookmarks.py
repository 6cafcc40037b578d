"""Bookmarks: posts a member keeps to read again, seen by nobody else."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.orm import Base, new_id, utcnow
from content.paging import Window, read_pairs
from content.posts import Post


class Bookmark(Base):
    """`account` bookmarked `post`; the row id orders the member's list."""

    __tablename__ = "bookmarks"
    __table_args__ = (UniqueConstraint("account_id", "post_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def add(session: AsyncSession, account: Account, post: Post) -> None:
    """Bookmark a post (again is not an error)."""
    if not await is_bookmarked(session, account, post):
        session.add(Bookmark(id=new_id(), account_id=account.id, post_id=post.id))
        await session.flush()


async def remove(session: AsyncSession, account: Account, post: Post) -> None:
    """Remove a bookmark (none is not an error)."""
    await session.execute(
        delete(Bookmark).where(Bookmark.account_id == account.id, Bookmark.post_id == post.id)
    )


async def is_bookmarked(session: AsyncSession, account: Account, post: Post) -> bool:
    """Whether the account bookmarked the post."""
    found = await session.scalar(
        select(Bookmark.id).where(Bookmark.account_id == account.id, Bookmark.post_id == post.id)
    )
    return found is not None


async def page(session: AsyncSession, account: Account, window: Window) -> list[tuple[int, Post]]:
    """The account's bookmarks as (bookmark id, post), newest bookmark first."""
    query = (
        select(Bookmark.id, Post)
        .join(Post, Post.id == Bookmark.post_id)
        .where(Bookmark.account_id == account.id)
    )
    return await read_pairs(session, window, query, Bookmark.id)
