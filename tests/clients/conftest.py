"""A real Harbour node for the client tests, on each database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rig.nodes import NodeProcess, free_port


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[NodeProcess]:
    harbour = NodeProcess(port=free_port(), data_dir=tmp_path / "node", database_url=database_url)
    harbour.start()
    yield harbour
    harbour.stop()
