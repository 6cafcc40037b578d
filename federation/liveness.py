"""A worker's liveness on PostgreSQL, proven by a session advisory lock.

Each `harbour worker` (or `serve` with its worker) holds, on a connection of its own, an
advisory lock keyed by a random number, and its inbox and delivery claims carry that number
(`owner`). PostgreSQL releases the lock as soon as the connection dies, a SIGKILL included.
Another worker that finds the lock takeable on passes at least GRACE apart (never seen held
between, nor passes more than SAMPLES_APART apart) gives the claims back (`release_dead`):
a killed worker's claims (a host's inbox items, up to 1,000 deliveries of a fan-out) are
due again within GRACE, where they had waited out the 5-minute lease.

A lock is also lost by a LIVE worker whose connection is cut (pg_terminate_backend, a
dropped idle connection). It takes the same number again (`hold`), and meanwhile starts no
send or apply of its claims (`ready`): what it has in flight ends within the transport's
DEADLINE, well inside GRACE. Released at once, its claimed deliveries were sent again by
another worker while it still sent them. After a cut it waits HOLD_OFF before going on, so
no lock held too briefly to be seen between another worker's passes starts work; after a
cut nearly as long as GRACE it leaves what it claimed before (`epoch`), which may be
another worker's by then, and gives it back. Sending is exactly once across a cut shorter
than GRACE; beyond, at least once (as the transport's retry on a closed connection already
is), and the claim check keeps every outcome right. The lease stays the fallback (a worker
alive but stuck, or frozen with its lock held: only its sends in flight go twice, each send
being recorded before its sender's next, `host_queue`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import time
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Table, func, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from content.kept_connection import keep_connected
from federation.jobs import OPEN_STATES, Job
from federation.transport import DEADLINE

if TYPE_CHECKING:
    from psycopg import AsyncConnection

log = logging.getLogger("harbour.worker")
LOCKS = 0x68627277  # the first key of every worker's lock (the second is its number)
MARK = "w"  # an owned claim: "w", the owner's number in 8 hex digits, then random hex
CHECK_SECONDS = 1.0  # how often the lock's connection is used (a dead one is noticed)
STALE_SECONDS = 2.5  # a lock not confirmed for this long counts as lost: no new work starts
SAMPLES_APART = 4.0  # a releaser's looks further apart than this prove no death throughout
HOLD_OFF = SAMPLES_APART + STALE_SECONDS + 0.5  # a lock taken again is held this long first
GRACE = DEADLINE + STALE_SECONDS + 7.5  # dead this long before its claims go back: 30 s
WAIT_STEP = 0.05  # how often work waiting for the lock looks again


class Liveness:
    """The lock this worker holds while it lives, and the owner its claims carry."""

    def __init__(self, database_url: str, *, grace: float = GRACE) -> None:
        self.database_url = database_url
        self.grace = grace
        self.number = secrets.randbelow(2**31)
        self.owner = f"{MARK}{self.number:08x}"
        self.epoch = 0  # claims of an earlier epoch may be another worker's (`ready`)
        self.taken = asyncio.Event()  # set once the lock was first taken
        self._holding = False
        self._open_at = 0.0  # when work may start under the lock held now
        self._confirmed = -STALE_SECONDS  # when the lock was last known held
        self._last_open: float | None = None  # ... while work could start

    async def hold(self) -> None:
        """Hold the lock until cancelled, taking it again under the same number when the
        connection fails or stops answering (`keep_connected`)."""
        await keep_connected(
            self.database_url,
            self._take,
            self._keep,
            "the worker's liveness lock was lost (%s); taking it again in %.0f s",
            log,
            application_name=f"harbour worker {os.getpid()}",
        )

    async def _take(self, connection: AsyncConnection[Any]) -> None:
        await connection.execute("SELECT pg_advisory_lock(%s, %s)", (LOCKS, self.number))
        self._took()

    async def _keep(self, connection: AsyncConnection[Any]) -> None:
        """Confirm the lock every CHECK_SECONDS until the connection fails or takes longer
        than STALE_SECONDS to answer."""
        try:
            while True:
                await asyncio.sleep(CHECK_SECONDS)
                asked = time.monotonic()
                async with asyncio.timeout(STALE_SECONDS):
                    await connection.execute("SELECT 1")
                self._confirm(asked)
        finally:
            self._holding = False

    def _took(self) -> None:
        now = time.monotonic()
        if self._last_open is not None and now - self._last_open >= self.grace - STALE_SECONDS:
            self.epoch += 1  # another worker may have given back what was claimed before
        self._open_at = now if self._last_open is None else now + HOLD_OFF
        self._holding = True
        self.taken.set()
        self._confirm(now)

    def _confirm(self, asked: float) -> None:
        self._confirmed = asked
        if asked >= self._open_at:
            self._last_open = asked

    def ready(self, epoch: int) -> bool | None:
        """Whether work claimed in `epoch` may start now: True; None while the lock is
        being taken again (not yet); False once it may be another worker's (never)."""
        if epoch != self.epoch:
            return False
        now = time.monotonic()
        if self._holding and self._open_at <= now and now - self._confirmed < STALE_SECONDS:
            return True
        return None

    async def wait_ready(self, epoch: int) -> bool:
        """Wait while work claimed in `epoch` may not start yet; whether it may."""
        while (answer := self.ready(epoch)) is None:
            await asyncio.sleep(WAIT_STEP)
        return answer


Deaths = dict[str, tuple[float, float]]
"""A releasing worker's owners seen dead: when first, when last (`release_dead`)."""


async def release_dead(
    session: AsyncSession, deaths: Deaths, *models: type[Job], grace: float = GRACE
) -> int:
    """Give back the open jobs of `models` whose claim's owner has held no lock for `grace`
    (the process died), and commit; returns how many. Taking an owner's lock in this
    transaction proves it dead now; `deaths` keeps since when, across calls, as long as
    calls are at most SAMPLES_APART apart. A live owner's lock (this worker's too, held by
    another connection) cannot be taken, and it is forgotten."""
    tables = [model.__table__ for model in models]  # type: ignore[attr-defined]
    owners = await session.scalars(union(*(select(_owner(t)).where(_held(t)) for t in tables)))
    now, dead, seen = time.monotonic(), [], set()
    for found in owners.all():
        seen.add(found)
        taking = func.pg_try_advisory_xact_lock(LOCKS, int(found[len(MARK) :], 16))
        if not await session.scalar(select(taking)):
            deaths.pop(found, None)
            continue
        first, last = deaths.get(found, (now, now))
        first = first if now - last <= SAMPLES_APART else now
        deaths[found] = (first, now)
        if now - first >= grace:
            dead.append(found)
    for gone in (deaths.keys() - seen).union(dead):
        del deaths[gone]  # no claim left, or given back now
    released = 0
    for table in tables if dead else []:
        result = await session.execute(
            update(table)
            .where(_owner(table).in_(dead), _held(table))
            .values(claim=None, locked_until=None)
        )
        released += int(result.rowcount or 0)  # type: ignore[attr-defined]
    await session.commit()  # the dead owners' locks, taken to prove it, go with it
    return released


def _owner(table: Table) -> ColumnElement[str]:
    return func.substr(table.c.claim, 1, len(MARK) + 8)


def _held(table: Table) -> ColumnElement[bool]:
    """Open jobs claimed by an owner."""
    return table.c.claim.like(f"{MARK}%") & table.c.state.in_(OPEN_STATES)
