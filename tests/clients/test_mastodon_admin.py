"""Admin tools built on Mastodon.py manage domain blocks; every change is in the audit log."""

from __future__ import annotations

import pytest
from mastodon.errors import MastodonAPIError

from tests.clients.test_mastodon_py import client
from tests.rig.nodes import NodeProcess

pytestmark = pytest.mark.processes
ADMIN_SCOPES = ["read", "write", "admin:read", "admin:write"]


def test_an_admin_tool_blocks_changes_and_lifts_a_domain(node: NodeProcess) -> None:
    admin = client(node, "mira", node.create_member("mira"), ADMIN_SCOPES)
    with pytest.raises(MastodonAPIError, match="not allowed"):
        admin.admin_domain_blocks()  # a member, not (yet) an admin
    assert node.run("admin", "grant", "mira").returncode == 0

    made = admin.admin_create_domain_block(
        "hostile.example", severity="suspend", reject_media=True,
        private_comment="doxxing our members", public_comment="Harassment",
    )  # fmt: skip
    assert (made.domain, made.severity, made.reject_media) == ("hostile.example", "suspend", True)
    with pytest.raises(MastodonAPIError, match="existing_domain_block"):
        admin.admin_create_domain_block("hostile.example")
    changed = admin.admin_update_domain_block(made.id, severity="silence")
    assert (changed.severity, changed.reject_media) == ("silence", True)
    assert [b.domain for b in admin.admin_domain_blocks()] == ["hostile.example"]
    published = admin.instance_domain_blocks()
    assert [(b.domain, b.severity, b.comment) for b in published] == [
        ("hostile.example", "silence", "Harassment")
    ]
    assert "doxxing" not in str(published)
    admin.admin_delete_domain_block(made.id)
    assert admin.admin_domain_blocks() == []

    every = node.run("audit").stdout.splitlines()
    assert "role.admin" in every[-1] and every[-1].endswith("@mira")  # her role, given first
    log = [line for line in every if line.split()[2] == "mira"]
    assert [line.split()[2:5] for line in log] == [
        ["mira", "domain.unblock", "hostile.example"],
        ["mira", "domain.silence", "hostile.example"],
        ["mira", "domain.suspend", "hostile.example"],
    ]
    assert log[2].endswith("doxxing our members")
