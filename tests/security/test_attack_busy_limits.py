"""Attack: a flood of sign-ins queued on the shared failed-sign-in bucket took the node down.

Every failed sign-in of a node on PostgreSQL spends from one row of `rate_buckets`, and each
waiting attempt held a pooled connection while it queued for that row's lock. With the row
slow to come free (a slow database, or a flood of attempts), fifteen waiting sign-ins
emptied the pool: every other page waited 30 seconds and failed with 500. Now at most a few
connections go to the buckets at once, and an attempt that waits 2 seconds for the row is
refused for a second (429)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import psycopg
import pytest

from tests.rig.databases import PostgresDatabases
from tests.rig.nodes import NodeProcess, free_port

pytestmark = pytest.mark.processes
ATTEMPTS = 24


@pytest.fixture
def node(postgresql_databases: PostgresDatabases, tmp_path: Path) -> Iterator[NodeProcess]:
    node = NodeProcess(free_port(), tmp_path / "node", postgresql_databases.create())
    node.start()
    yield node
    node.stop()
    postgresql_databases.drop(node.database_url)


def test_sign_ins_waiting_on_their_bucket_leave_the_node_serving(node: NodeProcess) -> None:
    node.create_member("sam")
    with node.client() as http:  # the node's failed-sign-in bucket exists from here on
        assert http.post("/login", data={"username": "sam", "password": "no"}).status_code == 401

    def sign_in(number: int) -> int:
        with node.client() as http:
            answer = http.post("/login", data={"username": f"n{number}", "password": "no"})
            return answer.status_code

    with (
        psycopg.connect(node.database_url) as held,
        ThreadPoolExecutor(ATTEMPTS) as pool,
    ):  # the row stays locked as under a slow database
        held.execute("SELECT 1 FROM rate_buckets WHERE key = '' FOR UPDATE")
        waiting = [pool.submit(sign_in, number) for number in range(ATTEMPTS)]
        time.sleep(1)
        started = time.perf_counter()
        with node.client() as http:
            page = http.get("/@sam")
        took = time.perf_counter() - started
        answers = [attempt.result(timeout=60) for attempt in waiting]
        held.rollback()
    assert page.status_code == 200 and took < 5, took
    assert set(answers) == {429}
