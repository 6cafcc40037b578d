"""Health of remote hosts: failures in a row, unreachable since when, recovery."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.orm import Base, insert_of, utcnow

UNREACHABLE_AFTER_FAILURES = 5
DEAD_AFTER = timedelta(days=7)


class RemoteHost(Base):
    """What Harbour knows of a remote host's health. `domain` is its canonical host[:port]."""

    __tablename__ = "remote_hosts"

    domain: Mapped[str] = mapped_column(String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    unreachable_since: Mapped[datetime | None]
    last_success_at: Mapped[datetime | None]


async def record(session: AsyncSession, outcomes: dict[str, bool]) -> None:
    """Record, per host, whether it answered (True) or failed (False) just now. A host that
    answers is reachable again; after several failures in a row it is unreachable."""
    if not outcomes:
        return
    # Several workers may meet a new host at once: create its row without a conflict.
    dialect = session.bind.dialect.name  # type: ignore[union-attr]
    insert = insert_of(dialect)
    now = utcnow()
    # Rows are written in the order of their names: two processes recording the same hosts
    # in different orders deadlocked on PostgreSQL (tests/scenarios/test_guarantees_shared_
    # database.py), each holding a row the other waited for.
    answered = sorted(domain for domain, ok in outcomes.items() if ok)
    # Each statement is given its rows as parameters (one executemany): a VALUES list was a
    # new statement to compile for every number of hosts (issue 18).
    if answered:  # one statement for every host that answered, known or new
        statement = insert(RemoteHost.__table__)
        await session.execute(
            statement.on_conflict_do_update(
                index_elements=["domain"],
                set_={
                    "failures": 0,
                    "unreachable_since": None,
                    "last_success_at": statement.excluded.last_success_at,
                },
            ),
            [{"domain": domain, "failures": 0, "last_success_at": now} for domain in answered],
        )
    failed = sorted(domain for domain, ok in outcomes.items() if not ok)
    if not failed:
        return
    await session.execute(
        insert(RemoteHost.__table__).on_conflict_do_nothing(index_elements=["domain"]),
        [{"domain": domain, "failures": 0} for domain in failed],
    )
    for host in await session.scalars(
        select(RemoteHost).where(RemoteHost.domain.in_(failed)).order_by(RemoteHost.domain)
    ):
        host.failures += 1
        if host.failures >= UNREACHABLE_AFTER_FAILURES and host.unreachable_since is None:
            host.unreachable_since = now


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
