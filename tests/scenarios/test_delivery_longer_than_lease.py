"""Attack on a host's queue that outlasts the lease of its claim (attack5), with real
processes: two `harbour worker` processes on one PostgreSQL database, and a fan-out to slow
servers whose queues take longer to send than a claim's lease (5 minutes; 15 s here, scaled
by HARBOUR_TEST_RETRY_SCALE). Nothing renewed the lease and a host's outcomes are written
only when its whole queue is sent: once the lease ran out the other worker claimed the same
deliveries, those sent already and those not yet, and sent them as well, while the first
worker went on. A host with a backlog (back from an outage) that answers in ~1.2 s gets a
claim of up to 1,000 of them, 4 at a time: longer than 5 minutes. Each arrives once."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.rig.nodes import Replica
from tests.scenarios.test_delivery_liveness_cut import Received, interrupted_sender
from tests.scenarios.test_delivery_liveness_cut import servers as servers  # the fixture
from tests.scenarios.test_inbox_order_across_workers import node as node  # the fixture

pytestmark = pytest.mark.processes
REPORTS = 300  # to each of the 4 servers: 1,000 claimed at once, 250 a server, ~19 s each


@pytest.fixture
def quick_leases(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A claim's lease of 15 s (5 minutes scaled), for the processes started after."""
    monkeypatch.setenv("HARBOUR_TEST_RETRY_SCALE", "0.05")
    yield


def test_a_queue_longer_than_its_lease_reaches_each_server_once(
    quick_leases: None, node: list[Replica], servers: tuple[list[str], Received]
) -> None:
    servers[1].release()  # never held: answers held would outlast the lease, sent again
    interrupted_sender(node, servers, REPORTS, lambda _web, _pid: None)
