"""In-process timings of a home timeline page: the SQL that picks the posts, apart from rendering.

Both run exactly what GET /api/v1/timelines/home runs, each page in a new session as the API
does, so nothing is served from a warm identity map. The statements the timeline query sends
are captured and shown with the database's own plan (EXPLAIN QUERY PLAN on SQLite, EXPLAIN
ANALYZE on PostgreSQL).
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from content import timelines
from content.accounts import Account
from content.paging import Window
from moderation.policy import hidden_from
from node.api.mastodon import entities
from node.database import create_engine, create_sessionmaker, is_sqlite


@dataclass
class Probe:
    """Medians over `runs` pages, and what the database said it does."""

    query_ms: float = 0.0
    render_ms: float = 0.0
    cpu_ms: float = 0.0  # the process's CPU time for both: steadier than the clock when shared
    query_statements: int = 0
    render_statements: int = 0
    plans: list[str] = field(default_factory=list)


@dataclass
class _Recorder:
    recording: bool = False
    statements: list[tuple[str, Any]] = field(default_factory=list)

    def __call__(self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if self.recording:
            self.statements.append((statement, params))

    def take(self) -> list[tuple[str, Any]]:
        taken, self.statements = self.statements, []
        return taken


async def probe(url: str, username: str, window: Window, base_url: str, runs: int) -> Probe:
    """Time the timeline query and the rendering of its page, `runs` times each."""
    engine = create_engine(url)
    recorder = _Recorder()
    event.listen(engine.sync_engine, "before_cursor_execute", recorder)
    sessions = create_sessionmaker(engine)
    result = Probe()
    try:
        query_times, render_times, cpu_times = [], [], []
        for number in range(runs + 3):
            recorder.recording = number == 0
            async with sessions() as session:
                viewer = await _account(session, username)
                recorder.take()
                cpu = time.process_time()
                started = time.perf_counter()
                hidden = await hidden_from(session, viewer)
                entries = await timelines.home(
                    session,
                    viewer,
                    window=window,
                    exclude_accounts=hidden.accounts,
                    exclude_domains=hidden.domains,
                )
                picked = time.perf_counter()
                query_statements = recorder.take()
                await render(session, entries, viewer, base_url)
                done = time.perf_counter()
                cpu = time.process_time() - cpu
                render_statements = recorder.take()
            if number == 0:
                result.query_statements = len(query_statements)
                result.render_statements = len(render_statements)
                result.plans = await _plans(sessions, url, query_statements)
            if number >= 3:  # the first ones warm caches
                query_times.append(picked - started)
                render_times.append(done - picked)
                cpu_times.append(cpu)
        result.query_ms = statistics.median(query_times) * 1000
        result.render_ms = statistics.median(render_times) * 1000
        result.cpu_ms = statistics.median(cpu_times) * 1000
    finally:
        await engine.dispose()
    return result


async def render(
    session: AsyncSession, entries: list[timelines.Entry], viewer: Account, base_url: str
) -> list[dict[str, Any]]:
    """The Status entities of a page, as the API renders them."""
    rows = [(e.post, e.author) for e in entries]
    return await entities.statuses(session, rows, viewer, base_url, [e.boosted for e in entries])


async def _account(session: AsyncSession, username: str) -> Account:
    query = select(Account).where(Account.username == username, Account.domain.is_(None))
    account = await session.scalar(query)
    assert account is not None, f"no local account {username!r}"
    return account


async def _plans(
    sessions: async_sessionmaker[AsyncSession], url: str, statements: list[tuple[str, Any]]
) -> list[str]:
    """The plan of every statement that reads posts or the home feed."""
    explain = "EXPLAIN QUERY PLAN " if is_sqlite(url) else "EXPLAIN (ANALYZE, COSTS OFF) "
    plans = []
    async with sessions() as session:
        connection = await session.connection()
        for statement, params in statements:
            if "FROM posts" not in statement and "FROM home_feed" not in statement:
                continue
            rows = await connection.exec_driver_sql(explain + statement, params)
            lines = [_shorten(str(row[-1]), 150) for row in rows]
            plans.append(
                _shorten(" ".join(statement.split()), 150) + "\n    " + "\n    ".join(lines)
            )
    return plans


def _shorten(line: str, width: int) -> str:
    """PostgreSQL prints the 500 followed ids inline; a plan line is cut to `width`."""
    return line if len(line) <= width else line[: width - 4] + " ..."
