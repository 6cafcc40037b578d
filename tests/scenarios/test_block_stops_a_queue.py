"""A domain block stops a queue while it is being sent (`policy_recheck.RECHECK_SECONDS`), with
real processes: a node (SQLite, its worker in the same process) sends the reports its
instance actor forwards to one slow server, and an admin suspends that server's domain with
`harbour domain block` while they go out. Before, every delivery claimed before the block
was still sent, up to the claim's lease (minutes); now the sends stop within about a second
of the block, and the rest ends refused."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import pytest

from federation import jobs
from federation.host_queue import PER_HOST
from federation.policy_recheck import RECHECK_SECONDS
from tests.rig.databases import SQLiteDatabases
from tests.rig.listeners import LoopbackServer
from tests.rig.nodes import NodeProcess, free_port, open_node, wait_for
from tests.scenarios.test_delivery_liveness_cut import forward_reports
from tests.scenarios.test_several_processes import job_states

pytestmark = pytest.mark.processes
QUEUED = 200
ANSWER_SECONDS = 0.1  # each delivery, PER_HOST at a time: ~40 a second, 5 s for the queue
BLOCK_AT = 12  # arrived when the admin blocks the server
RATE = PER_HOST / ANSWER_SECONDS


class Arrivals:
    """How many deliveries reached the server (counted as each arrives)."""

    def __init__(self) -> None:
        self.count = 0
        self.lock = threading.Lock()

    def handler(self) -> type[BaseHTTPRequestHandler]:
        arrivals = self

        class Slow(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                self.rfile.read(int(self.headers.get("content-length") or 0))
                with arrivals.lock:
                    arrivals.count += 1
                time.sleep(ANSWER_SECONDS)
                self.send_response(202)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        return Slow


@pytest.fixture
def server() -> Iterator[tuple[str, Arrivals]]:
    """One slow server; its host, and what reached it."""
    arrivals = Arrivals()
    running = LoopbackServer(("127.0.0.1", free_port()), arrivals.handler())
    thread = threading.Thread(target=running.serve_forever)
    thread.start()
    yield f"127.0.0.1:{running.server_port}", arrivals
    running.shutdown()
    running.server_close()


@pytest.fixture
def node(sqlite_databases: SQLiteDatabases, tmp_path: Path) -> Iterator[NodeProcess]:
    started = open_node(sqlite_databases.create(), tmp_path, "alice")
    yield started
    started.stop()


def test_a_server_suspended_while_its_queue_goes_out_gets_no_more_of_it(
    node: NodeProcess, server: tuple[str, Arrivals]
) -> None:
    host, arrivals = server
    forward_reports(node, [host], QUEUED)
    wait_for(lambda: arrivals.count >= BLOCK_AT, what="the queue going out")
    blocked = node.run("domain", "block", host, process=True)
    assert blocked.returncode == 0, blocked.stderr
    at_block = arrivals.count  # the block is committed: from here, a second's sends at most
    wait_for(
        lambda: not set(job_states(node, "deliveries")) & set(jobs.OPEN_STATES),
        what="every delivery ended",
    )
    after = arrivals.count - at_block
    assert after <= PER_HOST + RATE * (RECHECK_SECONDS + 0.5), f"{after} arrived after the block"
    assert job_states(node, "deliveries") == {
        "delivered": arrivals.count,
        "refused": QUEUED - arrivals.count,
    }
