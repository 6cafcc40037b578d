"""Attack on `federation.liveness`: both PostgreSQL workers' lock connections are cut
(pg_terminate_backend) again and again while they apply one server's notes and their
Deletes, in bursts of cuts 0.4 s apart (a worker starts nothing until its lock has been held
again for HOLD_OFF: the pauses between bursts let work go on). Each cut frees a worker's
lock while it still applies what it holds (released at once, another worker took its
claims meanwhile): every item is applied once, in the order it arrived (the Deletes after
their notes: nothing kept)."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from content.notifications import Notification
from content.posts import Post
from federation import liveness
from tests.rig.nodes import Replica, read_database, wait_for
from tests.scenarios.test_inbox_order_across_workers import BATCH, ROUNDS, arrive_in_order
from tests.scenarios.test_inbox_order_across_workers import node as node  # the fixture
from tests.scenarios.test_several_processes import job_states

pytestmark = pytest.mark.processes
BURST = 5  # cuts 0.4 s apart, then a pause
# Only this node's workers: other tests' nodes share the server (their own databases).
CUT = (
    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
    " WHERE datname = current_database() AND application_name LIKE 'harbour worker %%'"
)


@pytest.mark.expect_failures(r"liveness lock was lost")
def test_workers_whose_locks_are_cut_apply_each_item_once_in_order(node: list[Replica]) -> None:
    web = node[0]
    web.create_member("sam")
    sam = f"{web.base_url}/users/sam"

    conninfo = make_url(web.database_url).set(drivername="postgresql")
    cuts, done = [0], threading.Event()

    def cut_again_and_again() -> None:
        with psycopg.connect(conninfo.render_as_string(hide_password=False), autocommit=True) as db:
            while True:
                for _ in range(BURST):
                    if done.wait(0.4):
                        return
                    cuts[0] += int(db.execute(CUT).fetchone()[0])  # type: ignore[index]
                if done.wait(liveness.HOLD_OFF + 3):
                    return

    cutter = threading.Thread(target=cut_again_and_again)
    read_database(web, lambda session: arrive_in_order(session, sam))
    cutter.start()
    try:
        wait_for(
            lambda: not {"queued", "retry"} & set(job_states(web, "inbox_items")),
            timeout=180,
            what="every item applied",
        )
    finally:
        done.set()
        cutter.join()

    async def kept(session: AsyncSession) -> tuple[int, int]:
        posts = await session.scalar(select(func.count()).select_from(Post))
        notes = await session.scalar(select(func.count()).select_from(Notification))
        return int(posts or 0), int(notes or 0)

    time.sleep(0.2)
    assert cuts[0] >= 2
    assert read_database(web, kept) == (0, 0)
    assert job_states(web, "inbox_items") == {"applied": 2 * BATCH * ROUNDS}
