"""Account-level blocks: who refuses to see or hear from whom."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.orm import Base, new_id, utcnow
from content.paging import Window, read_pairs
from content.relationships import remove_follow


class AccountBlock(Base):
    """`account` blocks `target`. `uri` is the id of the Block activity, if it federated."""

    __tablename__ = "account_blocks"
    __table_args__ = (UniqueConstraint("account_id", "target_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    target_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    uri: Mapped[str | None] = mapped_column(String(2048), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def block(session: AsyncSession, account: Account, target: Account, *, uri: str) -> None:
    """Record a block and end follows both ways, as every fediverse server does."""
    if await find(session, account, target) is None:
        session.add(AccountBlock(account_id=account.id, target_id=target.id, uri=uri))
    await remove_follow(session, account, target)
    await remove_follow(session, target, account)
    await session.flush()


async def unblock(session: AsyncSession, account: Account, target: Account) -> str | None:
    """Lift a block; returns the id of the Block activity it undoes, if any."""
    found = await find(session, account, target)
    if found is None:
        return None
    await session.delete(found)
    return found.uri


async def blocked_either_way(session: AsyncSession, account: Account) -> set[int]:
    """Accounts that `account` blocks or that block it: hidden from it, kept from reaching it."""
    rows = await session.execute(
        select(AccountBlock.account_id, AccountBlock.target_id).where(
            or_(AccountBlock.account_id == account.id, AccountBlock.target_id == account.id)
        )
    )
    return {other for pair in rows for other in pair if other != account.id}


async def is_blocked_by(session: AsyncSession, actor: Account, target: Account) -> bool:
    """Whether `target` blocks `actor`."""
    return await find(session, target, actor) is not None


async def find(session: AsyncSession, account: Account, target: Account) -> AccountBlock | None:
    """The account's block of `target`, if any."""
    return await session.scalar(
        select(AccountBlock).where(
            AccountBlock.account_id == account.id, AccountBlock.target_id == target.id
        )
    )


async def page(
    session: AsyncSession, account: Account, window: Window
) -> list[tuple[int, Account]]:
    """The accounts `account` blocks as (block id, account), newest block first."""
    query = (
        select(AccountBlock.id, Account)
        .join(Account, Account.id == AccountBlock.target_id)
        .where(AccountBlock.account_id == account.id)
    )
    return await read_pairs(session, window, query, AccountBlock.id)
