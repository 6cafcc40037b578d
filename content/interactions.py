"""Likes (favourites) and boosts (announces) of posts."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.notifications import NotificationType, notify
from content.orm import Base, new_id, utcnow
from content.paging import Window, read_pairs
from content.posts import Post


class Kind(StrEnum):
    """What an account did to a post."""

    LIKE = "like"
    BOOST = "boost"


class Interaction(Base):
    """`account` liked or boosted `post`; `uri` is the id of the Like or Announce activity."""

    __tablename__ = "interactions"
    __table_args__ = (UniqueConstraint("account_id", "post_id", "kind"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(8))
    uri: Mapped[str] = mapped_column(String(2048), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def find(
    session: AsyncSession, account: Account, post: Post, kind: Kind
) -> Interaction | None:
    """The account's like or boost of the post, if there is one."""
    return await session.scalar(
        select(Interaction).where(
            Interaction.account_id == account.id,
            Interaction.post_id == post.id,
            Interaction.kind == kind,
        )
    )


async def add(
    session: AsyncSession, account: Account, post: Post, kind: Kind, *, uri: str
) -> Interaction:
    """Record a like or boost; doing it twice keeps the first. A local author is notified."""
    existing = await find(session, account, post, kind)
    if existing is not None:
        return existing
    interaction = Interaction(account_id=account.id, post_id=post.id, kind=kind, uri=uri)
    session.add(interaction)
    await session.flush()
    author = await session.get(Account, post.account_id)
    if author is not None:
        notice = NotificationType.FAVOURITE if kind == Kind.LIKE else NotificationType.REBLOG
        notify(session, author, account.id, notice, post_id=post.id, interaction_id=interaction.id)
    return interaction


async def remove_by_uri(session: AsyncSession, account: Account, uri: str) -> bool:
    """Undo the account's like or boost with this activity id; False if there was none."""
    result = await session.execute(
        delete(Interaction).where(Interaction.uri == uri, Interaction.account_id == account.id)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def count(session: AsyncSession, post: Post, kind: Kind) -> int:
    """How many likes or boosts a post has."""
    query = (
        select(func.count())
        .select_from(Interaction)
        .where(Interaction.post_id == post.id, Interaction.kind == kind)
    )
    return int(await session.scalar(query) or 0)


async def liked_page(
    session: AsyncSession, account: Account, window: Window
) -> list[tuple[int, Post]]:
    """The posts the account liked as (like id, post), newest like first."""
    query = (
        select(Interaction.id, Post)
        .join(Post, Post.id == Interaction.post_id)
        .where(Interaction.account_id == account.id, Interaction.kind == Kind.LIKE)
    )
    return await read_pairs(session, window, query, Interaction.id)
