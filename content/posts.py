"""Posts: local and remote, their text, audience and threading."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.audience import OPEN_TO_ALL, Visibility
from content.orm import Base, new_id, utcnow
from content.sanitize import render_plain_text

MAX_TEXT_LENGTH = 5000


class PostError(ValueError):
    """A post cannot be made as asked; the message is fit to show the user."""


class Post(Base):
    """A status. `content_html` is always sanitised before it is stored."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    url: Mapped[str] = mapped_column(String(2048))
    content_html: Mapped[str] = mapped_column(Text)
    spoiler_text: Mapped[str] = mapped_column(String(1024), default="")
    visibility: Mapped[str] = mapped_column(String(16), default=Visibility.PUBLIC)
    language: Mapped[str | None] = mapped_column(String(35))
    in_reply_to_uri: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    edited_at: Mapped[datetime | None]
    pinned_at: Mapped[datetime | None]


def create_local(
    session: AsyncSession,
    author: Account,
    text: str,
    *,
    visibility: Visibility = Visibility.PUBLIC,
    spoiler_text: str = "",
    language: str | None = None,
) -> Post:
    """A new post by a local author, from plain text."""
    if not author.is_local:
        raise PostError("only local accounts post here")
    if not text.strip():
        raise PostError("a post needs some text")
    if len(text) > MAX_TEXT_LENGTH:
        raise PostError(f"a post has at most {MAX_TEXT_LENGTH} characters")
    post_id = new_id()
    uri = f"{author.uri}/statuses/{post_id}"
    post = Post(
        id=post_id,
        account_id=author.id,
        uri=uri,
        url=f"{author.url}/{post_id}",
        content_html=render_plain_text(text),
        spoiler_text=spoiler_text.strip(),
        visibility=visibility,
        language=language,
        created_at=utcnow(),
    )
    session.add(post)
    return post


async def open_posts_page(
    session: AsyncSession, author: Account, *, max_id: int | None, limit: int
) -> Sequence[Post]:
    """The author's public and unlisted posts, newest first, older than `max_id` if given."""
    query = select(Post).where(Post.account_id == author.id, Post.visibility.in_(OPEN_TO_ALL))
    if max_id is not None:
        query = query.where(Post.id < max_id)
    return (await session.scalars(query.order_by(Post.id.desc()).limit(limit))).all()


async def count_open_posts(session: AsyncSession, author: Account) -> int:
    """How many public and unlisted posts the author has."""
    query = (
        select(func.count())
        .select_from(Post)
        .where(Post.account_id == author.id, Post.visibility.in_(OPEN_TO_ALL))
    )
    return int(await session.scalar(query) or 0)


async def pinned_open_posts(session: AsyncSession, author: Account) -> Sequence[Post]:
    """The author's pinned public and unlisted posts, most recently pinned first."""
    query = select(Post).where(
        Post.account_id == author.id,
        Post.pinned_at.is_not(None),
        Post.visibility.in_(OPEN_TO_ALL),
    )
    return (await session.scalars(query.order_by(Post.pinned_at.desc()))).all()


async def get_open_post(session: AsyncSession, author: Account, post_id: int) -> Post | None:
    """One of the author's public or unlisted posts, by id."""
    return await session.scalar(
        select(Post).where(
            Post.id == post_id, Post.account_id == author.id, Post.visibility.in_(OPEN_TO_ALL)
        )
    )


async def count_local_posts(session: AsyncSession) -> int:
    """How many posts local accounts have made."""
    query = select(func.count()).select_from(Post).join(Account).where(Account.domain.is_(None))
    return int(await session.scalar(query) or 0)


async def count_active_local_authors(session: AsyncSession, since: datetime) -> int:
    """How many local accounts have posted since `since`."""
    query = (
        select(func.count(func.distinct(Post.account_id)))
        .join(Account)
        .where(Account.domain.is_(None), Post.created_at >= since)
    )
    return int(await session.scalar(query) or 0)
