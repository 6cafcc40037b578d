"""Follows between accounts, pending until accepted, and the counts actors publish."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.orm import Base, new_id, utcnow


class FollowState(StrEnum):
    """A follow waits for approval (pending) or is in force (accepted)."""

    PENDING = "pending"
    ACCEPTED = "accepted"


class Follow(Base):
    """`follower` follows `followed`."""

    __tablename__ = "follows"
    __table_args__ = (UniqueConstraint("follower_id", "followed_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    follower_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    followed_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    state: Mapped[str] = mapped_column(String(16), default=FollowState.PENDING)
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def count_followers(session: AsyncSession, account: Account) -> int:
    """How many accepted followers the account has."""
    return await _count(session, Follow.followed_id == account.id)


async def count_following(session: AsyncSession, account: Account) -> int:
    """How many accounts this account follows (accepted follows only)."""
    return await _count(session, Follow.follower_id == account.id)


async def _count(session: AsyncSession, condition: ColumnElement[bool]) -> int:
    accepted = Follow.state == FollowState.ACCEPTED
    query = select(func.count()).select_from(Follow).where(condition, accepted)
    return int(await session.scalar(query) or 0)
