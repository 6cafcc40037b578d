"""Writes of a batch of inbox items made together: one INSERT per table per batch.

The worker applies a host's inbox items in one transaction (`federation.inbox_apply`). Each
item stored alone costs a flush of its own (its post, mention and notification, one INSERT
each, and their feed rows) and its conversation's upsert: five statements a mention, each a
round trip on PostgreSQL and, with the unit of work around it, half the worker's CPU (issue
18). In a session marked `batched`, a stored note is not flushed at once (`defers_flush`) and
conversation rows wait (`later`), so the session's next flush writes every waiting post,
mention and notification with one INSERT per table (the unit of work's executemany), their
feed rows with one executemany per statement (`content.home_feed`), and then the waiting
conversation rows with one upsert.

Nothing reads around them: every statement the session runs (ORM or Core) flushes what
waits first, and the waiting rows with it (`_before_statement`), so a handler reading after
another item's write sees it as if it had been written at once. Only statements run on the
session's connection directly (flush hooks) go past them. A batch ends with `drain`; a
failure there belongs to no one item, and the worker splits the batch to find it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Executable, event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session

WAITING = "rows written at the batch's next flush"  # session.info: statement -> key -> row


def batched(session: AsyncSession) -> None:
    """Mark the session's writes as a batch's: written together at its next flush. (Its hook
    before each statement is the session's own: one on every session would cost every
    statement of the node SQLAlchemy's slower path for ORM events.)"""
    session.info[WAITING] = {}
    event.listen(session.sync_session, "do_orm_execute", _before_statement)


def defers_flush(session: AsyncSession) -> bool:
    """Whether a new row may wait for the batch's next flush instead of being flushed now."""
    return WAITING in session.info


def later(session: AsyncSession, statement: Executable, key: Any, row: dict[str, Any]) -> None:
    """Keep `row` for `statement` (an upsert by `key`: a later row of the same key replaces
    it, as running them in order would) until the batch's next flush (`defers_flush`)."""
    rows = session.info[WAITING].setdefault(statement, {})
    rows.pop(key, None)  # its place is that of the last write
    rows[key] = row


async def drain(session: AsyncSession) -> None:
    """Write everything the batch keeps waiting."""
    await session.run_sync(_write_all)


def _write_all(session: Session) -> None:
    session.flush()
    _write_waiting(session)


def _write_waiting(session: Session) -> None:
    """Run each waiting statement once with all its rows (after the rows they refer to)."""
    waiting: dict[Executable, dict[Any, dict[str, Any]]] | None = session.info.get(WAITING)
    if not waiting:
        return
    batches = list(waiting.items())
    waiting.clear()
    for statement, rows in batches:
        session.connection().execute(statement, list(rows.values()))


@event.listens_for(Session, "after_flush_postexec")
def _flushed(session: Session, _context: object) -> None:
    """The rows a flush wrote are there: the rows waiting on them follow."""
    _write_waiting(session)


def _before_statement(state: ORMExecuteState) -> None:
    """Before any statement of a batch's session, what waits is written (a Core statement
    would not flush otherwise until after this hook, and waiting rows must follow the flush
    of the rows they refer to)."""
    session = state.session
    if session.info.get(WAITING):
        session.flush()
        _write_waiting(session)
