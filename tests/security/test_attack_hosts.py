"""Attack: a suspended server written as an IPv6 address comes back on another port.

A domain block matches a host, the host without its port and its parent domains. For an
IPv6 address the port was never taken off (the address has colons of its own), so a server
suspended as `[2606:4700::1111]` was let in as `[2606:4700::1111]:8443`; and a block typed
as admins write an address, without brackets, was stored in a form no host id ever has,
matching nothing. Checked on a real node: its inbox refuses a suspended host (403) before
it looks at the signature (401).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rig.nodes import NodeProcess, open_node

pytestmark = pytest.mark.processes
# Typed as an admin would, or as the id writes it; the server it means, at ports it may use.
BLOCKED = ["2606:4700::1111", "[2606:4700::1111]", "https://[2606:4700:0::1111]/"]
SERVERS = ["https://[2606:4700::1111]", "https://[2606:4700::1111]:8443"]


@pytest.fixture
def node(database_url: str, tmp_path: Path) -> Iterator[NodeProcess]:
    node = open_node(database_url, tmp_path / "node", "alice")
    yield node
    node.stop()


def inbox_answer(node: NodeProcess, server: str) -> int:
    actor = f"{server}/users/eve"
    activity = {"id": f"{actor}/follows/1", "type": "Follow", "actor": actor,
                "object": f"{node.base_url}/users/alice"}  # fmt: skip
    with node.client() as http:
        answer = http.post(
            "/users/alice/inbox",
            content=json.dumps(activity),
            headers={"content-type": "application/activity+json"},
        )
    return answer.status_code


def answers_within_a_second(node: NodeProcess, expected: list[int]) -> bool:
    """Whether the servers' POSTs get `expected` at once (a block another process, here the
    CLI, makes is read by the next request), allowing for the requests' own time."""
    deadline = time.monotonic() + 2.5  # a second, and the requests' own time on busy cores
    while [inbox_answer(node, server) for server in SERVERS] != expected:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_a_suspended_ipv6_server_is_refused_however_the_block_is_typed_and_on_any_port(
    node: NodeProcess,
) -> None:
    # Not blocked yet: the request gets as far as its (missing) signature.
    assert [inbox_answer(node, server) for server in SERVERS] == [401, 401]
    for typed in BLOCKED:
        blocked = node.run("domain", "block", typed)
        assert blocked.returncode == 0, blocked.stderr
        assert answers_within_a_second(node, [403, 403]), typed
        assert node.run("domain", "unblock", typed).returncode == 0
        assert answers_within_a_second(node, [401, 401]), typed  # each typing proves itself
