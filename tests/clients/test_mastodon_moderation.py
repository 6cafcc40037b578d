"""A moderators' tool built on Mastodon.py works the report queue and limits an account on a
real node; the audit log shows every action."""

from __future__ import annotations

import pytest
from mastodon.errors import MastodonAPIError

from tests.clients.test_mastodon_py import client
from tests.rig.nodes import NodeProcess

pytestmark = pytest.mark.processes
ADMIN_SCOPES = ["read", "write", "admin:read", "admin:write"]


def test_a_moderator_tool_resolves_a_report_and_limits_the_account(node: NodeProcess) -> None:
    alice = client(node, "alice", node.create_member("alice"))
    bob = client(node, "bob", node.create_member("bob"))
    bob_id = bob.me().id
    nasty = bob.status_post("something nasty", visibility="public")
    filed = alice.report(bob_id, status_ids=[nasty.id], comment="harassment")
    mod = client(node, "mira", node.create_member("mira"), ADMIN_SCOPES)
    with pytest.raises(MastodonAPIError, match="403"):
        mod.admin_reports()  # a member, not (yet) a moderator (Mastodon.py drops the message)
    assert node.run("admin", "grant", "mira", "--role", "moderator").returncode == 0

    [report] = mod.admin_reports()
    assert (report.id, report.comment, report.action_taken) == (filed.id, "harassment", False)
    assert (report.account.username, report.target_account.account.acct) == ("alice", "bob")
    assert [s.id for s in report.statuses] == [nasty.id]
    assert [a.username for a in mod.admin_accounts_v2(origin="local", username="bo")] == ["bob"]

    mod.admin_account_moderate(bob_id, "silence", report_id=report.id, text="repeated insults")
    assert mod.admin_reports() == []
    [closed] = mod.admin_reports(resolved=True)
    assert closed.action_taken is True and closed.action_taken_by_account.username == "mira"
    [limited] = mod.admin_accounts_v2(status="silenced")
    assert (limited.username, limited.silenced, limited.role.name) == ("bob", True, "")
    assert nasty.id not in [s.id for s in alice.timeline_public()]
    assert mod.admin_report_reopen(report.id).action_taken is False
    assert mod.admin_report_resolve(report.id).action_taken is True
    with pytest.raises(MastodonAPIError, match="not allowed"):
        mod.admin_domain_blocks()  # domain blocks stay with admins

    every = node.run("audit").stdout.splitlines()
    assert "role.moderator" in every[-1] and every[-1].endswith("@mira")  # her role, given first
    log = [line for line in every if line.split()[2] == "mira"]
    assert [line.split()[2:5] for line in log] == [
        ["mira", "report.resolve", "report"],
        ["mira", "report.reopen", "report"],
        ["mira", "report.resolve", "report"],
        ["mira", "account.silence", "@bob"],
    ]
    assert log[3].endswith("repeated insults")
