"""One thread round trip per SQLite statement.

aiosqlite runs each SQLite call in the connection's own thread, and SQLAlchemy's adapter
makes four calls a statement (open a cursor, execute, fetch the rows, close): four hand-offs
between the event loop and that thread, which cost more than the statement itself (issue
18: about half of applying an inbox item on two busy cores). `OneTrip` is SQLAlchemy's
adapter with a cursor that makes all four in one hand-off and keeps what they returned, and
no hand-off for a rollback or commit outside a transaction; everything else (transactions,
errors, pooling) is SQLAlchemy's own. It is given to the
engine as its DBAPI module (`create_async_engine(..., module=...)`).

In work marked `content.writer_turns.INLINE_INSERTS` (the worker's inbox batches), an
INSERT in a transaction that already holds SQLite's write lock makes no hand-off at all: it
runs in the event loop's thread, where it waits for no lock (this process's writers take
turns, and WAL readers never block a writer). Under load the hand-offs, not the statements,
were most of a batch's wall time (each woke the connection's thread, which then waited for
the GIL; issue 18). The first write of a transaction (it may wait for another process's
lock), its reads, UPDATEs and DELETEs (a DELETE may cascade far) and its commit (a WAL
checkpoint writes to disk) still go to the connection's thread.

Within `content.writer_turns.commit_if`, a statement whose rows complete its transaction is
committed in the same hand-off as it ran, after taking the writer's turn like any other; the
session's commit then makes no trip. `OneTripConnection.write_alone` goes further for the
inbox's group commit: a statement run and committed in one hand-off, in the writer's turn,
without SQLAlchemy's execution around it.
"""

from __future__ import annotations

import collections
import sqlite3
from collections.abc import Callable, Sequence
from typing import Any

import aiosqlite
from sqlalchemy.dialects.sqlite.aiosqlite import (
    AsyncAdapt_aiosqlite_connection,
    AsyncAdapt_aiosqlite_cursor,
    AsyncAdapt_aiosqlite_dbapi,
)
from sqlalchemy.util import EMPTY_DICT
from sqlalchemy.util.concurrency import await_

from content.writer_turns import COMMIT_IF, INLINE_INSERTS, WriterTurns

Outcome = tuple[Any, int, int | None, list[Any]]  # description, rowcount, lastrowid, rows
Complete = Callable[[Sequence[Any]], bool]


def _run(
    connection: sqlite3.Connection,
    many: bool,
    operation: str,
    parameters: Any,
    complete: Complete | None = None,
) -> Outcome:
    """In the connection's thread: the statement run on a cursor of its own, whole, and
    committed when `complete` says its rows end the transaction."""
    cursor = connection.cursor()
    try:
        if many:
            cursor.executemany(operation, parameters)
        else:
            cursor.execute(operation, () if parameters is None else parameters)
        rows = cursor.fetchall() if cursor.description else []
        outcome = cursor.description, cursor.rowcount, cursor.lastrowid, rows
    finally:
        cursor.close()
    if complete is not None and connection.in_transaction and complete(rows):
        connection.commit()
    return outcome


def _committed(connection: sqlite3.Connection, statement: str, parameters: Any) -> list[Any]:
    """In the connection's thread: `statement`'s rows, committed (rolled back on failure)."""
    try:
        rows = connection.execute(statement, parameters).fetchall()
        connection.commit()
    except BaseException:
        connection.rollback()
        raise
    return rows


class OneTripCursor(AsyncAdapt_aiosqlite_cursor):
    """A cursor whose statement, rows and closing take one hand-off to the thread."""

    __slots__ = ("_outcome",)

    def __init__(self, adapt_connection: AsyncAdapt_aiosqlite_connection) -> None:
        # Not the parent's: it would open an aiosqlite cursor, a hand-off of its own.
        self._adapt_connection = adapt_connection
        self._connection = adapt_connection._connection
        self._soft_closed_memoized = EMPTY_DICT
        self._rows = collections.deque()
        self._outcome: Outcome = (None, -1, None, [])

    @property
    def description(self) -> Any:
        return self._outcome[0]

    @property
    def rowcount(self) -> int:
        return self._outcome[1]

    @property
    def lastrowid(self) -> Any:
        return self._outcome[2]

    def execute(self, operation: Any, parameters: Any = None) -> Any:
        return self._one_trip(False, operation, parameters)

    def executemany(self, operation: Any, seq_of_parameters: Any) -> Any:
        return self._one_trip(True, operation, seq_of_parameters)

    def _one_trip(self, many: bool, operation: Any, parameters: Any) -> None:
        connection: Any = self._connection  # an aiosqlite.Connection
        try:
            if INLINE_INSERTS.get() and _inserts(operation) and self._holds_lock():
                self._outcome = _run(connection._conn, many, operation, parameters)
            else:
                self._outcome = await_(self._trip(many, operation, parameters))
        except Exception as error:
            self._adapt_connection._handle_exception(error)
        self._rows = collections.deque(self._outcome[3])

    def _holds_lock(self) -> bool:
        """Whether this connection's transaction has written, in its turn: it holds SQLite's
        write lock, and no writer of this process waits on it."""
        adapted: Any = self._adapt_connection
        return bool(self._connection.in_transaction) and adapted.dbapi.turns.holds(adapted)

    async def _trip(self, many: bool, operation: Any, parameters: Any) -> Outcome:
        connection: Any = self._connection  # an aiosqlite.Connection
        adapted: Any = self._adapt_connection
        turns: WriterTurns = adapted.dbapi.turns
        # sqlite3 begins a transaction before a statement that starts with one of these
        # words, and SQLite then holds its one write lock until the commit: take the turn.
        writes = not connection.in_transaction and _begins(operation)
        if writes:
            await turns.take(adapted)
        try:
            async with adapted._execute_mutex:
                outcome: Outcome = await connection._execute(
                    _run, connection._conn, many, operation, parameters, COMMIT_IF.get()
                )
        finally:
            if writes and not connection.in_transaction:
                turns.give_back(adapted)
        return outcome

    async def _async_soft_close(self) -> None:
        """Nothing to close: the statement's cursor closed in its trip."""

    def close(self) -> None:
        self._rows.clear()


class OneTripConnection(AsyncAdapt_aiosqlite_connection):
    """SQLAlchemy's aiosqlite connection, with `OneTripCursor`s; a rollback or commit with
    no transaction open (the pool rolls back every connection handed back, most of them
    committed already) makes no trip at all: SQLite would do nothing."""

    __slots__ = ()
    _cursor_cls = OneTripCursor  # type: ignore[assignment]

    def rollback(self) -> None:
        try:
            if self._in_transaction():
                super().rollback()
        finally:
            self.dbapi.turns.give_back(self)

    def commit(self) -> None:
        try:
            if self._in_transaction():
                super().commit()
        finally:
            if not self._in_transaction():
                self.dbapi.turns.give_back(self)

    def close(self) -> None:
        try:
            super().close()
        finally:
            self.dbapi.turns.give_back(self)

    def terminate(self) -> None:
        """A connection thrown away (SQLAlchemy invalidates one whose statement was
        cancelled: a client gone, a timeout) ends its turn too; it had kept it for good."""
        try:
            super().terminate()
        finally:
            self.dbapi.turns.give_back(self)

    async def write_alone(self, statement: str, parameters: Sequence[Any]) -> list[Any] | None:
        """The rows of the write `statement` (SQL with `?` placeholders) run with
        `parameters` in a transaction of its own (none may be open), committed in the same
        hand-off to the connection's thread, in this process's writer turn; None if SQLite
        refused it, for the caller to go the long way, where SQLAlchemy says why. Not
        through SQLAlchemy's execution: its parameters, cursor, result and greenlets cost a
        one-row batch of the inbox ~0.2 CPU-ms more than this (issue 18)."""
        turns: WriterTurns = self.dbapi.turns
        await turns.take(self)
        try:
            async with self._execute_mutex:
                thread: Any = self._connection  # an aiosqlite.Connection
                rows: list[Any] = await thread._execute(
                    _committed, thread._conn, statement, parameters
                )
                return rows
        except sqlite3.Error:
            return None
        finally:
            turns.give_back(self)

    def _in_transaction(self) -> bool:
        connection: Any = self._connection  # an aiosqlite.Connection, open or closed
        return connection._connection is not None and bool(connection.in_transaction)


class OneTrip(AsyncAdapt_aiosqlite_dbapi):
    """SQLAlchemy's aiosqlite DBAPI module, making `OneTripConnection`s, which take turns
    to write (one engine, one database: one queue)."""

    def __init__(self, *args: Any, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.turns = WriterTurns()

    def connect(self, *arg: Any, **kw: Any) -> OneTripConnection:
        adapted = super().connect(*arg, **kw)
        return OneTripConnection(self, adapted._connection)


def one_trip() -> OneTrip:
    """The DBAPI module to give an aiosqlite engine."""
    return OneTrip(aiosqlite, sqlite3)


_WRITES = ("insert", "update", "delete", "replace")


def _inserts(operation: str) -> bool:
    """Whether `operation` is an INSERT (with or without ON CONFLICT)."""
    return operation.lstrip()[:6].lower() == "insert"


def _begins(operation: str) -> bool:
    """Whether sqlite3 begins a transaction before `operation` (its first word is one of
    INSERT, UPDATE, DELETE or REPLACE; SQLAlchemy writes no comments before it)."""
    return operation.lstrip()[:7].lower().startswith(_WRITES)
