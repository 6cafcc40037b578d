"""Quarantine: in open federation, a server this node meets for the first time is held at a
distance until an admin admits it or its quarantine days pass without a block (a block from
the trust network, or an admin's, makes the question moot). While quarantined, its posts
stay out of public timelines, its follows wait for approval and its media is not fetched:
what a silence does, with a date on it.

A server is met when it first signs an activity to this node or when the node first fetches
an actor from it. Servers on the allowlist (the trusted partners, in open mode) are never
quarantined; in allowlist mode and in lockdown only listed servers federate at all, so the
question does not arise there."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import Select, String, func, not_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.accounts import Account
from content.domain_match import on_any
from content.orm import Base, insert_of, utcnow
from moderation import allowlist, audit
from moderation.domain_names import normalise, site_of

DEFAULT_DAYS = 7
# New hosts met under one registrable domain: its owner makes sub-domains (or an address's
# ports) for nothing, each serving an actor with a key, and would have this node record
# servers, and fetch and keep their actors, without end. Beyond this, a new host of that
# site is refused until an admin puts it on the allowlist.
MAX_HOSTS_PER_SITE = 100
ADMIT = "quarantine.admit"


class KnownServer(Base):
    """A remote server this node has met; `quarantined_until` is None once admitted (or for
    a server met before quarantine existed, or in allowlist mode)."""

    __tablename__ = "known_servers"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    site: Mapped[str | None] = mapped_column(String(255), index=True)  # `site_of(domain)`
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    quarantined_until: Mapped[datetime | None] = mapped_column(index=True)


async def meet(session: AsyncSession, host: str, days: int) -> None:
    """Note that `host` has been met; the first time, it is quarantined for `days` (none if
    0). A server met again keeps its first date: quarantine is not prolonged by talking."""
    now = utcnow()
    until = now + timedelta(days=days) if days > 0 else None
    dialect = session.bind.dialect.name  # type: ignore[union-attr]
    insert = insert_of(dialect)
    await session.execute(
        insert(KnownServer)
        .values(domain=host, site=site_of(host), first_seen_at=now, quarantined_until=until)
        .on_conflict_do_nothing(index_elements=["domain"])
    )


async def may_meet(session: AsyncSession, host: str) -> bool:
    """Whether `host` may be met (its actors fetched and kept): met already, fewer than
    `MAX_HOSTS_PER_SITE` hosts of its registrable domain met, or a partner's."""
    if await session.get(KnownServer, host) is not None:
        return True
    of_site = select(KnownServer.domain).where(KnownServer.site == site_of(host))
    met = await session.scalar(
        select(func.count()).select_from(of_site.limit(MAX_HOSTS_PER_SITE).subquery())
    )
    return (met or 0) < MAX_HOSTS_PER_SITE or await allowlist.is_allowed(session, host)


async def is_quarantined(session: AsyncSession, host: str) -> bool:
    """Whether `host` is in quarantine now."""
    until = await session.scalar(
        select(KnownServer.quarantined_until).where(KnownServer.domain == host)
    )
    return until is not None and until > utcnow() and not await allowlist.is_allowed(session, host)


async def quarantined(session: AsyncSession, limit: int | None = None) -> Sequence[KnownServer]:
    """The servers in quarantine now, newest first (partners left out); the newest `limit`
    of them, if given (one server can be met from thousands of sub-domains)."""
    rows = await session.scalars(
        select(KnownServer)
        .where(KnownServer.domain.in_(await held_hosts(session)))
        .order_by(KnownServer.first_seen_at.desc(), KnownServer.domain)
        .limit(limit)
    )
    return rows.all()


async def count_held(session: AsyncSession) -> int:
    """How many servers are in quarantine now (partners left out)."""
    held = (await held_hosts(session)).subquery()
    return await session.scalar(select(func.count()).select_from(held)) or 0


async def held_hosts(session: AsyncSession) -> Select[str]:
    """The hosts in quarantine now (partners left out), as a subquery for the filters that
    keep them out of public places: matched exactly and read by the database, so however
    many servers are held (one can be met from thousands of sub-domains), a page costs one
    indexed lookup per row, never a list in the statement."""
    partners = await allowlist.allowed_domains(session)
    return select(KnownServer.domain).where(
        KnownServer.quarantined_until > utcnow(), not_(on_any(KnownServer.domain, partners))
    )


async def admit(session: AsyncSession, host: str, actor: Account | None) -> bool:
    """End `host`'s quarantine now (audited); False if it is not in quarantine."""
    name = normalise(host)
    result = await session.execute(
        update(KnownServer)
        .where(KnownServer.domain == name, KnownServer.quarantined_until > utcnow())
        .values(quarantined_until=None)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return False
    audit.record(session, actor, ADMIT, name)
    return True
