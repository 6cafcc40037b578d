"""Allowlist mode: node A federates only with listed hosts; C is taken off the list and
refused both ways at once, while B is not, then listed again."""

from __future__ import annotations

import pytest

from tests.rig.nodes import NodeProcess
from tests.scenarios.test_domain_blocks import C_REFUSED_BY_A, shut_out_then_let_back

# Follows are counted by GETting collections unsigned (A keeps any setting the test gives it).
pytestmark = [pytest.mark.processes, pytest.mark.unsigned_fetches]
A_SETTINGS = {"HARBOUR_FEDERATION_MODE": "allowlist", "HARBOUR_AUTHORIZED_FETCH": "true"}


def allow(a: NodeProcess, other: NodeProcess) -> None:
    done = a.run("domain", "allow", other.domain)
    assert done.returncode == 0, done.stderr


def disallow(a: NodeProcess, c: NodeProcess) -> None:
    done = a.run("domain", "disallow", c.domain)
    assert done.returncode == 0, done.stderr
    assert c.domain not in a.run("domain", "list").stdout


@pytest.mark.parametrize("fleet", [A_SETTINGS], indirect=True)
@pytest.mark.expect_failures(C_REFUSED_BY_A)
def test_a_host_taken_off_the_allowlist_is_refused_both_ways_until_allowed_again(
    fleet: list[NodeProcess],
) -> None:
    a, b, c = fleet
    allow(a, b)
    allow(a, c)
    assert a.run("domain", "list").stdout.split() == ["allowed", b.domain, "allowed", c.domain]
    shut_out_then_let_back(fleet, disallow, allow, purges=False)
