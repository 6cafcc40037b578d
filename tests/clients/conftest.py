"""A real Harbour node for the client tests, on each database."""

from __future__ import annotations

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
def node_pair(sqlite_databases: SQLiteDatabases, tmp_path: Path) -> Iterator[list[NodeProcess]]:
    """Two real nodes, A and B, that federate with anyone (each on its own SQLite file)."""
    nodes = [
        NodeProcess(
            port=free_port(), data_dir=tmp_path / name, database_url=sqlite_databases.create()
        )
        for name in ("a", "b")
    ]
    try:
        for node in nodes:
            node.extra_env["HARBOUR_FEDERATION_MODE"] = "open"
            node.start()
        yield nodes
    finally:
        for node in nodes:
            node.stop()
