"""A worker that starts while another process holds SQLite's write lock past the busy
timeout waits for it and goes on: its first statement (giving back a stopped worker's
claims) failed, the worker's task ended for good with nothing logged, and the node went on
answering 202 to activities it never applied (attack20)."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from content.posts import Post
from tests.rig.nodes import NodeProcess, read_database, settle
from tests.scenarios.test_inbox_nul import EVE, note, post
from tests.scenarios.test_inbox_nul import node as known_eve  # noqa: F401

pytestmark = pytest.mark.processes
LOCKED_SECONDS = 8.0  # past the busy timeout (5 s) the worker's first write meets


@pytest.fixture
def locked_at_start(known_eve: NodeProcess) -> Iterator[NodeProcess]:  # noqa: F811
    """The node restarted while another process holds its database's write lock, which it
    lets go LOCKED_SECONDS after taking it."""
    known_eve.stop()
    holder = sqlite3.connect(str(Path(make_url(known_eve.database_url).database or "")))
    holder.execute("BEGIN IMMEDIATE")
    taken = time.monotonic()
    try:
        known_eve.start()  # reads only until its worker's first write, a second later
        time.sleep(max(0.0, LOCKED_SECONDS - (time.monotonic() - taken)))
    finally:
        holder.rollback()
        holder.close()
    yield known_eve


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.expect_failures("giving back a stopped worker's claims failed", "database is locked")
def test_a_worker_started_under_a_lock_applies_what_arrives_once_it_is_gone(
    locked_at_start: NodeProcess,
) -> None:
    assert post(locked_at_start, note(locked_at_start, 1)).status_code == 202
    settle(locked_at_start)

    async def posts(session: AsyncSession) -> list[str]:
        return list(await session.scalars(select(Post.uri)))

    assert read_database(locked_at_start, posts) == [f"{EVE}/statuses/1"]
