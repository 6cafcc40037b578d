"""PostgreSQL connections the server cut (a restart, a firewall forgetting idle ones): a
connection idle in the pool is checked before use, a busy one costs no check (issue 18)."""

from __future__ import annotations

import asyncio
import os
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from content.orm import libpq_conninfo
from federation import liveness, wakeups
from node import database
from node.database import create_engine, create_sessionmaker
from tests.rig.databases import PostgresDatabases

pytestmark = pytest.mark.anyio
TCP_USER_TIMEOUT = 18  # Linux's option (the socket module names it only from Python 3.12)
TCP_BOUNDS = (socket.TCP_KEEPIDLE, socket.TCP_KEEPINTVL, socket.TCP_KEEPCNT, TCP_USER_TIMEOUT)


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


async def test_a_read_only_session_runs_outside_a_transaction_and_hands_back_a_normal_one(
    engine: AsyncEngine,
) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        await database.reading_only(session)
        await session.scalar(text("SELECT 1"))
        raw = (await session.connection()).sync_connection
        assert raw is not None and not in_transaction(raw.connection.dbapi_connection)
    async with sessions() as session:  # the pool's one connection, in a transaction again
        await session.execute(text("CREATE TABLE kept_or_not (n int)"))
        raw = (await session.connection()).sync_connection
        assert raw is not None and in_transaction(raw.connection.dbapi_connection)
    async with sessions() as session:  # closed without a commit: rolled back
        assert await session.scalar(text("SELECT to_regclass('kept_or_not')")) is None


def in_transaction(dbapi_connection: object) -> bool:
    """Whether psycopg's connection (under SQLAlchemy's adapter) is inside a transaction."""
    connection: psycopg.AsyncConnection[object] = dbapi_connection._connection  # type: ignore[attr-defined]
    return connection.info.transaction_status != psycopg.pq.TransactionStatus.IDLE


async def test_a_rollback_undoes_its_writes_and_keeps_the_statements_prepared_before(
    engine: AsyncEngine,
) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        await session.execute(text("CREATE TEMP TABLE jots (body text)"))  # this backend's
        await session.commit()
        backend = await session.scalar(text("SELECT pg_backend_pid()"))
    async with sessions() as session:  # the pool's one connection
        for _ in range(6):  # psycopg prepares a statement at its sixth run
            await session.scalar(text("SELECT count(*) FROM jots"))
        await session.execute(text("INSERT INTO jots VALUES ('undone')"))
    async with sessions() as session:  # closed without a commit: rolled back
        assert await session.scalar(text("SELECT pg_backend_pid()")) == backend
        assert await session.scalar(text("SELECT count(*) FROM jots")) == 0
        prepared = await session.scalars(text("SELECT statement FROM pg_prepared_statements"))
        assert "SELECT count(*) FROM jots" in list(prepared)


@pytest.mark.parametrize("read_only", [False, True])
async def test_a_statement_failing_after_another_process_altered_its_table_fails_once(
    engine: AsyncEngine, read_only: bool
) -> None:
    sessions = create_sessionmaker(engine)
    async with sessions() as session:
        await session.execute(text("CREATE TABLE tallies (n int)"))
        await session.execute(text("INSERT INTO tallies VALUES (7)"))
        await session.commit()

    async def tally() -> object:
        async with sessions() as session:  # the pool's one connection
            if read_only:
                await database.reading_only(session)
            return await session.scalar(text("SELECT n FROM tallies"))

    for _ in range(6):  # prepared at its sixth run
        assert await tally() == 7
    url = engine.url.set(drivername="postgresql").render_as_string(hide_password=False)
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as other:
        await other.execute("ALTER TABLE tallies ALTER COLUMN n TYPE text")
    with pytest.raises(DBAPIError, match="cached plan must not change result type"):
        await tally()
    assert await tally() == "7"  # planned again, on a new connection


async def test_a_url_with_spaces_in_its_password_and_options_connects_as_written(
    postgresql_databases: PostgresDatabases,
) -> None:
    url = make_url(postgresql_databases.create())
    url = url.set(password="two words").update_query_dict(
        {"options": "-c statement_timeout=4321", "application_name": "harbour web"}
    )
    written = url.render_as_string(hide_password=False)
    made = create_engine(written)
    try:
        async with create_sessionmaker(made)() as session:
            assert await session.scalar(text("SHOW statement_timeout")) == "4321ms"
            assert await session.scalar(text("SHOW application_name")) == "harbour web"
        wakeup = asyncio.Event()  # the worker's LISTEN connection too
        listening = asyncio.create_task(wakeups.listen(written, wakeup))
        await asyncio.wait_for(wakeup.wait(), 5)
        listening.cancel()
        await asyncio.gather(listening, return_exceptions=True)
    finally:
        await made.dispose()
        postgresql_databases.drop(written)


def postgresql_sockets(url: str) -> dict[int, tuple[int, ...]]:
    """This process's open TCP connections to the database `url` names, by descriptor: each
    one's keepalive, its three keepalive settings and its TCP user timeout. Connections to
    the server's other databases (the test rig's threads clone and drop databases meanwhile)
    are left out, as the server's `pg_stat_activity` tells them by their port."""
    parsed = make_url(url)
    found = {}
    for name in os.listdir("/proc/self/fd"):
        try:
            one = socket.socket(fileno=os.dup(int(name)))
        except OSError:
            continue  # not a socket
        with one:
            try:
                peer = one.getpeername() if one.family == socket.AF_INET else None
            except OSError:
                peer = None
            if peer == (parsed.host, parsed.port or 5432):
                found[int(name)] = (
                    one.getsockname()[1],
                    one.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) != 0,
                    *(one.getsockopt(socket.IPPROTO_TCP, option) for option in TCP_BOUNDS),
                )
    plain = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(plain) as asking:
        ports = {
            port
            for (port,) in asking.execute(
                "SELECT client_port FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
        }
    return {fd: bounds[1:] for fd, bounds in found.items() if bounds[0] in ports}


async def test_every_connection_to_postgresql_gives_up_on_a_silent_server_within_30_s(
    postgresql_databases: PostgresDatabases,
) -> None:
    """The pool's, the worker's liveness lock's and its LISTEN connection: a server that goes
    silent (a NAT that forgot the connection) is given up by the kernel, where Linux waited
    ~15 minutes for an acknowledgement and two hours before probing an idle connection."""
    url = postgresql_databases.create()
    before = set(postgresql_sockets(url))
    made = create_engine(url)
    alive = liveness.Liveness(url)
    wakeup = asyncio.Event()
    tasks = [asyncio.create_task(alive.hold()), asyncio.create_task(wakeups.listen(url, wakeup))]
    try:
        async with create_sessionmaker(made)() as session:
            assert await session.scalar(text("SELECT 1")) == 1
            await asyncio.wait_for(alive.taken.wait(), 5)
            await asyncio.wait_for(wakeup.wait(), 5)
            opened = postgresql_sockets(url)
        bounds = [bound for fd, bound in opened.items() if fd not in before]
        assert bounds == [(True, 10, 5, 3, 30000)] * 3
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await made.dispose()
        postgresql_databases.drop(url)


def test_migrations_backups_and_copies_give_up_on_a_silent_server_too(
    postgresql_databases: PostgresDatabases,
) -> None:
    """`harbour migrate`, `backup` and `database copy` connect synchronously: they waited as
    long as Linux's defaults on a silent server (attack9)."""
    url = postgresql_databases.create()
    try:
        with database.synchronous_engine(url) as made, made.connect() as connection:
            assert connection.scalar(text("SELECT 1")) == 1
            own = connection.connection.dbapi_connection.pgconn.socket  # type: ignore[union-attr]
            assert postgresql_sockets(url)[own] == (True, 10, 5, 3, 30000)
        database.migrate(url)  # through the same engine: Alembic's too
        assert database.applied_revisions(url) == database.head_revisions()
    finally:
        postgresql_databases.drop(url)


async def test_a_service_file_and_pgconnect_timeout_keep_their_bounds(
    postgresql_databases: PostgresDatabases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """libpq takes a value written into the connection string over a service file's or the
    environment's: the bounds overrode an operator's own choice (attack9)."""
    url = postgresql_databases.create()
    parsed = make_url(url)
    services = tmp_path / "pg_service.conf"
    services.write_text(
        f"[harbour]\nhost={parsed.host}\nport={parsed.port or 5432}\nuser={parsed.username}\n"
        f"dbname={parsed.database}\ntcp_user_timeout=0\nkeepalives_idle=300\n"
    )
    monkeypatch.setenv("PGSERVICEFILE", str(services))
    monkeypatch.setenv("PGCONNECT_TIMEOUT", "45")
    wanted = (b"connect_timeout", b"tcp_user_timeout", b"keepalives_idle", b"keepalives_count")
    try:
        with psycopg.connect(libpq_conninfo("postgresql:///?service=harbour")) as connection:
            used = {o.keyword: o.val for o in connection.pgconn.info if o.keyword in wanted}
            database = connection.info.dbname  # the service's, where '' named the user's
    finally:
        postgresql_databases.drop(url)
    assert used == {
        b"connect_timeout": b"45", b"tcp_user_timeout": b"0", b"keepalives_idle": b"300",
        b"keepalives_count": b"3",
    }  # fmt: skip
    assert database == parsed.database


def test_a_nul_in_a_database_url_is_refused_not_cut() -> None:
    """libpq ends a connection string at a NUL: what followed it (`sslmode=require`) was
    dropped without a word (attack10)."""
    with pytest.raises(ValueError, match="NUL"):
        libpq_conninfo("postgresql://me:pw%00x@db.example/harbour?sslmode=require")
