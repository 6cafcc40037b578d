"""SQLite statements in one thread round trip each behave as SQLAlchemy's own adapter's:
rows, counts, many rows at once, errors and rollbacks; an inbox batch's INSERTs make no
trip once its transaction holds the write lock; a statement that completes its transaction
is committed in the same trip, in its writer's turn."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import aiosqlite
import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from content.writer_turns import INLINE_INSERTS, commit_if
from node.database import create_engine, create_sessionmaker
from node.sqlite_trips import OneTripConnection

pytestmark = pytest.mark.anyio


async def test_statements_answer_as_the_database_does(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'trips.db'}")
    try:
        async with engine.begin() as connection:
            raw = await connection.get_raw_connection()
            assert isinstance(raw.dbapi_connection, OneTripConnection)  # what is tested here
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)"))
            await connection.execute(
                text("INSERT INTO t (id, name) VALUES (:id, :name)"),
                [{"id": n, "name": f"n{n}"} for n in range(1, 6)],  # many rows at once
            )
            added = await connection.execute(text("INSERT INTO t (name) VALUES ('six')"))
            assert added.lastrowid == 6
            changed = await connection.execute(text("UPDATE t SET name = 'x' WHERE id > 3"))
            assert changed.rowcount == 3
            rows = await connection.execute(text("SELECT id, name FROM t ORDER BY id"))
            assert [tuple(row) for row in rows] == [
                (1, "n1"), (2, "n2"), (3, "n3"), (4, "x"), (5, "x"), (6, "x")
            ]  # fmt: skip
            returned = await connection.execute(
                text("INSERT INTO t (id, name) VALUES (7, 'y') RETURNING id, name")
            )
            assert returned.one() == (7, "y")
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(text("INSERT INTO t (id, name) VALUES (8, 'z')"))
                await connection.execute(text("INSERT INTO t (id, name) VALUES (1, 'again')"))
        with pytest.raises(OperationalError):
            async with engine.connect() as connection:
                await connection.execute(text("SELECT nothing FROM nowhere"))
        async with engine.connect() as connection:  # the failed transaction left nothing
            assert await connection.scalar(text("SELECT count(*) FROM t")) == 7
    finally:
        await engine.dispose()


def _name_threads(connection: Any, _record: Any) -> None:
    connection.create_function("thread_name", 0, lambda: threading.current_thread().name)


async def test_a_batchs_inserts_run_in_the_event_loops_thread_once_it_holds_the_lock(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'inline.db'}")
    event.listen(engine.sync_engine, "connect", _name_threads)
    sessions = create_sessionmaker(engine)  # a batch's statements go through its session
    here = threading.current_thread().name
    insert = text("INSERT INTO t (id, thread) VALUES (:id, thread_name()) RETURNING id")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY, thread TEXT)"))
        inline = INLINE_INSERTS.set(True)
        try:
            async with sessions() as session, session.begin():
                await session.execute(insert, {"id": 1})  # takes the lock: not inline
                assert (await session.execute(insert, {"id": 2})).scalar() == 2
                await session.execute(insert, [{"id": 3}, {"id": 4}])
                await session.execute(text("UPDATE t SET thread = thread_name() WHERE id = 4"))
            with pytest.raises(IntegrityError):  # an inline failure rolls back like any other
                async with sessions() as session, session.begin():
                    await session.execute(insert, {"id": 5})
                    await session.execute(insert, {"id": 6})
                    await session.execute(insert, {"id": 1})
        finally:
            INLINE_INSERTS.reset(inline)
        async with sessions() as session, session.begin():  # unmarked work: all handed off
            await session.execute(insert, {"id": 7})
            await session.execute(insert, {"id": 8})
            rows = await session.execute(text("SELECT id, thread FROM t ORDER BY id"))
            threads = {number: name == here for number, name in rows}
        assert threads == {1: False, 2: True, 3: True, 4: False, 7: False, 8: False}
    finally:
        await engine.dispose()


async def test_a_statement_that_completes_its_transaction_commits_in_the_same_trip_in_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'commit.db'}")
    turns = engine.sync_engine.dialect.dbapi.turns  # type: ignore[union-attr]
    sessions = create_sessionmaker(engine)
    insert = text("INSERT INTO t (id) VALUES (:id) RETURNING id")
    trips: list[str] = []

    handed = aiosqlite.Connection._execute

    async def counted(connection: Any, function: Any, *args: Any, **kw: Any) -> Any:
        trips.append(function.__name__)
        return await handed(connection, function, *args, **kw)  # type: ignore[no-untyped-call]

    monkeypatch.setattr(aiosqlite.Connection, "_execute", counted)

    async def store(session: Any, number: int, *, complete: bool) -> list[Any]:
        with commit_if(lambda rows: complete and rows[0][0] == number):
            rows = (await session.execute(insert, {"id": number})).all()
        await session.commit()
        return list(rows)

    async def seen() -> list[int]:
        async with engine.connect() as connection:
            return list((await connection.scalars(text("SELECT id FROM t ORDER BY id"))).all())

    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        trips.clear()
        async with sessions() as session:
            assert await store(session, 1, complete=True) == [(1,)]
        assert trips == ["_run"]  # the commit went with the INSERT: no trip of its own
        assert await seen() == [1]
        trips.clear()
        async with sessions() as session:
            await store(session, 2, complete=False)  # not complete: committed on its own
        assert trips == ["_run", "commit"] and await seen() == [1, 2]
        async with sessions() as holder:  # a writer holding the turn: the next one waits
            await holder.execute(text("INSERT INTO t (id) VALUES (3)"))
            async with sessions() as session:
                waiting = asyncio.create_task(store(session, 4, complete=True))
                while turns.waiting < 1:
                    await asyncio.sleep(0.001)
                await holder.commit()
                await waiting
        assert await seen() == [1, 2, 3, 4] and turns.waiting == 0
    finally:
        await engine.dispose()
