"""A worker's liveness on PostgreSQL, proven by a session advisory lock.

Each `harbour worker` (or `serve` with its worker) holds, on a connection of its own, an
advisory lock keyed by a random number, and its inbox and delivery claims carry that number
(`owner`). PostgreSQL releases the lock as soon as the connection dies, a SIGKILL included:
another worker that can take the lock (`release_dead`) knows the claims are a dead
process's and gives them back at once. An inbox claim holds its host's other items too
(`inbox_apply.hosts_free`), so a killed worker's host had stalled for the whole lease, 5
minutes; its claimed deliveries (up to 1,000 of a fan-out) waited as long. The lease stays
the fallback: a worker alive but stuck, or claims made while its lock was being taken again.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets

from sqlalchemy import ColumnElement, Table, func, select, union, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from federation.jobs import OPEN_STATES, Job

log = logging.getLogger("harbour.worker")
LOCKS = 0x68627277  # the first key of every worker's lock (the second is its number)
MARK = "w"  # an owned claim: "w", the owner's number in 8 hex digits, then random hex
CHECK_SECONDS = 1.0  # how often the lock's connection is used (a dead one is noticed)
FIRST_RETRY = 1.0
LAST_RETRY = 60.0


class Liveness:
    """The lock this worker holds while it lives, and the owner its claims carry."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.owner: str | None = None  # None while no lock is held: claims carry no owner

    async def hold(self) -> None:
        """Hold a lock under a new number (each connection's own) until cancelled,
        taking another when the connection fails."""
        import psycopg  # here: a node on SQLite never loads it

        conninfo = make_url(self.database_url).set(drivername="postgresql")
        wait = FIRST_RETRY
        while True:
            number = secrets.randbelow(2**31)
            try:
                async with await psycopg.AsyncConnection.connect(
                    conninfo.render_as_string(hide_password=False),
                    autocommit=True,
                    application_name=f"harbour worker {os.getpid()}",
                ) as connection:
                    await connection.execute("SELECT pg_advisory_lock(%s, %s)", (LOCKS, number))
                    self.owner = f"{MARK}{number:08x}"
                    wait = FIRST_RETRY
                    while True:
                        await asyncio.sleep(CHECK_SECONDS)
                        await connection.execute("SELECT 1")
            except psycopg.Error as error:
                log.warning(
                    "the worker's liveness lock was lost (%s); taking another in %.0f s",
                    type(error).__name__,
                    wait,
                )
            finally:
                self.owner = None
            await asyncio.sleep(wait)
            wait = min(wait * 2, LAST_RETRY)


async def release_dead(session: AsyncSession, *models: type[Job]) -> int:
    """Give back the open jobs of `models` whose claim's owner holds no lock any more (the
    process died), and commit; returns how many. Taking a dead owner's lock in this
    transaction proves it is gone; a live owner's (this worker's too, held by another
    connection) cannot be taken."""
    tables = [model.__table__ for model in models]  # type: ignore[attr-defined]
    owners = await session.scalars(union(*(select(_owner(t)).where(_held(t)) for t in tables)))
    dead = []
    for found in owners.all():
        taking = func.pg_try_advisory_xact_lock(LOCKS, int(found[len(MARK) :], 16))
        if await session.scalar(select(taking)):
            dead.append(found)
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
