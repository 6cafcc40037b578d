"""Durable jobs: rows with a state, attempts and a due time, claimed by workers.

A claim sets a token and a lease (`locked_until`). A worker that dies mid-job loses its lease
when it expires and the job is claimed again, so nothing is lost. Before acting on a job and
before recording its outcome a worker checks that its claim still holds, so a worker whose
lease ran out never overwrites another's work (a delivery may then be sent twice; receivers
drop the duplicate by activity id). On PostgreSQL several
workers share a table: the claim skips rows another worker holds (FOR UPDATE SKIP LOCKED)
and re-checks the lease, so no job is taken twice. Work queued on PostgreSQL is announced
(`announce`) in its own transaction, so the worker processes listening (`wakeups`) wake once
it commits.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Index,
    String,
    Table,
    Text,
    Update,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from content.orm import partial_index, utcnow

LEASE = timedelta(minutes=5)
OPEN_STATES = ("queued", "retry")
CHANNEL = "harbour_jobs"  # the PostgreSQL channel new work is announced on


class Job:
    """Columns every job table has."""

    state: Mapped[str] = mapped_column(String(16), default="queued", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    locked_until: Mapped[datetime | None]
    claim: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)


J = TypeVar("J", bound=Job)


def claim_index(table: str) -> Index:
    """The index a claim is looked up by. Only claimed jobs have a token, so it stays as
    small as the work in hand however many ended jobs are kept; `claim = :token` implies
    `claim IS NOT NULL`, so both databases use it with a bound token."""
    return partial_index(f"ix_{table}_claim", "claim", where=text("claim IS NOT NULL"))


async def claim_due(
    session: AsyncSession,
    model: type[J],
    limit: int,
    *where: ColumnElement[bool],
    lease: timedelta = LEASE,
    serial: int | None = None,
    owner: str = "",
) -> list[J]:
    """Lease up to `limit` due jobs of `model` (that also meet `where`) to this worker for
    `lease`, committed, and return them in the order they were made (their ids: an inbox
    item's Delete after its Create). They come back from the leasing UPDATE itself
    (RETURNING, both databases): no SELECT of them by claim token after the commit, a round
    trip fewer a claim. With `serial`, an advisory lock's key on PostgreSQL, such claims are
    made one at a time across processes, so a `where` that reads what others hold (a
    host's inbox items held by another worker) sees every claim before its own. The token
    starts with `owner` (`liveness`: whose death gives the jobs back at once)."""
    _, leasing = lease_statement(session, model, limit, *where, lease=lease, owner=owner)
    if serial is not None and session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        await session.execute(select(func.pg_advisory_xact_lock(serial)))  # until the commit
    table = model.__table__  # type: ignore[attr-defined]
    leased = select(model).from_statement(leasing.returning(*table.c))
    claimed = list((await session.scalars(leased)).all())
    await session.commit()
    return sorted(claimed, key=lambda job: job.id)


def lease_statement(
    session: AsyncSession,
    model: type[Job],
    limit: int,
    *where: ColumnElement[bool],
    lease: timedelta = LEASE,
    owner: str = "",
) -> tuple[str, Update]:
    """A new claim token (starting with `owner`) and the UPDATE that leases up to `limit`
    due jobs of `model` (that also meet `where`) to it for `lease` (a caller may add
    RETURNING and commit itself)."""
    now = utcnow()
    token = (owner + secrets.token_hex(16))[:32]
    table = model.__table__  # type: ignore[attr-defined]
    due = (
        select(table.c.id)
        .where(*due_now(model, now), *where)
        .order_by(table.c.next_attempt_at, table.c.id)  # a group commit's rows tie
        .limit(limit)
    )
    if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        due = due.with_for_update(skip_locked=True)
    leasing = (
        update(table)
        .where(table.c.id.in_(due.scalar_subquery()), _unleased(table, now))
        .values(claim=token, locked_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return token, leasing


async def release_all(session: AsyncSession, model: type[Job]) -> int:
    """Give back every lease on open jobs of `model`, for a worker that knows no other one
    runs (SQLite: one process, `node.sqlite_lock`): the claims it finds are a dead process's.
    Returns how many; the caller commits."""
    table = model.__table__  # type: ignore[attr-defined]
    result = await session.execute(
        update(table)
        .where(table.c.claim.is_not(None), table.c.state.in_(OPEN_STATES))
        .values(claim=None, locked_until=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


async def give_back(session: AsyncSession, model: type[Job], held: dict[str, list[int]]) -> None:
    """Give back, due again at once, those of these jobs (ids by claim token) this worker
    still holds: work it will not start (`liveness`: claimed before a long cut, maybe
    another worker's already). The caller commits."""
    table = model.__table__  # type: ignore[attr-defined]
    giving = (
        update(table)
        .where(
            table.c.id.in_(bindparam("ids", expanding=True)),
            table.c.claim == bindparam("token"),
            table.c.state.in_(OPEN_STATES),
        )
        .values(claim=None, locked_until=None)
    )
    for token, ids in held.items():
        await session.execute(giving, {"ids": ids, "token": token})


def due_now(
    model: type[Job], now: datetime | ColumnElement[datetime]
) -> tuple[ColumnElement[bool], ...]:
    """What makes a job of `model` due at `now` (or at a statement's `run_time`): open, its
    time come, and nobody's lease."""
    table = model.__table__  # type: ignore[attr-defined]
    return (table.c.state.in_(OPEN_STATES), table.c.next_attempt_at <= now, _unleased(table, now))


def run_time(model: type[Job]) -> BindParameter[datetime]:
    """The time a statement built once is run at, to compare with `model`'s times: each
    run reads the clock (`utcnow`), where a time written into a statement was its build's."""
    table = model.__table__  # type: ignore[attr-defined]
    return bindparam(None, type_=table.c.next_attempt_at.type, callable_=utcnow)


def _unleased(table: Table, now: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    """Nobody's lease holds the job at `now`: never leased, or the lease ran out."""
    return or_(table.c.locked_until.is_(None), table.c.locked_until < now)


async def still_claimed(session: AsyncSession, model: type[J], job_id: int, claim: str) -> J | None:
    """The job if this worker's claim on it still holds (and it is still open), else None."""
    table = model.__table__  # type: ignore[attr-defined]
    return await session.scalar(
        select(model).where(
            table.c.id == job_id, table.c.claim == claim, table.c.state.in_(OPEN_STATES)
        )
    )


async def renew(
    session: AsyncSession, model: type[Job], claim: str, ids: list[int], lease: timedelta
) -> tuple[set[int], datetime]:
    """Hold those of these jobs of `model` this worker still holds under `claim` (and still
    open) for `lease` from now, committed: their ids, and the lease's new end."""
    table = model.__table__  # type: ignore[attr-defined]
    until = utcnow() + lease
    renewed = await session.scalars(
        update(table)
        .where(*_held_of(table, claim, ids))
        .values(locked_until=until)
        .returning(table.c.id)
    )
    held = set(renewed)
    await session.commit()
    return held, until


async def held(session: AsyncSession, model: type[Job], claim: str, ids: list[int]) -> set[int]:
    """Those of these jobs of `model` this worker still holds under `claim`, still open."""
    table = model.__table__  # type: ignore[attr-defined]
    return set(await session.scalars(select(table.c.id).where(*_held_of(table, claim, ids))))


def _held_of(table: Table, claim: str, ids: list[int]) -> tuple[ColumnElement[bool], ...]:
    """Which of these jobs of `table` are held under `claim`, and still open."""
    return (table.c.id.in_(ids), table.c.claim == claim, table.c.state.in_(OPEN_STATES))


async def finish_held(
    session: AsyncSession,
    model: type[Job],
    held: dict[str, list[int]],
    state: str,
    *also: ColumnElement[bool],
    **values: Any,
) -> set[int]:
    """Close in `state`, setting `values` too, those of these jobs (ids by claim token) this
    worker still holds (and that meet `also`): one UPDATE per token instead of loading each
    row. Returns their ids."""
    ending = finishing(model, state, *also, **values)
    closed: set[int] = set()
    for claim, ids in held.items():
        closed.update((await session.execute(ending, {"ids": ids, "token": claim})).scalars())
    return closed


def finishing(
    model: type[Job],
    state: str,
    *also: ColumnElement[bool],
    returning: Sequence[ColumnElement[Any]] = (),
    **values: Any,
) -> Update:
    """The UPDATE that closes in `state`, setting `values` too, the jobs of `model` with ids
    `ids` that this worker still holds under the claim `token` (and that meet `also`),
    returning their ids (and `returning`): made once, run with each token's parameters."""
    table = model.__table__  # type: ignore[attr-defined]
    return (
        update(table)
        .where(
            table.c.id.in_(bindparam("ids", expanding=True)),
            table.c.claim == bindparam("token"),
            table.c.state.in_(OPEN_STATES),
            *also,
        )
        .values(state=state, claim=None, locked_until=None, **values)
        .returning(table.c.id, *returning)
    )


async def announce(session: AsyncSession) -> None:
    """On PostgreSQL, NOTIFY the worker processes listening (`wakeups.listen`) in the
    caller's transaction: they wake when it commits, and not at all if it rolls back. On
    SQLite, the one process wakes its worker with `Federation.notify`."""
    if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        await session.execute(text("SELECT pg_notify(:channel, '')"), {"channel": CHANNEL})


def finish(job: Job, state: str) -> None:
    """Close a job in a final state."""
    job.state = state
    job.locked_until = None
    job.claim = None


def retry(job: Job, after: timedelta | None, error: str, *, final_state: str) -> None:
    """Schedule another attempt after `after`, or close the job if `after` is None."""
    job.last_error = error[:2000]
    if after is None:
        finish(job, final_state)
        return
    job.state = "retry"
    job.next_attempt_at = utcnow() + after
    job.locked_until = None
    job.claim = None


async def prune(session: AsyncSession, model: type[Job], older_than: timedelta) -> int:
    """Delete jobs of `model` that ended (were last due) more than `older_than` ago; open
    jobs are never touched. Returns how many went."""
    cutoff = utcnow() - older_than
    result = await session.execute(
        delete(model).where(model.state.not_in(OPEN_STATES), model.next_attempt_at < cutoff)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
