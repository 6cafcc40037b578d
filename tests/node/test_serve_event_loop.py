"""`harbour serve` runs on the event loop and HTTP parser it is tested on, also where uvloop
is installed (as `pip install uvicorn[standard]` does): uvicorn takes uvloop by default, and
under it the node's signing process never started."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from tests.rig import nodes
from tests.rig.databases import SQLiteDatabases
from tests.rig.nodes import NodeProcess, free_port

pytestmark = pytest.mark.processes
ROOT = Path(__file__).resolve().parents[2]

# A stand-in for the uvloop package, found first on the node's module path: it notes each
# loop asked of it, and hands out asyncio's own so that the node still runs either way.
FAKE_UVLOOP = """
import asyncio
import os


def new_event_loop():
    with open(os.environ["FAKE_UVLOOP_USED"], "a") as used:
        used.write("asked\\n")
    return asyncio.new_event_loop()
"""


def test_serve_keeps_asyncios_loop_where_uvloop_is_installed(
    sqlite_databases: SQLiteDatabases, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(nodes, "FORKED_STARTS", False)  # a fork keeps the rig's module path
    modules, used = tmp_path / "modules", tmp_path / "uvloop-used"
    (modules / "uvloop").mkdir(parents=True)
    (modules / "uvloop" / "__init__.py").write_text(FAKE_UVLOOP)
    node = NodeProcess(
        port=free_port(), data_dir=tmp_path / "node", database_url=sqlite_databases.create()
    )
    # Ahead of this checkout's code: the editable install may point at another checkout.
    path = [str(modules), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]
    node.extra_env.update(PYTHONPATH=os.pathsep.join(path), FAKE_UVLOOP_USED=str(used))
    node.launch()
    try:
        node.wait_until_serving(time.perf_counter() + 120)
        with node.client() as http:
            assert http.get("/.well-known/nodeinfo").status_code == 200
    finally:
        node.stop()
    assert not used.exists(), "harbour serve ran on uvloop"
