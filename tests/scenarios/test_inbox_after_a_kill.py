"""A node on SQLite killed (SIGKILL) while its worker applied one server's inbox items: once
it is back, the items the dead worker held are given back at once, not after their lease
(5 minutes), and each item is applied once. A claim holds its host's other items too
(`inbox_apply.hosts_free`), so before, all that server's items waited the lease out."""

from __future__ import annotations

import json
import os
import signal
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from content.notifications import Notification
from content.orm import utcnow
from content.posts import Post
from federation import jobs
from federation.inbox import InboxItem
from tests.rig.databases import SQLiteDatabases
from tests.rig.nodes import NodeProcess, free_port, read_database, wait_for
from tests.scenarios.test_inbox_order_across_workers import create, known_eve

pytestmark = pytest.mark.processes
ITEMS = 1500


def counts(node: NodeProcess) -> tuple[int, int, int, int]:
    """Items applied, items claimed, posts and notifications."""

    async def read(session: AsyncSession) -> tuple[int, int, int, int]:
        def count(*where: object, of: object = InboxItem) -> object:
            return select(func.count()).select_from(of).where(*where)  # type: ignore[arg-type]

        return (
            int(await session.scalar(count(InboxItem.state == "applied")) or 0),
            int(await session.scalar(count(InboxItem.claim.is_not(None))) or 0),
            int(await session.scalar(count(of=Post)) or 0),
            int(await session.scalar(count(of=Notification)) or 0),
        )

    return read_database(node, read)


async def eves_notes(session: AsyncSession, sam: str, items: int) -> None:
    """`items` notes of eve's to sam, due in the order they arrived, announced, committed."""
    eve = await known_eve(session)
    due = utcnow() - timedelta(minutes=1)
    for number in range(items):
        activity = create(number, sam)
        session.add(
            InboxItem(
                activity_id=str(activity["id"]),
                activity_type="Create",
                actor_id=eve.id,
                body=json.dumps(activity),
                next_attempt_at=due + timedelta(milliseconds=number),
            )
        )
    await jobs.announce(session)  # the workers of several processes wake at the commit
    await session.commit()


def test_a_killed_workers_items_are_applied_once_it_is_back(
    sqlite_databases: SQLiteDatabases, tmp_path: Path
) -> None:
    node = NodeProcess(free_port(), tmp_path / "node", sqlite_databases.create())
    node.extra_env["HARBOUR_FEDERATION_MODE"] = "open"
    node.start()
    node.create_member("sam")
    node.stop()
    sam = f"{node.base_url}/users/sam"

    read_database(node, lambda session: eves_notes(session, sam, ITEMS))

    def holding() -> bool:
        """The worker holds a batch, some way into the items and not at their end."""
        applied, held, _, _ = counts(node)
        return held > 0 and ITEMS // 10 <= applied < ITEMS

    for _ in range(5):  # a kill can land between two batches (a loaded machine): again
        node.launch()
        wait_for(holding, what="a batch held")
        assert node.process is not None
        os.kill(node.process.pid, signal.SIGKILL)
        node.process.wait()
        if holding():
            break
    else:
        pytest.fail("each of 5 kills landed between two batches: nothing was held")
    node.start()
    started = time.monotonic()
    wait_for(lambda: counts(node)[0] == ITEMS, timeout=90, what="every item applied")
    assert time.monotonic() - started < 60
    assert counts(node) == (ITEMS, 0, ITEMS, ITEMS)  # each applied once
    node.stop()
