"""Unexpected failures fail the test, so a crash never passes as "nothing happened".

A failure is a WARNING or ERROR logged by a `harbour.*` logger in the test process; an inbox
item that errored or waits to retry after its handler raised; a delivery that failed or waits
to retry after an error; and, for real processes, a WARNING, ERROR or Traceback line in a
node's serve.log. A test that means to provoke some declares them with
`@pytest.mark.expect_failures("regex", ...)`: every failure must match one of the patterns
(`re.search`). `inbox_outcome` reads how a node ended an activity (state and reason).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import sqlalchemy
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from federation.inbox import InboxItem

FAILURE_LINE = re.compile(r"^(WARNING|ERROR|CRITICAL)\b|Traceback \(most recent call last\)")
OPEN = "state IN ('queued', 'retry')"
# Inbox items that crashed (errored, or waiting for a retry with an error recorded) and
# deliveries that failed or wait to retry after an error.
JOB_FAILURES = {
    "inbox item": text(
        "SELECT id, activity_type || ' ' || activity_id, state, last_error FROM inbox_items"
        " WHERE state = 'errored' OR (state = 'retry' AND last_error IS NOT NULL)"
    ),
    "delivery": text(
        "SELECT id, inbox, state, last_error FROM deliveries"
        " WHERE state = 'failed' OR (state = 'retry' AND last_error IS NOT NULL)"
    ),
}


@contextmanager
def connected(database_url: str) -> Iterator[sqlalchemy.Connection]:
    """A synchronous connection to a test database (psycopg 3 for PostgreSQL), usable while
    a node runs and from a thread whose event loop is busy (Playwright's)."""
    with _engine(database_url).connect() as connection:
        yield connection


@lru_cache(maxsize=64)
def _engine(database_url: str) -> sqlalchemy.Engine:
    """An engine per database, kept: it holds no connection (NullPool), and a new one set up
    its dialect again on the first connection (~2 ms of CPU on PostgreSQL), for every test's
    check of its databases and every poll of `settle`."""
    if database_url.startswith(("postgresql://", "postgres://")):
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]
    return sqlalchemy.create_engine(database_url, poolclass=sqlalchemy.NullPool)


def job_failures(database_url: str, seen: set[tuple[str, int, str]] | None = None) -> list[str]:
    """The failed jobs in a database, described; those in `seen` (kind, id, state) are
    skipped, and the new ones are added to it."""
    if database_url.startswith("sqlite") and not Path(database_url.split(":///", 1)[1]).exists():
        return []  # dropped already (connecting would make an empty file)
    seen = set() if seen is None else seen
    found = []
    try:
        with connected(database_url) as connection:
            for kind, query in JOB_FAILURES.items():
                for job_id, what, state, error in connection.execute(query):
                    key = (kind, int(job_id), str(state))
                    if key not in seen:
                        seen.add(key)
                        found.append(f"{kind} {what} {state}: {error}")
    except sqlalchemy.exc.OperationalError:
        return []  # no database any more
    return found


# Failed jobs found in in-process test databases as they are dropped, for the test's check.
DROPPED_DATABASE_FAILURES: list[str] = []


def open_jobs(database_url: str) -> int:
    """How many inbox items and deliveries are still queued or waiting to retry."""
    with connected(database_url) as connection:
        return sum(
            int(connection.scalar(text(f"SELECT count(*) FROM {table} WHERE {OPEN}")) or 0)
            for table in ("inbox_items", "deliveries")
        )


def delivery_states(database_url: str, host: str) -> dict[str, int]:
    """How many of a database's deliveries to `host` (name:port) are in each state."""
    query = text("SELECT state, count(*) FROM deliveries WHERE host = :host GROUP BY state")
    with connected(database_url) as connection:
        return {str(state): int(n) for state, n in connection.execute(query, {"host": host})}


def log_failures(lines: Iterable[str]) -> list[str]:
    """The WARNING, ERROR and Traceback lines of a node's output; a traceback with the
    exception it ends with and the place it was raised, so a failure can be diagnosed from
    a CI log alone."""
    found: list[str] = []
    place = ""
    in_traceback = False
    for line in (line.rstrip() for line in lines):
        if FAILURE_LINE.search(line):
            found.append(line)
            in_traceback = "Traceback" in line
        elif in_traceback and line.startswith("  File "):
            place = line.strip()
        elif in_traceback and line and not line.startswith(" "):
            found[-1] += f" … {place} … {line}"
            in_traceback = False
    return found


class LogFailures(logging.Handler):
    """Collects WARNING and ERROR records of `harbour.*` loggers in this process."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.found: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.found.append(f"{record.levelname} {record.name}: {record.getMessage()}")


def unexpected(failures: Iterable[str], expected: Iterable[str]) -> list[str]:
    """The failures no expected pattern matches."""
    patterns = [re.compile(pattern) for pattern in expected]
    return [f for f in failures if not any(p.search(f) for p in patterns)]


async def inbox_outcome(session: AsyncSession, activity_id: str) -> tuple[str, str | None]:
    """How a node ended an inbox item: its state (applied, ignored, refused, errored, or
    queued/retry while open) and the recorded reason, for "nothing happened" checks."""
    item = await session.scalar(select(InboxItem).where(InboxItem.activity_id == activity_id))
    assert item is not None, f"no inbox item for {activity_id}"
    return item.state, item.outcome or item.last_error
