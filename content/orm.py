"""The declarative base, column types and id generation every model shares."""

from __future__ import annotations

import configparser
import itertools
import json
import os
import secrets
import threading
import time
from collections.abc import Callable, Collection, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import (
    ARRAY,
    JSON,
    BigInteger,
    ColumnElement,
    DateTime,
    Index,
    Integer,
    MetaData,
    Select,
    Table,
    Text,
    TextClause,
    any_,
    bindparam,
    func,
    select,
    sql,
)
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

if TYPE_CHECKING:
    from sqlalchemy.dialects import postgresql, sqlite
    from sqlalchemy.ext.asyncio import AsyncSession

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware UTC datetime on every backend (SQLite stores it naive)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; use utcnow()")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# 64-bit everywhere; on SQLite plain INTEGER, so a primary key is the rowid itself.
ID_INTEGER = BigInteger().with_variant(Integer(), "sqlite")


class Base(DeclarativeBase):
    """The base of every Harbour model, in every package."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # One UTCDateTime shared by every `Mapped[datetime]` column, as ID_INTEGER is by every
    # int: each instance makes a comparator class of its own when the mappers are configured
    # and an adapted copy for each database (83 instances and 79 such classes when the map
    # named the class).
    type_annotation_map = {datetime: UTCDateTime(), int: ID_INTEGER}


# A table's or index's options for one database (`sqlite_with_rowid`, `postgresql_where`),
# kept in its `info` under this key and given to it by `dialect_options_for` when an engine
# is made: naming one in the model loads that SQLAlchemy dialect, and PostgreSQL's brings
# the modules of all its drivers (~2 MiB, ~40 ms), which a node on SQLite never uses
# (DESIGN.md, start-up). The migrations make both databases' schemas themselves.
DIALECT_OPTIONS = "dialect_options"


def partial_index(name: str, *columns: str, where: TextClause, unique: bool = False) -> Index:
    """An index of the rows `where` holds, on both databases."""
    options = {"sqlite_where": where, "postgresql_where": where}
    return Index(name, *columns, unique=unique, info={DIALECT_OPTIONS: options})


def dialect_options_for(dialect: str) -> None:
    """Give every table and index of the models imported so far (`node.models` imports them
    all) its options for the database named `dialect`; again is harmless."""
    for table in Base.metadata.tables.values():
        items: list[Table | Index] = [table, *table.indexes]
        for item in items:
            for key, value in item.info.get(DIALECT_OPTIONS, {}).items():
                if key.startswith(f"{dialect}_"):
                    item.dialect_kwargs[key] = value


# A TCP connection to PostgreSQL that goes silent (a NAT or firewall that forgot it, a failed
# network: the server never answers) fails within ~30 s, where Linux's defaults waited ~15
# minutes for unacknowledged data and two hours before probing an idle one: a worker's
# outcome write on such a connection held every sender it recorded for, and the worker, that
# long (attack on issue 18). The kernel enforces both (libpq sets the socket's options), so
# a query that runs long on a live server is never cut; a Unix socket ignores them. A URL
# that names one of these keeps its own (`?tcp_user_timeout=0` turns that one off).
SILENT_CONNECTION_BOUNDS = {
    "keepalives_idle": "10",  # an idle connection is probed after 10 s of silence,
    "keepalives_interval": "5",  # then every 5 s,
    "keepalives_count": "3",  # and given up after 3 unanswered probes
    "tcp_user_timeout": "30000",  # data sent and not acknowledged for 30 s: given up
    "connect_timeout": "10",  # a new connection to a server that does not answer: 10 s
}


def libpq_conninfo(url: str) -> str:
    """A PostgreSQL URL as libpq's `key=value` string, each value quoted, with the
    `SILENT_CONNECTION_BOUNDS` the URL does not set. Rendered back as a URL, a space in its
    password or query (`options=-c statement_timeout=5000`) became `+` or stayed bare: libpq
    took `+` literally and refused a bare space with an error quoting the password
    (attack8). A part the URL leaves empty (`postgresql://me@/?service=x`) is left to libpq,
    which then takes it from the service or PGDATABASE (attack10: an empty dbname made it
    use the user's name); a NUL, where libpq would end the string, an option libpq does not
    know and a connect_timeout that is not a number are refused as ValueError: the commands
    print it in one line, where a traceback came."""
    from psycopg import ProgrammingError  # here: a node on SQLite never loads psycopg
    from psycopg.conninfo import make_conninfo

    parsed = make_url(url)
    named = {"host": parsed.host, "port": parsed.port, "user": parsed.username}
    named |= {"password": parsed.password, "dbname": parsed.database}
    query = {key: v if isinstance(v, str) else ",".join(v) for key, v in parsed.query.items()}
    bounds = {k: v for k, v in SILENT_CONNECTION_BOUNDS.items() if k not in _set_elsewhere(query)}
    given = bounds | {key: v for key, v in named.items() if v != ""} | query
    if any("\x00" in str(v) for v in given.values() if v is not None):
        raise ValueError("the database URL holds a NUL character (%00): libpq would cut it there")
    if not str(given.get("connect_timeout") or 0).lstrip("-").isdigit():
        raise ValueError("the database URL's connect_timeout is not a number of seconds")
    try:
        return make_conninfo("", **{key: v for key, v in given.items() if v is not None})
    except ProgrammingError as error:  # an option libpq does not know: named, not its value
        raise ValueError(f"the database URL: {str(error).strip()}") from None


def _set_elsewhere(query: dict[str, str]) -> set[str]:
    """The options libpq takes from the URL's service (`?service=`, PGSERVICE) or from
    PGCONNECT_TIMEOUT: a value written into the connection string overrides theirs, and the
    bounds overrode an operator's own (attack9)."""
    found = {"connect_timeout"} if os.environ.get("PGCONNECT_TIMEOUT") else set()
    service = query.get("service") or os.environ.get("PGSERVICE")
    if not service:
        return found
    user = os.environ.get("PGSERVICEFILE") or os.path.expanduser("~/.pg_service.conf")
    system = os.path.join(
        os.environ.get("PGSYSCONFDIR", "/etc/postgresql-common"), "pg_service.conf"
    )
    for path in (user, system):  # libpq reads the first file that has the service
        parser = configparser.ConfigParser(interpolation=None, strict=False)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError):
            continue  # libpq refuses the file itself, with its own message
        if parser.has_section(service):
            return found | set(parser[service])
    return found


def insert_of(dialect: str) -> Callable[[Any], sqlite.Insert | postgresql.Insert]:
    """The INSERT with ON CONFLICT of the database named `dialect`: PostgreSQL's dialect is
    imported only on PostgreSQL (`partial_index` says why)."""
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as postgresql_insert

        return postgresql_insert
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert


def in_one_parameter(
    session: AsyncSession, column: ColumnElement[str], values: Collection[str]
) -> ColumnElement[bool]:
    """`column IN values` with the values bound as one parameter, for `session`'s database:
    a PostgreSQL array (`= ANY`), a JSON array read by `json_each` on SQLite. An IN list of
    hundreds (a fan-out's hosts) was as many parameters to render and adapt each time (issue
    18)."""
    if session.bind.dialect.name == "postgresql":  # type: ignore[union-attr]
        listed = bindparam(None, list(values), type_=ARRAY(column.type), unique=True)
        return column == any_(listed)
    each = func.json_each(bindparam(None, json.dumps(list(values)), unique=True))
    return column.in_(select(each.table_valued("value").c.value))


def json_rows(dialect: str, table: Table, each: Sequence[str], same: Sequence[str]) -> Select[Any]:
    """Rows for `table` (an `INSERT ... SELECT`), those of columns `each` from one JSON
    array of objects bound as `rows` (`json.dumps`), those of `same` one value for all,
    bound by their names: `json_to_recordset` on PostgreSQL, `json_each` on SQLite. One
    statement text whatever the number of rows, so psycopg prepares it, and one parameter
    that `json` writes in C: a list of rows was a statement each on PostgreSQL (or a text
    for each size), and an array a column was escaped by psycopg element by element (issue
    18)."""
    if dialect == "postgresql":
        rows = (
            func.json_to_recordset(bindparam("rows", type_=Text).cast(JSON))
            .table_valued(*(sql.column(name, table.c[name].type) for name in each))
            .render_derived(with_types=True)
        )
        values: list[ColumnElement[Any]] = [rows.c[name] for name in each]
    else:
        objects = func.json_each(bindparam("rows", type_=Text)).table_valued("value")
        values = [func.json_extract(objects.c.value, f"$.{name}") for name in each]
    return select(*values, *(bindparam(name, type_=table.c[name].type) for name in same))


def among(column: Any, name: str, postgresql: bool) -> ColumnElement[bool]:
    """`column IN` the list bound as `name`. On PostgreSQL `= ANY` of one array: the
    statement's text is the same however many values a request binds, so SQLAlchemy expands
    nothing and psycopg converts it once and prepares it (an expanded list past psycopg's
    4 KiB cache was parsed again on every page, issue 18). On SQLite an expanded `IN`."""
    if postgresql:
        found = column == any_(bindparam(name, type_=ARRAY(column.type)))
    else:
        found = column.in_(bindparam(name, expanding=True))
    return cast(ColumnElement[bool], found)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


_sequence = itertools.count(secrets.randbits(16))
_made = [0]  # the last id this process made
_making = threading.Lock()


def _start_elsewhere() -> None:
    """A forked process (a server that loads the app before forking its workers, the test
    rig's forked nodes) counts from a random value of its own, not its parent's: two
    children counting from the same value made the same ids in the same millisecond."""
    global _sequence
    _sequence = itertools.count(secrets.randbits(16))


os.register_at_fork(after_in_child=_start_elsewhere)


def new_id() -> int:
    """A 63-bit id that sorts by creation time: milliseconds since 1970, then 16 bits of a
    per-process counter that starts at a random value. Ids made in one process never collide
    and always keep their order, also when the counter wraps within a millisecond (each is
    above the last); other processes start elsewhere."""
    with _making:
        made = (int(time.time() * 1000) << 16) | (next(_sequence) & 0xFFFF)
        _made[0] = max(made, _made[0] + 1)
        return _made[0]


def iso(moment: datetime) -> str:
    """A datetime as the ISO 8601 UTC string ActivityPub documents use (`...Z`)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
