"""Shared trust lists between two real nodes: A reviews B's published blocks, applies them
only when told, and is offered the removal when B lifts its block."""

from __future__ import annotations

import pytest

from tests.rig.nodes import NodeProcess

pytestmark = pytest.mark.processes


def harbour(node: NodeProcess, *args: str) -> str:
    done = node.run(*args)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_a_partners_published_blocks_are_reviewed_then_applied(fleet: list[NodeProcess]) -> None:
    a, b, c = fleet
    harbour(b, "domain", "allow", a.domain)  # B shows its blocks to its partners only
    harbour(b, "domain", "block", "hostile.example", "--public-comment", "harassment")
    source = f"{b.base_url}/api/v1/instance/domain_blocks"
    assert f"Subscribed to {b.domain} (blocklist)" in harbour(a, "trust", "subscribe", source)

    reviewed = harbour(a, "trust", "review")
    assert f"{b.domain} (blocklist, {source}): 1 change" in reviewed
    assert "add     suspend  hostile.example  (harassment)" in reviewed
    assert harbour(a, "domain", "list") == ""  # nothing changes before an admin applies it

    applied = harbour(a, "trust", "apply", b.domain)
    assert f"{b.domain}: add     suspend  hostile.example" in applied
    assert "1 change applied" in applied
    assert harbour(a, "domain", "list").split() == ["suspend", "hostile.example"]
    log = harbour(a, "audit")
    assert "domain.suspend" in log and f"from trust list {b.domain}" in log

    harbour(b, "domain", "unblock", "hostile.example")
    again = harbour(a, "trust", "review", source)
    assert "remove  suspend hostile.example" in again
    assert harbour(a, "domain", "list").split() == ["suspend", "hostile.example"]

    # A list whose server is down gives one line, kept for `trust list`.
    harbour(a, "trust", "subscribe", f"{c.base_url}/blocklist.csv", "--name", "node-c")
    c.stop()
    down = a.run("trust", "review", "node-c")
    assert down.returncode == 1
    assert down.stderr.startswith("harbour: node-c: ") and "cannot connect" in down.stderr
    assert down.stderr.count("\n") == 1
    assert "last error:" in harbour(a, "trust", "list")
    assert (
        "harbour: no pending change for other.example"
        in a.run("trust", "apply", b.domain, "--only", "other.example").stderr
    )
