"""Attack on a stopping worker (attack5), with real processes: two `harbour worker` processes
on one PostgreSQL database fan reports the instance actor forwards (Flags) out to slow
servers, and the worker sending them is stopped (SIGTERM, as a deploy or a restart does)
while it sends. SIGTERM's default ended `harbour worker` at once (and a stop cancelled the
hosts' senders after STOP_SECONDS): what it had sent since its claim was never recorded,
the claims stayed its own, and once its lock had been gone for the grace the other worker
gave them back and sent them again (48 of 600 twice). Each server gets each once. And a
second interrupt ends a stopping worker at once (it did nothing)."""

from __future__ import annotations

import os
import signal
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from federation.transport import DEADLINE
from tests.rig.listeners import LoopbackServer
from tests.rig.nodes import Replica, free_port, wait_for
from tests.scenarios.test_delivery_liveness_cut import (
    Received,
    forward_reports,
    interrupted_sender,
    sender,
)
from tests.scenarios.test_delivery_liveness_cut import servers as servers  # the fixture
from tests.scenarios.test_inbox_order_across_workers import node as node  # the fixture

pytestmark = pytest.mark.processes
REPORTS = 150  # to each of the 4 servers: 600 deliveries in one claim, ~12 s to send


def test_a_stopped_senders_reports_reach_each_server_once(
    node: list[Replica], servers: tuple[list[str], Received]
) -> None:
    interrupted_sender(node, servers, REPORTS, lambda _web, pid: os.kill(pid, signal.SIGTERM))


class Hanging(BaseHTTPRequestHandler):
    """A server that takes a delivery and never answers it (a send stays in flight)."""

    got = threading.Event()

    def do_POST(self) -> None:  # noqa: N802 (http.server's name)
        self.rfile.read(int(self.headers.get("content-length") or 0))
        Hanging.got.set()
        time.sleep(DEADLINE + 5)

    def log_message(self, *args: object) -> None:
        pass


def test_a_second_interrupt_ends_a_stopping_worker_at_once(node: list[Replica]) -> None:
    """An operator's Ctrl-C stops the worker once its sends in flight end (here the
    transport's deadline, a hanging server); pressing it again quits at once."""
    hanging = LoopbackServer(("127.0.0.1", free_port()), Hanging)
    hanging.daemon_threads = True
    threading.Thread(target=hanging.serve_forever, daemon=True).start()
    try:
        web = node[0]
        forward_reports(web, [f"127.0.0.1:{hanging.server_port}"], 1)
        found: list[int | None] = [None]

        def sending() -> bool:
            found[0] = sender(web)
            return found[0] is not None

        wait_for(sending, timeout=60, what="a worker sending the report")
        assert Hanging.got.wait(timeout=30)  # the send is in flight
        stopping = next(each for each in node[1:] if each.process and each.process.pid == found[0])
        process = stopping.process
        assert process is not None
        process.send_signal(signal.SIGINT)
        wait_for(lambda: "Interrupt again to quit at once" in stopping.output(), what="stop")
        time.sleep(1)
        assert process.poll() is None  # it waits for the hanging send
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=5) == 128 + signal.SIGINT
        assert "Quitting now." in stopping.output()
    finally:
        hanging.shutdown()
        hanging.server_close()
