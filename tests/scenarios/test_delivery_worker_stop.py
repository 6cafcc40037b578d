"""Attack on a stopping worker (attack5), with real processes: two `harbour worker` processes
on one PostgreSQL database fan reports the instance actor forwards (Flags) out to slow
servers, and the worker sending them is stopped (SIGTERM, as a deploy or a restart does)
while it sends. SIGTERM's default ended `harbour worker` at once (and a stop cancelled the
hosts' senders after STOP_SECONDS): what it had sent since its claim was never recorded,
the claims stayed its own, and once its lock had been gone for the grace the other worker
gave them back and sent them again (48 of 600 twice). Each server gets each once."""

from __future__ import annotations

import os
import signal

import pytest

from tests.rig.nodes import Replica
from tests.scenarios.test_delivery_liveness_cut import Received, interrupted_sender
from tests.scenarios.test_delivery_liveness_cut import servers as servers  # the fixture
from tests.scenarios.test_inbox_order_across_workers import node as node  # the fixture

pytestmark = pytest.mark.processes
REPORTS = 150  # to each of the 4 servers: 600 deliveries in one claim, ~12 s to send


def test_a_stopped_senders_reports_reach_each_server_once(
    node: list[Replica], servers: tuple[list[str], Received]
) -> None:
    interrupted_sender(node, servers, REPORTS, lambda _web, pid: os.kill(pid, signal.SIGTERM))
