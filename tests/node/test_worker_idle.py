"""What an idle worker's pass costs, in statements (benchmarks/idle_cpu.py has its CPU): with
nothing due, inbox items, deliveries, imported lines and pushes are each one plain SELECT and
no commit. Before, each pass claimed inbox items (on PostgreSQL behind a lock), deliveries
and pushes (an UPDATE and a commit or two each), read lines and overwrites apart, and built
the inbox claim's condition anew, in every idle node every second."""

from __future__ import annotations

import pytest

from federation import import_rows, jobs
from federation.inbox_apply import hosts_free
from federation.worker import Worker
from node.app import pusher_for
from node.state import Services
from tests.node.test_inbox_statements import counted

pytestmark = pytest.mark.anyio


async def test_an_idle_pass_reads_imports_and_pushes_once_each(services: Services) -> None:
    fed = services.federation
    pusher = pusher_for(services.settings, services.interface)
    with counted(services) as statements, counted(services, "commit", 0) as made:
        assert await import_rows.run_due(fed, jobs.LEASE) == 0
        assert await pusher.run_due(fed) == 0
    assert len(statements) == 2 and all(s.startswith("SELECT") for s in statements)
    assert not made
    assert hosts_free() is hosts_free()  # the claim's condition is built once


async def test_an_idle_pass_is_a_select_for_each_queue(services: Services) -> None:
    worker = Worker(services.federation)
    await worker.run_once()  # the hourly and half-minute work done
    with counted(services) as statements, counted(services, "commit", 0) as made:
        assert await worker.run_once() == 0
    # inbox items, deliveries, imported lines (with overwrites): pushes have no pusher here
    assert len(statements) == 3 and all(s.startswith("SELECT") for s in statements), statements
    assert not made
