"""Real Harbour nodes for the client tests: one on each database, or two that federate."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rig.databases import SQLiteDatabases
from tests.rig.nodes import NodeProcess, free_port


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[NodeProcess]:
    harbour = NodeProcess(port=free_port(), data_dir=tmp_path / "node", database_url=database_url)
    harbour.start()
    yield harbour
    harbour.stop()


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
