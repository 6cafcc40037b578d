"""Group commit: the writes of requests that arrive together made in one transaction.

A request hands its row to `GroupCommit.write` and waits. If no transaction is under way,
one starts with that row; rows arriving meanwhile wait for it to end and go together in the
next. Each caller gets its own answer only after the transaction that holds its row has
committed, so nothing is acknowledged before it is durable. A batch that fails is written
again one row at a time the long way, so one bad row fails only its own request. A `quick`
write, if given, is tried first without a session (its own transaction), with what `hold()`
gives (a database connection), held while batches keep coming: None sends the batch the
long way, through `write` in a session.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content.writer_turns import URGENT

T = TypeVar("T")
R = TypeVar("R")
MAX_BATCH = 200

Write = Callable[[AsyncSession, Sequence[T]], Awaitable[Sequence[R]]]
Quick = Callable[[Any, Sequence[T]], Awaitable[Sequence[R] | None]]
Hold = Callable[[], AbstractAsyncContextManager[Any]]
_LONG_WAY = object()  # held instead of what `hold()` gives: no quick write


class GroupCommit(Generic[T, R]):
    """Runs `write(session, rows)` (one result per row, in order) for the rows callers hand
    in, in shared transactions, one transaction at a time; `quick(held, rows)` first, if
    given, with what `hold()` gives, taken once for a run of batches (a pooled connection's
    checkout and return cost ~0.1 CPU-ms, more than a one-row batch's INSERT on SQLite)."""

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        write: Write[T, R],
        quick: Quick[T, R] | None = None,
        hold: Hold = nullcontext,
    ) -> None:
        self.sessions = sessions
        self._write = write
        self._quick = quick
        self._hold = hold
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._writing: asyncio.Task[None] | None = None

    async def write(self, row: T) -> R:
        """Write `row` with whatever else is waiting; its result once committed."""
        answer: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._waiting.append((row, answer))
        if self._writing is None or self._writing.done():
            self._writing = asyncio.create_task(self._drain())
        return await answer

    async def _drain(self) -> None:
        URGENT.set(True)  # callers wait for their answer: SQLite's writer turn goes here first
        while self._waiting:
            try:
                async with self._hold() as held:
                    await self._batches(held)
            except Exception:  # nothing to hold (or it failed when given back): the long way
                await self._batches(_LONG_WAY)

    async def _batches(self, held: Any) -> None:
        """Commit batches while rows wait, the quick way with `held` (unless it is
        `_LONG_WAY`); after a batch failed, its rows each on their own the long way, and
        back to `_drain` for a fresh `held`."""
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            try:
                results = await self._commit([row for row, _ in batch], held)
            except asyncio.CancelledError:  # the node is stopping: so are the requests
                for _, answer in batch:
                    answer.cancel()
                raise
            except Exception:  # one bad row: each on its own, so it fails only its request
                for row, answer in batch:
                    await self._commit_alone(row, answer)
                return
            for (_, answer), result in zip(batch, results, strict=True):
                if not answer.done():
                    answer.set_result(result)

    async def _commit(self, rows: Sequence[T], held: Any) -> Sequence[R]:
        quick = None if held is _LONG_WAY else self._quick
        if quick is not None and (results := await quick(held, rows)) is not None:
            return results
        async with self.sessions() as session:
            results = await self._write(session, rows)
            await session.commit()
        return results

    async def _commit_alone(self, row: T, answer: asyncio.Future[R]) -> None:
        try:
            [result] = await self._commit([row], _LONG_WAY)
        except Exception as error:
            if not answer.done():
                answer.set_exception(error)
            return
        if not answer.done():
            answer.set_result(result)
