"""Three real Harbour nodes on loopback, each with its own database, port and host name."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rig.databases import PostgresDatabases, SQLiteDatabases
from tests.rig.nodes import NodeProcess, free_port

NAMES = ("node-a.test", "node-b.test", "node-c.test")


@pytest.fixture
def fleet_names() -> tuple[str, ...]:
    """The host names of nodes A, B and C; a test module may name them otherwise."""
    return NAMES


@pytest.fixture
def fleet(
    request: pytest.FixtureRequest,
    fleet_names: tuple[str, ...],
    sqlite_databases: SQLiteDatabases,
    postgresql_databases: PostgresDatabases,
    tmp_path: Path,
) -> Iterator[list[NodeProcess]]:
    """Nodes A and C on SQLite, B on PostgreSQL, federating openly with each other, with
    authorized fetch on (the default) unless the test is marked `unsigned_fetches`. An
    indirect parameter gives node A more settings (`HARBOUR_*` variables)."""
    settings_of_a: dict[str, str] = getattr(request, "param", {})
    ports = [free_port() for _ in fleet_names]
    dev_hosts = ",".join(f"{name}=127.0.0.1" for name in fleet_names)
    backends = [sqlite_databases, postgresql_databases, sqlite_databases]
    nodes = []
    for name, port, databases in zip(fleet_names, ports, backends, strict=True):
        node = NodeProcess(
            port=port, data_dir=tmp_path / name, database_url=databases.create(), name=name
        )
        node.extra_env.update(HARBOUR_DEV_HOSTS=dev_hosts, HARBOUR_FEDERATION_MODE="open")
        if request.node.get_closest_marker("unsigned_fetches"):
            node.extra_env["HARBOUR_AUTHORIZED_FETCH"] = "false"
        nodes.append(node)
    nodes[0].extra_env.update(settings_of_a)
    for node in nodes:  # all at once: each spends seconds setting up its database
        node.launch()
    deadline = time.perf_counter() + 90
    for node in nodes:
        node.wait_until_serving(deadline)
    yield nodes
    for node, databases in zip(nodes, backends, strict=True):
        node.stop()
        databases.drop(node.database_url)
