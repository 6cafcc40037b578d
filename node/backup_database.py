"""A logical copy of the database: every table's rows as JSON lines, in dependency order.

The same format comes from and goes to SQLite and PostgreSQL alike, needs no pg_dump of a
matching version, and is read in one snapshot (a read transaction on SQLite's WAL, a read-only
REPEATABLE READ transaction on PostgreSQL) while the node keeps running.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa

from content.orm import Base, UTCDateTime
from content.text_search import FTS_TABLES
from node.backup_archive import BackupError
from node.database import head_revisions, is_sqlite, synchronous_engine

CHUNK_BYTES = 4 * 1024 * 1024
INSERT_BATCH = 500
# Never written to or read from a backup: kept by triggers as the rows they count are loaded
# (account_stats, the search index's FTS_TABLES, policy_generation), or worth minutes and
# naming what was tried at sign-in (rate_buckets).
DERIVED = {"account_stats", "policy_generation", "rate_buckets", *FTS_TABLES}
TABLES = {t.name: t for t in Base.metadata.sorted_tables if t.name not in DERIVED}


def head_revision() -> str:
    """The schema revision this Harbour's migrations end at."""
    (head,) = head_revisions()  # a backup is of one schema, so of one head
    return head


@contextmanager
def snapshot(url: str) -> Iterator[tuple[str, Iterator[bytes]]]:
    """The database's schema revision and its rows in chunks of JSON lines, all read in one
    consistent snapshot."""
    with synchronous_engine(url) as engine, engine.connect() as connection:
        if is_sqlite(url):
            connection.exec_driver_sql("BEGIN")  # pysqlite would not start one for reads
        else:
            connection = connection.execution_options(isolation_level="REPEATABLE READ")
            connection.exec_driver_sql("SET TRANSACTION READ ONLY")
        revision = _revision(connection)
        if revision != head_revision():
            raise BackupError("the database is not at this Harbour's schema: run `harbour migrate`")
        unknown = set(sa.inspect(connection).get_table_names()) - set(TABLES) - DERIVED
        unknown.discard("alembic_version")
        if unknown:
            raise BackupError(f"the database has tables Harbour does not know: {sorted(unknown)}")
        yield revision, _chunks(connection)
        connection.rollback()


def _revision(connection: sa.Connection) -> str | None:
    revision = connection.scalar(sa.text("SELECT version_num FROM alembic_version"))
    return None if revision is None else str(revision)


def _chunks(connection: sa.Connection) -> Iterator[bytes]:
    buffer = io.BytesIO()
    for table in TABLES.values():
        rows = connection.execution_options(yield_per=1000).execute(sa.select(table))
        for row in rows.mappings():
            line = {"t": table.name, "r": {key: _encode(value) for key, value in row.items()}}
            buffer.write(json.dumps(line, separators=(",", ":")).encode("utf-8") + b"\n")
            if buffer.tell() >= CHUNK_BYTES:
                yield buffer.getvalue()
                buffer = io.BytesIO()
    if buffer.tell():
        yield buffer.getvalue()


def _encode(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


def is_empty(connection: sa.Connection) -> bool:
    """Whether no table holds a row (a freshly migrated database)."""
    return all(
        connection.scalar(sa.select(sa.literal(1)).select_from(table).limit(1)) is None
        for table in TABLES.values()
    )


def clear(connection: sa.Connection) -> None:
    """Delete every row, dependants first (restoring over a node with --force)."""
    for table in reversed(Base.metadata.sorted_tables):
        connection.execute(table.delete())


def load(connection: sa.Connection, lines: Iterable[bytes]) -> int:
    """Insert the rows of a chunk of JSON lines; returns how many."""
    batch: list[dict[str, Any]] = []
    table: sa.Table | None = None
    count = 0
    for line in lines:
        try:
            item = json.loads(line)
            row_table = TABLES[item["t"]]
            row = _decode(row_table, item["r"])
        except (ValueError, KeyError, TypeError):
            raise BackupError("this Harbour backup holds a damaged database row") from None
        if row_table is not table or len(batch) >= INSERT_BATCH:
            _insert(connection, table, batch)
            table, batch = row_table, []
        batch.append(row)
        count += 1
    _insert(connection, table, batch)
    return count


def _insert(connection: sa.Connection, table: sa.Table | None, rows: list[dict[str, Any]]) -> None:
    if table is not None and rows:
        connection.execute(table.insert(), rows)


def _decode(table: sa.Table, row: dict[str, Any]) -> dict[str, Any]:
    decoded = {}
    for key, value in row.items():
        kind = table.columns[key].type
        if value is not None and isinstance(kind, UTCDateTime):
            value = datetime.fromisoformat(value)
        elif value is not None and isinstance(kind, sa.Date):
            value = date.fromisoformat(value)
        decoded[key] = value
    return decoded
