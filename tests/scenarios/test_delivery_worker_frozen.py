"""Attack on a worker frozen past its lease (attack5), with real processes: two `harbour
worker` processes on one PostgreSQL database fan reports out to slow servers, and the one
sending them is frozen (SIGSTOP: a paused VM or container, swapped out) longer than the
lease of its claims, then resumed. Its lock stayed held (its connection lived), so the other
worker took the deliveries over when their lease ran out and sent them, and the resumed
worker, its lock confirmed again, could go on sending the rest of its queue (its sends now
start only within the lease, `test_delivery_longer_than_lease.py`). Still, what it sent
before the freeze was not yet recorded, and the other worker sent it again. Only the sends
in flight at the freeze should arrive twice."""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.rig.nodes import Replica
from tests.scenarios.test_delivery_liveness_cut import Received, interrupted_sender
from tests.scenarios.test_delivery_liveness_cut import servers as servers  # the fixture
from tests.scenarios.test_delivery_longer_than_lease import quick_leases as quick_leases
from tests.scenarios.test_inbox_order_across_workers import node as node  # the fixture

pytestmark = pytest.mark.processes
REPORTS = 150  # to each of the 4 servers: 600 deliveries in one claim, ~12 s to send
IN_FLIGHT = 4 * 4  # PER_HOST requests to each server


def freeze(_web: Replica, pid: int) -> None:
    os.kill(pid, signal.SIGSTOP)
    time.sleep(20)  # past the lease, short of the grace: the lock is held throughout
    os.kill(pid, signal.SIGCONT)


def test_a_worker_frozen_past_its_lease_sends_no_report_twice(
    quick_leases: None, node: list[Replica], servers: tuple[list[str], Received]
) -> None:
    interrupted_sender(node, servers, REPORTS, freeze, twice_at_most=IN_FLIGHT)
