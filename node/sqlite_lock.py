"""SQLite is Harbour's embedded, one-process database: `harbour serve` and `harbour worker`
hold an exclusive lock on a file beside it (`harbour.db.lock`) for as long as they run, so a
second one stops at once with a message instead of two workers sharing one file. Short
commands (`account password`, `domain block`) take no lock: they run beside the node."""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy.engine import make_url

from node.database import is_sqlite


class SQLiteInUse(Exception):
    """Another Harbour process serves this SQLite database; the message says what to do."""


@contextmanager
def one_process(database_url: str) -> Iterator[None]:
    """Hold the database's lock while the block runs (nothing on PostgreSQL, which several
    processes share); raise SQLiteInUse if another process holds it. The lock goes with
    the process however it ends, even killed."""
    path = lock_path(database_url)
    if path is None:
        yield
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a+") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.seek(0)
            holder = lock.read().strip() or "unknown"
            raise SQLiteInUse(
                f"another Harbour process uses this SQLite database (pid {holder}); run one"
                " process, or move to PostgreSQL"
            ) from None
        lock.truncate(0)
        lock.write(f"{os.getpid()}\n")
        lock.flush()
        try:
            yield
        finally:
            lock.truncate(0)


def lock_path(database_url: str) -> Path | None:
    """The lock file of an SQLite database file; None for PostgreSQL or an in-memory one."""
    if not is_sqlite(database_url):
        return None
    database = make_url(database_url).database
    if not database or database == ":memory:":
        return None
    path = Path(database).expanduser()
    return path.with_name(f"{path.name}.lock")
