"""Real databases for tests: a fresh SQLite file or PostgreSQL database per test.

Each backend is migrated once per session into a template; every test gets its own copy,
so tests never share rows and never need a mock of the database.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import psycopg
from psycopg import sql

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
    """Databases cloned from a migrated template on the real PostgreSQL server."""

    def __init__(self) -> None:
        self.template = f"harbour_template_{os.getpid()}"
        self.drop(self.url_of(self.template))
        _execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.template)))
        migrate(self.url_of(self.template))

    def url_of(self, name: str) -> str:
        base, _, _ = POSTGRES_URL.rpartition("/")
        return f"{base}/{name}"

    def create(self) -> str:
        name = f"harbour_test_{uuid.uuid4().hex[:12]}"
        _execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(
                sql.Identifier(name), sql.Identifier(self.template)
            )
        )
        return self.url_of(name)

    def drop(self, url: str) -> None:
        name = sql.Identifier(url.rpartition("/")[2])
        _execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))

    def close(self) -> None:
        self.drop(self.url_of(self.template))


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
