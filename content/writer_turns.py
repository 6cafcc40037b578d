"""SQLite's one writer, taken in turns inside the process, the inbox's writes first.

SQLite lets one transaction write at a time. Another waits in SQLite's busy handler, which
polls with sleeps of 1, 2, 5 ... 100 ms and is not fair: the worker, which commits an item
and begins the next at once, took the lock again and again while an inbox batch slept, and
every request waiting for that batch's 202 waited with it (issue 18). Here a transaction
takes its turn before its first write (`node.sqlite_trips`), from a queue in which `urgent`
writers (the inbox's group commit, whose callers wait for an answer) go first, and gives it
back when it commits or rolls back. Between processes nothing changes: SQLite's lock and
busy timeout decide, and a writer that has waited here as long as that timeout goes on to
SQLite without its turn. Work marked `INLINE_INSERTS` runs its INSERTs in the event loop's
thread once its transaction holds the lock: they then wait for no lock. A writer whose
transaction may end with its next statement (the inbox's group commit) says so with
`commit_if`: the statement and its commit then take one hand-off to SQLite's thread.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

URGENT: ContextVar[bool] = ContextVar("urgent_writes", default=False)
# Set by work whose transaction writes many small rows (the worker's inbox batches): once
# that transaction holds SQLite's write lock, its INSERTs run in the event loop's thread
# (`node.sqlite_trips`) instead of a hand-off to the connection's thread each.
INLINE_INSERTS: ContextVar[bool] = ContextVar("inline_inserts", default=False)
# Set by `commit_if` around one statement: whether its rows complete the transaction.
COMMIT_IF: ContextVar[Callable[[Sequence[Any]], bool] | None] = ContextVar(
    "commit_if", default=None
)
WAIT_SECONDS = 5.0  # SQLite's busy timeout (node.database)


class WriterTurns:
    """Who of this process's connections may write now; the others wait, urgent first."""

    def __init__(self) -> None:
        self._holder: object | None = None
        self._queue: list[tuple[int, int, asyncio.Future[None], object]] = []
        self._order = itertools.count()

    @property
    def waiting(self) -> int:
        """How many writers wait for their turn."""
        return sum(not waiter.done() for _, _, waiter, _ in self._queue)

    async def take(self, owner: object) -> None:
        """Wait for `owner`'s turn to write (at most WAIT_SECONDS)."""
        if self._holder is None or self._holder is owner:
            self._holder = owner
            return
        waiter = asyncio.get_running_loop().create_future()
        entry = (0 if URGENT.get() else 1, next(self._order), waiter, owner)
        heapq.heappush(self._queue, entry)
        try:
            async with asyncio.timeout(WAIT_SECONDS):
                await waiter
        except TimeoutError:
            return  # SQLite decides; given the turn at the last moment, it holds it
        except asyncio.CancelledError:
            self.give_back(owner)
            raise

    def holds(self, owner: object) -> bool:
        """Whether it is `owner`'s turn to write."""
        return self._holder is owner

    def give_back(self, owner: object) -> None:
        """`owner` has committed or rolled back: the next writer waiting goes."""
        if self._holder is not owner:
            return
        self._holder = None
        while self._queue:
            _, _, waiter, waiting = heapq.heappop(self._queue)
            if not waiter.done():
                self._holder = waiting
                waiter.set_result(None)
                return


@contextmanager
def commit_if(complete: Callable[[Sequence[Any]], bool]) -> Iterator[None]:
    """Within the block, a statement whose rows `complete(rows)` says end the transaction is
    committed with them on SQLite, in the same hand-off to the connection's thread
    (`node.sqlite_trips`), in its writer's turn; the session's own commit then finds nothing
    left to do. `complete` runs in that thread: it only reads the rows and what it holds.
    Elsewhere (PostgreSQL) nothing changes: the session's commit commits."""
    token = COMMIT_IF.set(complete)
    try:
        yield
    finally:
        COMMIT_IF.reset(token)
