"""A member's own domain blocks: a whole server hidden from one member's timelines."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.orm import Base, new_id, utcnow
from content.paging import Window
from moderation.domain_names import candidates, normalise


class MemberDomainBlock(Base):
    """`account` hides everything from `domain` (host, with its port where it has one)."""

    __tablename__ = "member_domain_blocks"
    __table_args__ = (UniqueConstraint("account_id", "domain"),)

    id: Mapped[int] = mapped_column(primary_key=True, default=new_id)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id"), index=True)
    domain: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def add(session: AsyncSession, account: Account, domain: str) -> str:
    """Block a domain for one member (idempotent); returns the domain as stored."""
    name = normalise(domain)
    if not name or any(c in name for c in " @/\\"):
        raise ValueError("give a domain such as social.example")
    if not await blocks(session, account, name):
        session.add(MemberDomainBlock(id=new_id(), account_id=account.id, domain=name))
        await session.flush()
    return name


async def remove(session: AsyncSession, account: Account, domain: str) -> None:
    """Lift a member's domain block (none is not an error)."""
    await session.execute(
        delete(MemberDomainBlock).where(
            MemberDomainBlock.account_id == account.id,
            MemberDomainBlock.domain == normalise(domain),
        )
    )


async def blocks(session: AsyncSession, account: Account, domain: str) -> bool:
    """Whether the member blocks exactly this domain."""
    found = await session.scalar(
        select(MemberDomainBlock.id).where(
            MemberDomainBlock.account_id == account.id, MemberDomainBlock.domain == domain
        )
    )
    return found is not None


async def blocks_server_of(session: AsyncSession, member: Account, other: Account) -> bool:
    """Whether the member blocks the server of `other` or a parent domain of it (a rule for
    `example.org` covers `social.example.org`); never for a local account."""
    if not other.domain:
        return False
    found = await session.scalar(
        select(MemberDomainBlock.id)
        .where(
            MemberDomainBlock.account_id == member.id,
            MemberDomainBlock.domain.in_(candidates(other.domain)),
        )
        .limit(1)
    )
    return found is not None


async def blocked_domains(session: AsyncSession, account: Account) -> set[str]:
    """Every domain the member blocks."""
    query = select(MemberDomainBlock.domain).where(MemberDomainBlock.account_id == account.id)
    return set(await session.scalars(query))


async def page(session: AsyncSession, account: Account, window: Window) -> list[MemberDomainBlock]:
    """The member's domain blocks, newest first."""
    query = select(MemberDomainBlock).where(MemberDomainBlock.account_id == account.id)
    rows = list(await session.scalars(window.apply(query, MemberDomainBlock.id)))
    return window.newest_first(rows, key=lambda row: row.id)
