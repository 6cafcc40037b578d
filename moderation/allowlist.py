"""The allowlist: in allowlist mode, only these hosts federate with the node."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime

from sqlalchemy import String, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.orm import Base, utcnow
from moderation.domain_names import candidates, normalise


class AllowedDomain(Base):
    """A host (and port, where it has one) this node federates with in allowlist mode."""

    __tablename__ = "allowed_domains"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


async def allow(session: AsyncSession, domain: str) -> str:
    """Add a domain to the allowlist (idempotent); returns it normalised."""
    name = normalise(domain)
    if not name:
        raise ValueError("give a domain such as harbour.example.org")
    if await session.get(AllowedDomain, name) is None:
        session.add(AllowedDomain(domain=name))
    return name


async def disallow(session: AsyncSession, domain: str) -> bool:
    """Remove a domain from the allowlist; False if it was not on it."""
    result = await session.execute(
        delete(AllowedDomain).where(AllowedDomain.domain == normalise(domain))
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def allowed_domains(session: AsyncSession) -> Sequence[str]:
    """Every allowed domain, sorted."""
    return (
        await session.scalars(select(AllowedDomain.domain).order_by(AllowedDomain.domain))
    ).all()


async def is_allowed(session: AsyncSession, host: str) -> bool:
    """Whether `host` (with its port, if any) or its bare host name or a parent is listed."""
    found = await session.scalar(
        select(AllowedDomain.domain).where(AllowedDomain.domain.in_(candidates(host))).limit(1)
    )
    return found is not None


async def allowed(session: AsyncSession, hosts: Collection[str]) -> set[str]:
    """Those of `hosts` that `is_allowed` allows, read in one statement."""
    wanted = {host: candidates(host) for host in hosts}
    names = set().union(*wanted.values())
    if not names:
        return set()
    listed = set(
        await session.scalars(select(AllowedDomain.domain).where(AllowedDomain.domain.in_(names)))
    )
    return {host for host, names_of_host in wanted.items() if names_of_host & listed}
