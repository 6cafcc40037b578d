"""Health of remote hosts: failures in a row, unreachable since when, recovery."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.orm import Base, utcnow

UNREACHABLE_AFTER_FAILURES = 5
DEAD_AFTER = timedelta(days=7)


class RemoteHost(Base):
    """What Harbour knows of a remote host's health. `domain` is host[:port]."""

    __tablename__ = "remote_hosts"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    unreachable_since: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]


def host_of(uri: str) -> str:
    """host[:port] of a URI, lower-cased."""
    return urlsplit(uri).netloc.lower()


async def record_success(session: AsyncSession, domain: str) -> None:
    """The host answered: it is reachable again."""
    host = await _get(session, domain)
    host.failures = 0
    host.unreachable_since = None
    host.last_success_at = utcnow()


async def record_failure(session: AsyncSession, domain: str) -> None:
    """The host failed to answer; after several failures in a row it is unreachable."""
    host = await _get(session, domain)
    host.failures += 1
    if host.failures >= UNREACHABLE_AFTER_FAILURES and host.unreachable_since is None:
        host.unreachable_since = utcnow()


async def dead_hosts(session: AsyncSession) -> set[str]:
    """Hosts unreachable for longer than DEAD_AFTER: nothing new is queued for them."""
    rows = await session.scalars(
        select(RemoteHost.domain).where(RemoteHost.unreachable_since < utcnow() - DEAD_AFTER)
    )
    return set(rows)


async def heard_from(session: AsyncSession, domain: str) -> bool:
    """A host contacted us. If it was failing, mark it reachable; True if it had been."""
    result = await session.execute(
        update(RemoteHost)
        .where(RemoteHost.domain == domain, RemoteHost.failures > 0)
        .values(failures=0, unreachable_since=None)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def _get(session: AsyncSession, domain: str) -> RemoteHost:
    host = await session.get(RemoteHost, domain)
    if host is None:
        host = RemoteHost(domain=domain, failures=0)
        session.add(host)
    return host
