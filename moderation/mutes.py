"""Mutes: a member stops seeing an account without telling it. Never federated."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, ForeignKey, UniqueConstraint, delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.orm import Base, new_id, utcnow
from content.paging import Window, read_pairs


class Mute(Base):
    """`account` mutes `target`, until `expires_at` if set; `notifications` mutes those too."""

    __tablename__ = "mutes"
    __table_args__ = (UniqueConstraint("account_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    notifications: Mapped[bool] = mapped_column(default=True)
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def mute(
    session: AsyncSession,
    account: Account,
    target: Account,
    *,
    notifications: bool = True,
    duration: timedelta | None = None,
) -> Mute:
    """Mute an account, or change an existing mute's options (muting again renews it)."""
    if target.id == account.id:
        raise ValueError("you cannot mute yourself")
    row = await find(session, account, target)
    if row is None:
        row = Mute(id=new_id(), account_id=account.id, target_id=target.id)
        session.add(row)
    row.notifications = notifications
    row.expires_at = utcnow() + duration if duration else None
    await session.flush()
    return row


async def unmute(session: AsyncSession, account: Account, target: Account) -> None:
    """Lift a mute (no mute is not an error)."""
    await session.execute(
        delete(Mute).where(Mute.account_id == account.id, Mute.target_id == target.id)
    )


async def find(session: AsyncSession, account: Account, target: Account) -> Mute | None:
    """The account's mute of `target`, if it is in force."""
    return await session.scalar(
        select(Mute).where(Mute.account_id == account.id, Mute.target_id == target.id, in_force())
    )


async def muted_ids(
    session: AsyncSession, account: Account, *, notifications: bool = False
) -> set[int]:
    """The accounts `account` mutes now (with `notifications`, only those whose
    notifications are muted too)."""
    query = select(Mute.target_id).where(Mute.account_id == account.id, in_force())
    if notifications:
        query = query.where(Mute.notifications.is_(True))
    return set(await session.scalars(query))


async def page(
    session: AsyncSession, account: Account, window: Window
) -> list[tuple[int, Account]]:
    """The accounts muted now as (mute id, account), newest mute first."""
    query = (
        select(Mute.id, Account)
        .join(Account, Account.id == Mute.target_id)
        .where(Mute.account_id == account.id, in_force())
    )
    return await read_pairs(session, window, query, Mute.id)


def in_force(now: ColumnElement[datetime] | None = None) -> ColumnElement[bool]:
    """Mutes not yet expired (at `now`, a bound parameter in a statement built once)."""
    return or_(Mute.expires_at.is_(None), Mute.expires_at > (utcnow() if now is None else now))
