"""Real databases for tests: a fresh SQLite file or PostgreSQL database per test.

Each backend is migrated once per session into a template; every test gets its own copy,
so tests never share rows and never need a mock of the database. PostgreSQL copies are made
ahead, by a thread, while tests run.
"""

from __future__ import annotations

import os
import queue
import shutil
import threading
import uuid
from pathlib import Path

import psycopg
from psycopg import sql
from sqlalchemy.engine import make_url

from node.database import migrate

POSTGRES_URL = os.environ.get(
    "HARBOUR_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)


class SQLiteDatabases:
    """Copies of a migrated SQLite file."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.template = directory / "template.db"
        migrate(f"sqlite:///{self.template}")

    def create(self) -> str:
        path = self.directory / f"{uuid.uuid4().hex}.db"
        shutil.copyfile(self.template, path)
        return f"sqlite:///{path}"

    def drop(self, url: str) -> None:
        Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)


class PostgresDatabases:
    """Databases cloned from a migrated template on the real PostgreSQL server. A clone
    takes the server ~0.4 s, so a thread keeps the next ones cloned while tests run. From
    PostgreSQL 15 on, a clone copies the template's files (`STRATEGY FILE_COPY`) instead of
    writing every page through the WAL, its default: a clone and its drop took 34-35 ms of
    the machine's CPU instead of 55-65 ms (PostgreSQL 15, fsync off as `.ci/run` sets it,
    30 of each), for the ~600 databases a run clones; with fsync on, 161-163 ms of wall
    time against 165-181 (its checkpoints cost no more than the WAL's writes)."""

    READY = 2

    def __init__(self) -> None:
        self.template = f"harbour_template_{os.getpid()}"
        self._copying = sql.SQL(" STRATEGY FILE_COPY" if _server_version() >= 150000 else "")
        self._drop_now(self.url_of(self.template))
        _execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.template)))
        migrate(self.url_of(self.template))
        self.ready: queue.Queue[str] = queue.Queue(maxsize=self.READY)
        self.closing = threading.Event()
        self.cloner = threading.Thread(target=self._keep_clones_ready, daemon=True)
        self.cloner.start()
        # Dropping a database takes the server ~0.1 s: a thread does it after the test.
        self.to_drop: queue.Queue[str | None] = queue.Queue()
        self.dropper = threading.Thread(target=self._drop_queued, daemon=True)
        self.dropper.start()

    def url_of(self, name: str) -> str:
        base, _, _ = POSTGRES_URL.rpartition("/")
        return f"{base}/{name}"

    def _clone(self) -> str:
        name = f"harbour_test_{uuid.uuid4().hex[:12]}"
        _execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}{}").format(
                sql.Identifier(name), sql.Identifier(self.template), self._copying
            )
        )
        # A test database is thrown away: commits need not wait for the disk.
        _execute(
            sql.SQL("ALTER DATABASE {} SET synchronous_commit = off").format(sql.Identifier(name))
        )
        return self.url_of(name)

    def _keep_clones_ready(self) -> None:
        while not self.closing.is_set():
            url = self._clone()
            while not self.closing.is_set():
                try:
                    self.ready.put(url, timeout=0.2)
                    break
                except queue.Full:
                    continue
            else:
                self._drop_now(url)

    def create(self) -> str:
        return self.ready.get(timeout=60)

    def create_empty(self) -> str:
        """A database without even a schema, as `createdb` makes one."""
        name = f"harbour_test_{uuid.uuid4().hex[:12]}"
        _execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url_of(name)

    def drop(self, url: str) -> None:
        """Drop a test's database soon, in the background (its connections are cut)."""
        self.to_drop.put(url)

    def _drop_queued(self) -> None:
        while (url := self.to_drop.get()) is not None:
            self._drop_now(url)

    def _drop_now(self, url: str) -> None:
        """Drop the database `url` names; its query, if any, is no part of the name (a test's
        URL with options left its database behind, every run)."""
        name = sql.Identifier(str(make_url(url).database))
        _execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))

    def close(self) -> None:
        self.closing.set()
        self.cloner.join()
        self.to_drop.put(None)
        self.dropper.join()
        while not self.ready.empty():
            self._drop_now(self.ready.get())
        self._drop_now(self.url_of(self.template))


def _server_version() -> int:
    """The test server's `server_version_num` (150000 for 15.0)."""
    with psycopg.connect(POSTGRES_URL) as connection:
        return connection.info.server_version


def _execute(statement: sql.Composable) -> None:
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(statement)


def postgres_unreachable_reason() -> str | None:
    """Why the test PostgreSQL server cannot be used, or None if it can."""
    try:
        with psycopg.connect(POSTGRES_URL, connect_timeout=3):
            return None
    except psycopg.OperationalError as error:
        return f"PostgreSQL at {POSTGRES_URL} is unreachable: {str(error).strip()}"
