"""SQLite's one writer inside a process: the inbox's shared commit writes before the worker
waiting with it, and a writer's turn ends with its transaction (issue 18)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from content.writer_turns import URGENT, WAIT_SECONDS
from node.database import create_engine, create_sessionmaker

pytestmark = pytest.mark.anyio


async def write(engine: AsyncEngine, name: str, *, urgent: bool = False) -> None:
    URGENT.set(urgent)  # this task's own context
    async with create_sessionmaker(engine)() as session:
        await session.execute(text("INSERT INTO seen (name) VALUES (:name)"), {"name": name})
        await session.commit()


async def test_urgent_writes_go_before_others_waiting_and_turns_end_with_transactions(
    tmp_path: Path,
) -> None:
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    turns = engine.sync_engine.dialect.dbapi.turns  # type: ignore[attr-defined]
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE seen (name TEXT)"))
        async with create_sessionmaker(engine)() as holder:
            await holder.execute(text("INSERT INTO seen (name) VALUES ('holder')"))
            worker = asyncio.create_task(write(engine, "worker"))
            while turns.waiting < 1:
                await asyncio.sleep(0.001)
            inbox = asyncio.create_task(write(engine, "inbox", urgent=True))
            while turns.waiting < 2:
                await asyncio.sleep(0.001)
            await holder.commit()
        await asyncio.gather(worker, inbox)
        await write(engine, "after")  # nobody holds a turn now: no wait
        async with engine.connect() as connection:
            rows = await connection.execute(text("SELECT name FROM seen ORDER BY rowid"))
            assert [row[0] for row in rows] == ["holder", "inbox", "worker", "after"]
        assert turns.waiting == 0
    finally:
        await engine.dispose()


async def test_a_writer_cancelled_mid_transaction_gives_its_turn_back(tmp_path: Path) -> None:
    """A request cancelled while it writes (a client gone, a timeout): SQLAlchemy throws its
    connection away (`terminate`, not `close`), and that ends its turn too. It did not: every
    later writer of the process waited WAIT_SECONDS (5 s) for a turn nobody would give back,
    the inbox's shared commits among them."""
    engine = create_engine(f"sqlite:///{tmp_path / 'turns.db'}")
    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE seen (name TEXT)"))

        async def two_writes() -> None:
            async with create_sessionmaker(engine)() as session:
                await session.execute(text("INSERT INTO seen (name) VALUES ('cancelled')"))
                await session.execute(text("INSERT INTO seen (name) VALUES ('cancelled')"))
                await asyncio.sleep(0.01)
                await session.commit()

        for steps in range(30):  # cancelled at each point of its transaction in turn
            writer = asyncio.create_task(two_writes())
            for _ in range(steps):
                await asyncio.sleep(0)
            writer.cancel()
            with pytest.raises(asyncio.CancelledError):
                await writer
            async with asyncio.timeout(WAIT_SECONDS / 2):  # not behind a turn held forever
                await write(engine, f"after {steps}")
    finally:
        await engine.dispose()
