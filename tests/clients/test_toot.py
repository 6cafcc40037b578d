"""The toot command-line client, from PyPI, against a real Harbour node."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rig.nodes import NodeProcess

pytestmark = pytest.mark.processes
TOOT = Path(sys.executable).with_name("toot")


def test_toot_logs_in_posts_and_reads_timelines(node: NodeProcess, tmp_path: Path) -> None:
    password = node.create_member("alice", cli=True)
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config")}

    def toot(*args: str) -> str:
        done = subprocess.run(
            [str(TOOT), *args], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    toot("login_cli", "-i", node.base_url, "-e", "alice", "-p", password)
    toot("post", "Written with toot")
    assert "Written with toot" in toot("timelines", "home", "--no-pager", "--no-clear")
    assert "Written with toot" in toot("timelines", "public", "--local", "--no-pager", "--no-clear")
