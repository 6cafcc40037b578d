"""megalodon (npm), a Mastodon client library, against a real Harbour node."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.rig.nodes import NodeProcess
from tests.rig.npm import npm_installed

pytestmark = pytest.mark.processes
FOLDER = Path(__file__).with_name("megalodon")


def test_megalodon_detects_harbour_posts_sensitive_and_boosts(node: NodeProcess) -> None:
    folder = npm_installed(FOLDER, "megalodon", "the megalodon client tests")
    password = node.create_member("alice")
    token = node.app_token("alice", password, scope="read write")
    done = subprocess.run(
        [str(shutil.which("node")), "client.js", node.base_url, token],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout)
    # Its detector reads NodeInfo's metadata.upstream, as for Mastodon's forks.
    assert seen["sns"] == "mastodon"
    assert seen["posted"]["sensitive"] is True
    # The boost comes back as Mastodon answers it: the booster's status wrapping the post.
    boost = seen["boosted"]
    assert boost["id"] != seen["posted"]["id"]
    assert boost["account"]["username"] == "alice"
    assert boost["reblog"]["id"] == seen["posted"]["id"]
    assert boost["reblog"]["reblogged"] is True
    # Undone by the boost's own id, as clients that keep the answer do.
    assert seen["undone"]["id"] == seen["posted"]["id"]
    assert seen["undone"]["reblogged"] is False
