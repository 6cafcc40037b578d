"""The SQLite or PostgreSQL engine, sessions, and Alembic migrations.

Alembic (with Mako) is imported only when the schema is behind: a start compares the
database's `alembic_version` with the heads the migration files declare, which costs a few
milliseconds where importing Alembic costs about 80.
"""

from __future__ import annotations

import ast
import re
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

import node.models  # noqa: F401  (every mapped class, so relationships resolve in any process)
from content.foreground import make_way
from content.orm import dialect_options_for, libpq_conninfo

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"


def driver_url(url: str, *, asynchronous: bool) -> str:
    """The URL with the driver Harbour uses: aiosqlite/sqlite3, or psycopg 3 for PostgreSQL."""
    parsed = make_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        driver = "aiosqlite" if asynchronous else "pysqlite"
    elif backend in ("postgresql", "postgres"):
        backend, driver = "postgresql", "psycopg"
    else:
        raise ValueError(f"unsupported database {backend!r}: use SQLite or PostgreSQL")
    return parsed.set(drivername=f"{backend}+{driver}").render_as_string(hide_password=False)


# libpq also takes secrets in the query: postgresql://me@host/db?password=...
SECRET_PARAMETERS = frozenset({"password", "sslpassword"})


def has_secret(url: str) -> bool:
    """Whether a database URL carries a password, in its user part or its query."""
    try:
        parsed = make_url(url)
    except sa.exc.ArgumentError:
        return False
    return parsed.password is not None or any(
        name.lower() in SECRET_PARAMETERS for name in parsed.query
    )


def shown_url(url: str) -> str:
    """A database URL to print: every password in it (user part or query) as ***."""
    parsed = make_url(url)
    secrets = {name: "***" for name in parsed.query if name.lower() in SECRET_PARAMETERS}
    hidden = parsed.update_query_dict(secrets).render_as_string(hide_password=True)
    return hidden.replace("%2A%2A%2A", "***")


def is_sqlite(url: str) -> bool:
    """Whether the URL names an SQLite database."""
    return make_url(url).get_backend_name() == "sqlite"


def create_engine(url: str) -> AsyncEngine:
    """An async engine; SQLite gets WAL, enforced foreign keys and a busy timeout; PostgreSQL
    connections that keep their prepared statements across a rollback (`pg_connections`)."""
    if not is_sqlite(url):
        from node.pg_connections import KeepsPrepared, stale_plan  # not on SQLite: psycopg

        dialect_options_for("postgresql")
        conninfo = libpq_conninfo(url)
        engine = create_async_engine(
            driver_url(url, asynchronous=True),
            async_creator=lambda: KeepsPrepared.connect(conninfo),
        )
        event.listen(engine.sync_engine.pool, "checkin", _checked_in)
        event.listen(engine.sync_engine.pool, "checkout", _ping_if_idle)
        event.listen(engine.sync_engine, "handle_error", stale_plan)
        return engine
    _make_parent_dir(url)
    from node.sqlite_trips import one_trip  # not on PostgreSQL: aiosqlite, sqlite3, ~2 MiB

    dialect_options_for("sqlite")

    engine = create_async_engine(
        driver_url(url, asynchronous=True),
        module=one_trip(),
        connect_args={"check_same_thread": False},
    )
    event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


@contextmanager
def synchronous_engine(url: str) -> Iterator[sa.Engine]:
    """A synchronous engine, disposed after, for what runs outside an event loop (migrations,
    backups, copies). PostgreSQL connects through `libpq_conninfo`, with the node's bounds on
    a silent server: a migration or a copy hung for ~15 minutes without them (attack9)."""
    options: dict[str, Any] = {"poolclass": sa.NullPool}
    if not is_sqlite(url):
        import psycopg  # not on SQLite

        conninfo = libpq_conninfo(url)
        options["creator"] = lambda: psycopg.connect(conninfo)
    engine = sa.create_engine(driver_url(url, asynchronous=False), **options)
    try:
        yield engine
    finally:
        engine.dispose()


def error_reason(error: sa.exc.DBAPIError) -> str:
    """What the database driver said, in one line (for a command's one-line error)."""
    return str(error.orig).strip().splitlines()[0] if error.orig else str(error)


PING_AFTER_IDLE = 30.0  # seconds a PostgreSQL connection waits in the pool before a ping
_IDLE_SINCE = "idle since"  # a pooled connection's info: when it was last handed back


def _checked_in(_dbapi_connection: Any, record: Any) -> None:
    record.info[_IDLE_SINCE] = time.monotonic()


def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    """A PostgreSQL connection that waited long in the pool (a server restarted, a firewall
    that forgets idle connections) is asked `SELECT 1` before use, and replaced if that
    fails; a busy one is not. `pool_pre_ping` pinged at every checkout: a round trip before
    each request's and each inbox batch's first statement (issue 18). A connection that
    breaks while in use fails its statement, and SQLAlchemy then replaces every connection
    of the pool opened before the failure."""
    since = record.info.get(_IDLE_SINCE)
    if since is None or time.monotonic() - since < PING_AFTER_IDLE:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
    except Exception as error:
        raise sa.exc.DisconnectionError(str(error)) from error


class Session(AsyncSession):
    """An AsyncSession that, opened by background work, makes way for requests in flight
    (`content.foreground`)."""

    async def __aenter__(self) -> Session:
        await make_way()
        return self


def create_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    """Sessions whose objects stay readable after commit."""
    return async_sessionmaker(engine, expire_on_commit=False, class_=Session)


async def reading_only(session: AsyncSession) -> None:
    """Before a read-only request's first statement: on PostgreSQL its statements run
    outside a transaction (autocommit), which saves the BEGIN and the ROLLBACK, two of a
    timeline page's seven round trips (issue 18). Under READ COMMITTED each statement takes
    its own snapshot inside a transaction too, so what is read is the same; a write would
    be kept, so a request that writes must not call this. SQLite is left as it is."""
    if session.get_bind().dialect.name == "postgresql":
        await session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


@asynccontextmanager
async def session_scope(
    sessions: async_sessionmaker[AsyncSession],
) -> AsyncIterator[AsyncSession]:
    """A session in a transaction: committed if the block succeeds, rolled back if it raises."""
    async with sessions() as session, session.begin():
        yield session


def migrate(url: str) -> None:
    """Bring the database schema to the newest migration (without loading Alembic when it is
    there already)."""
    if is_sqlite(url):
        _make_parent_dir(url)
    if applied_revisions(url) == head_revisions():
        return
    from alembic import command

    command.upgrade(alembic_config(url), "heads")


def alembic_config(url: str) -> Config:
    """An Alembic configuration for `url`, with no alembic.ini needed."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["url"] = driver_url(url, asynchronous=False)
    return config


_ASSIGNED = re.compile(r"^(revision|down_revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


@cache
def head_revisions() -> frozenset[str]:
    """The revisions no migration file builds on, read from the files' own declarations."""
    revisions: set[str] = set()
    built_on: set[str] = set()
    for script in MIGRATIONS.glob("versions/*.py"):
        declared = dict(_ASSIGNED.findall(script.read_text(encoding="utf-8")))
        revisions.add(ast.literal_eval(declared["revision"]))
        down = ast.literal_eval(declared["down_revision"])
        built_on.update((down,) if isinstance(down, str) else down or ())
    return frozenset(revisions - built_on)


def applied_revisions(url: str) -> frozenset[str]:
    """The revisions the database is at (none for a new one)."""
    with synchronous_engine(url) as engine, engine.connect() as connection:
        if not sa.inspect(connection).has_table("alembic_version"):
            return frozenset()
        rows = connection.execute(sa.text("SELECT version_num FROM alembic_version"))
        return frozenset(str(row[0]) for row in rows)


def _make_parent_dir(url: str) -> None:
    database = make_url(url).database
    if database and database != ":memory:":
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
