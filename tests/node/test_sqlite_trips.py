"""SQLite statements in one thread round trip each behave as SQLAlchemy's own adapter's:
rows, counts, many rows at once, errors and rollbacks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, OperationalError

from node.database import create_engine
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
