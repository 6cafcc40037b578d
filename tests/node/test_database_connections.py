"""PostgreSQL connections the server cut (a restart, a firewall forgetting idle ones): a
connection idle in the pool is checked before use, a busy one costs no check (issue 18)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from node import database
from node.database import create_engine, create_sessionmaker
from tests.rig.databases import PostgresDatabases

pytestmark = pytest.mark.anyio


@pytest.fixture
async def engine(postgresql_databases: PostgresDatabases) -> AsyncIterator[AsyncEngine]:
    """The node's engine on a new PostgreSQL database, dropped after the test."""
    url = postgresql_databases.create()
    made = create_engine(url)
    try:
        yield made
    finally:
        await made.dispose()
        postgresql_databases.drop(url)


async def cut_connections(engine: AsyncEngine) -> None:
    """The server ends every other connection to the database, as a restart would."""
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as admin:
        await admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


async def test_a_connection_cut_while_idle_is_replaced_before_use(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(database, "PING_AFTER_IDLE", 0.0)
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        assert await session.scalar(text("SELECT 1")) == 1
    await cut_connections(engine)
    async with sessions() as session:  # no error: the pool replaced it
        assert await session.scalar(text("SELECT 2")) == 2


async def test_a_connection_cut_while_busy_fails_one_statement_then_the_pool_recovers(
    engine: AsyncEngine,
) -> None:
    sessions = create_sessionmaker(engine)  # used again at once: no ping before its statements
    async with sessions() as session:
        assert await session.scalar(text("SELECT 1")) == 1
    await cut_connections(engine)
    with pytest.raises(DBAPIError):
        async with sessions() as session:
            await session.scalar(text("SELECT 2"))
    async with sessions() as session:
        assert await session.scalar(text("SELECT 3")) == 3
