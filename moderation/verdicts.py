"""Federation verdicts kept in memory: `policy.may_federate_with` is asked on every inbox POST
and for every item the worker applies, and its answer changes only when a domain block or
the allowlist does.

A verdict is kept for at most `TTL` seconds, so a change another process commits holds here
within a second. A session that changes `domain_blocks` or `allowed_domains` drops every
verdict of this process when its transaction ends, so a change made here holds at once; a
verdict read from the database while such a transaction committed is not kept (its
generation has passed), and a session with such a change of its own in hand reads the
database, not the memory.
"""

from __future__ import annotations

import time
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

TTL = 1.0
SIZE = 10_000
WATCHED = frozenset({"domain_blocks", "allowed_domains"})
CHANGED = "harbour.policy_changed"  # the `Session.info` flag of a session with a change

Key = tuple[object, str, str]  # (database, host, federation mode)

_kept: dict[Key, tuple[float, bool]] = {}
_generation = 0


def key(session: AsyncSession, host: str, mode: str) -> Key | None:
    """Where the verdict on `host` in `mode` is kept for `session`'s database; None when the
    session itself has changed the rules and must read them."""
    if session.info.get(CHANGED):
        return None
    return (session.bind.url, host, mode)  # type: ignore[union-attr]


def get(where: Key | None) -> bool | None:
    """The verdict kept, if it is fresh."""
    found = _kept.get(where) if where is not None else None
    if found is None or found[0] < time.monotonic():
        return None
    return found[1]


def generation() -> int:
    """Take before reading a verdict from the database; give it back to `put`."""
    return _generation


def put(where: Key | None, verdict: bool, read_at: int) -> None:
    """Keep a verdict read from the database, unless the rules changed meanwhile."""
    if where is None or read_at != _generation:
        return
    if len(_kept) >= SIZE:
        _kept.clear()
    _kept[where] = (time.monotonic() + TTL, verdict)


def drop_all() -> None:
    """Forget every verdict: the rules changed."""
    global _generation
    _generation += 1
    _kept.clear()


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _flush: UOWTransaction) -> None:
    changed = (*session.new, *session.dirty, *session.deleted)
    if any(getattr(row, "__tablename__", None) in WATCHED for row in changed):
        session.info[CHANGED] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_select:
        return
    table: Any = getattr(state.statement, "table", None)
    if getattr(table, "name", None) in WATCHED:
        state.session.info[CHANGED] = True


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_soft_rollback")
def _ended(session: Session, *_: object) -> None:
    if session.info.pop(CHANGED, False):
        drop_all()
