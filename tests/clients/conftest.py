"""Real Harbour nodes for the client tests: one node, or two that federate.

The client libraries see the same API whichever database is behind it, so a test runs on
SQLite only unless marked `both_databases` (paging, search and restarts, where the database
shows through)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import BACKENDS
from tests.rig.databases import SQLiteDatabases
from tests.rig.nodes import NodeProcess, free_port


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "node" in metafunc.fixturenames:
        both = metafunc.definition.get_closest_marker("both_databases") is not None
        metafunc.parametrize("node_backend", BACKENDS if both else ["sqlite"])


@pytest.fixture
def node(
    node_backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[NodeProcess]:
    databases = request.getfixturevalue(f"{node_backend}_databases")
    url = databases.create()
    harbour = NodeProcess(port=free_port(), data_dir=tmp_path / "node", database_url=url)
    try:
        harbour.start()
        yield harbour
    finally:
        harbour.stop()
        databases.drop(url)


@pytest.fixture
def two_nodes(
    sqlite_databases: SQLiteDatabases, tmp_path: Path
) -> Iterator[tuple[NodeProcess, NodeProcess]]:
    """Nodes a and b in open federation, each on its own SQLite database."""
    nodes = [
        NodeProcess(
            port=free_port(), data_dir=tmp_path / name, database_url=sqlite_databases.create()
        )
        for name in ("a", "b")
    ]
    try:
        for harbour in nodes:  # both at once: each spends seconds setting up its database
            harbour.extra_env["HARBOUR_FEDERATION_MODE"] = "open"
            harbour.launch()
        deadline = time.perf_counter() + 90
        for harbour in nodes:
            harbour.wait_until_serving(deadline)
        yield nodes[0], nodes[1]
    finally:
        for harbour in nodes:
            harbour.stop()
            sqlite_databases.drop(harbour.database_url)
