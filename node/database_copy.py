"""Copy a node's SQLite database into an empty PostgreSQL one (`harbour database copy-to`).

The target is first brought to the current schema by the node's own migrations. Then every
table's rows go over as they are, in dependency order, read and written in batches, in one
transaction on the target that commits only once `database_verify` found the row counts and
counters right: a copy that fails leaves the target with the schema and no rows, so it can
simply be run again. The counters (`account_stats`) are copied too, with the triggers that
keep them switched off meanwhile: counting each copied post again would update one row per
account thousands of times in one transaction, and `last_post_at` stays where a deleted
newest post left it, which no recount could tell.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Literal, NamedTuple

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from content.orm import Base
from content.text_search import FTS_TABLES
from node import database_verify
from node.commands import CommandError
from node.database import (
    applied_revisions,
    error_reason,
    head_revisions,
    migrate,
    shown_url,
    synchronous_engine,
)
from node.sqlite_lock import SQLiteInUse, one_process

BATCH = 1000
# The search index's FTS5 tables are rebuilt from the rows; PostgreSQL has an index instead.
KNOWN = {table.name for table in Base.metadata.sorted_tables} | {"alembic_version", *FTS_TABLES}


class CopyError(CommandError):
    """The copy cannot start, or did not come out equal (then the target keeps no rows)."""


class Copied(NamedTuple):
    """What a finished copy wrote."""

    tables: int
    rows: int


def copy(
    source_url: str, target_url: str, report: Callable[[str], None], batch: int = BATCH
) -> Copied:
    """Copy every row from the SQLite `source_url` into the empty PostgreSQL `target_url`,
    telling `report` about each step."""
    _check_backends(source_url, target_url)
    report(f"copying {shown_url(source_url)} to {shown_url(target_url)}")
    _check_source(source_url)  # before the lock, which would make a folder for a wrong path
    try:
        with one_process(source_url):  # the node stays stopped until the copy is done
            return _copy(source_url, target_url, report, batch)
    except SQLiteInUse as error:
        raise CopyError(
            "stop the node first (`harbour serve`, `harbour worker`): what it writes during "
            f"and after the copy would be lost ({error})"
        ) from None


def _copy(source_url: str, target_url: str, report: Callable[[str], None], batch: int) -> Copied:
    _check_target_empty(target_url)
    migrate(target_url)
    report(f"  schema of the target: {', '.join(sorted(head_revisions()))} (migrated)")
    copied = Copied(0, 0)
    with (
        synchronous_engine(source_url) as source_engine,
        synchronous_engine(target_url) as target_engine,
    ):
        with source_engine.connect() as source, target_engine.connect() as target:
            source.exec_driver_sql("BEGIN")  # one snapshot (pysqlite would not start one)
            with target.begin():
                triggered = _switch_triggers(target, "DISABLE")
                report(f"  triggers off during the copy on: {', '.join(triggered)}")
                for table in Base.metadata.sorted_tables:
                    rows = _copy_table(source, target, table, batch)
                    report(f"  {table.name}: {rows} rows")
                    copied = Copied(copied.tables + 1, copied.rows + rows)
                _switch_triggers(target, "ENABLE")
                report(f"  sequences advanced past the copied ids: {_advance_sequences(target)}")
                found = database_verify.differences(source, target)
                if found:
                    raise CopyError(
                        "the copy did not check out, so the target keeps no rows:\n  "
                        + "\n  ".join(found)
                    )
            source.rollback()
    return copied


def _check_backends(source_url: str, target_url: str) -> None:
    if make_url(source_url).get_backend_name() != "sqlite":
        raise CopyError("this node's database is not SQLite: copy-to moves an SQLite node only")
    try:
        target = make_url(target_url).get_backend_name()
    except sa.exc.ArgumentError:
        target = None
    if target not in ("postgresql", "postgres"):
        raise CopyError("the target must be a PostgreSQL URL: postgresql://USER@HOST/DATABASE")


def _check_source(url: str) -> None:
    database = make_url(url).database or ""
    if database in ("", ":memory:") or not Path(database).expanduser().is_file():
        raise CopyError(f"there is no SQLite database at {database or url}")
    if applied_revisions(url) != head_revisions():
        raise CopyError(
            "this node's database is behind this Harbour's schema: run `harbour migrate`"
        )
    with synchronous_engine(url) as engine, engine.connect() as connection:
        unknown = set(sa.inspect(connection).get_table_names()) - KNOWN
    if unknown:
        raise CopyError(f"this node's database has tables Harbour does not know: {sorted(unknown)}")


def _check_target_empty(url: str) -> None:
    with synchronous_engine(url) as engine, engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
        holding = sorted(name for name in names if _has_rows(connection, name))
    if holding:
        raise CopyError(
            f"the target database is not empty ({', '.join(holding[:5])} hold rows): "
            "copy into a new database (createdb), never into one a node has used"
        )


def _has_rows(connection: sa.Connection, name: str) -> bool:
    query = sa.select(sa.literal(1)).select_from(sa.table(name)).limit(1)
    return connection.scalar(query) is not None


def _copy_table(source: sa.Connection, target: sa.Connection, table: sa.Table, batch: int) -> int:
    """Copy one table `batch` rows at a time; returns how many rows."""
    copied = 0
    rows = source.execution_options(yield_per=batch).execute(sa.select(table))
    for part in rows.mappings().partitions():
        try:
            target.execute(table.insert(), [dict(row) for row in part])
        except sa.exc.DBAPIError as error:
            raise CopyError(
                f"copying {table.name} failed, the target keeps no rows: {error_reason(error)}"
            ) from error
        copied += len(part)
    return copied


def _switch_triggers(target: sa.Connection, switch: Literal["DISABLE", "ENABLE"]) -> list[str]:
    """DISABLE or ENABLE the triggers Harbour's migrations made (not those of foreign keys,
    which stay on); returns the tables they are on. Only in this transaction: if it fails,
    they were never off."""
    query = sa.text(
        "SELECT DISTINCT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
        "WHERE NOT t.tgisinternal AND c.relnamespace = current_schema()::regnamespace "
        "ORDER BY c.relname"
    )
    tables = [str(name) for name in target.scalars(query)]
    quote = target.dialect.identifier_preparer.quote
    try:
        for name in tables:
            target.exec_driver_sql(f"ALTER TABLE {quote(name)} {switch} TRIGGER USER")
    except sa.exc.ProgrammingError as error:
        raise CopyError(
            "the target's tables belong to another database user: run copy-to as their owner "
            f"({error_reason(error)})"
        ) from error
    return tables


def _advance_sequences(target: sa.Connection) -> int:
    """Set each serial id's sequence to the highest copied id (Harbour makes its ids itself,
    with `new_id`, but a sequence left behind must never hand out one of them); returns how
    many were set."""
    advanced = 0
    for table in Base.metadata.sorted_tables:
        (column, *more) = table.primary_key.columns
        if more or not isinstance(column.type, sa.Integer):
            continue
        sequence = target.scalar(sa.select(sa.func.pg_get_serial_sequence(table.name, column.name)))
        highest = target.scalar(sa.select(sa.func.max(column)))
        if sequence is not None and highest is not None:
            target.execute(sa.select(sa.func.setval(sequence, highest)))
            advanced += 1
    return advanced
