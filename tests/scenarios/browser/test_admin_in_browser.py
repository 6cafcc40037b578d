"""An organisation's admin runs node A from a phone, without JavaScript and without a shell:
she invites a newcomer and approves her, revokes an invite, subscribes to partner B's
private blocklist and applies its change, and turns lockdown on and off; the audit log
shows each of it."""

from __future__ import annotations

from contextlib import closing

import pytest
from playwright.sync_api import Page, expect

from tests.rig.nodes import NodeProcess
from tests.scenarios.browser.test_directory_in_browser import sign_in

pytestmark = pytest.mark.fleet(size=2)
APPROVAL = {"HARBOUR_REGISTRATION_APPROVAL": "true"}


def newcomer_joins(a: NodeProcess, link: str) -> None:
    """Someone opens the invite link on her own phone and joins: she waits for approval."""
    with closing(a.client()) as http:
        code = link.split("invite=", 1)[1]
        joined = http.post(
            "/register",
            data={"invite": code, "username": "nadia", "password": "a long passphrase 1"},
        )
        assert "waiting for approval" in joined.text


@pytest.mark.parametrize("fleet", [APPROVAL], indirect=True)
def test_an_admin_runs_the_node_from_the_admin_pages(fleet: list[NodeProcess], phone: Page) -> None:
    a, b = fleet
    # B publishes its blocks to partners only, and A is one.
    assert b.run("domain", "allow", a.domain).returncode == 0
    assert b.run("domain", "block", "hostile.example").returncode == 0
    password = a.create_member("ada")
    assert a.run("admin", "grant", "ada").returncode == 0
    sign_in(phone, a, "ada", password)

    # Invites: one for a newcomer, whom she then approves.
    phone.goto(f"{a.base_url}/admin")
    phone.get_by_role("link", name="Invites and newcomers").click()
    phone.get_by_label("How many people may join with it").fill("1")
    phone.get_by_role("button", name="Create an invite").click()
    link = phone.get_by_label("Invite link").input_value()
    assert link.startswith(f"{a.base_url}/register?invite=")
    newcomer_joins(a, link)
    phone.reload()
    expect(phone.get_by_text("No invite can be used now.")).to_be_visible()  # used up
    phone.get_by_role("button", name="Approve @nadia").click()
    expect(phone.get_by_text("Nobody is waiting.")).to_be_visible()
    # Another invite, revoked before anyone uses it.
    phone.get_by_role("button", name="Create an invite").click()
    expect(phone.get_by_text("Used 0 of 1 times")).to_be_visible()
    phone.get_by_role("button", name="Revoke").click()
    expect(phone.get_by_text("No invite can be used now.")).to_be_visible()

    # B's private list: subscribed, fetched by A's worker, reviewed and applied.
    phone.goto(f"{a.base_url}/admin/trust")
    phone.get_by_label("Address of the list").fill(f"{b.base_url}/api/v1/instance/domain_blocks")
    phone.get_by_label("Name (optional)").fill("partner-b")
    phone.get_by_role("button", name="Subscribe").click()
    change = phone.get_by_label("Block hostile.example: suspend")
    for _ in range(60):  # the worker fetches it within seconds
        if change.count():
            break
        phone.wait_for_timeout(500)
        phone.reload()
    expect(change).to_be_checked()
    phone.get_by_role("button", name="Apply the chosen changes").click()
    expect(phone.get_by_text("Nothing waits")).to_be_visible()
    phone.goto(f"{a.base_url}/admin/domains")
    expect(phone.get_by_text("hostile.example")).to_be_visible()

    # Lockdown on, then off.
    phone.goto(f"{a.base_url}/admin")
    phone.get_by_label("Why (for the audit log)").fill("a raid from hostile servers")
    phone.get_by_role("button", name="Turn lockdown on").click()
    expect(phone.get_by_text("Lockdown is on.")).to_be_visible()
    phone.get_by_role("button", name="Turn lockdown off").click()
    expect(phone.get_by_role("button", name="Turn lockdown on")).to_be_visible()

    phone.get_by_role("link", name="Audit log").click()
    log = phone.locator("main").inner_text()
    for action in (
        "invite.create",
        "account.approve",
        "invite.revoke",
        "trust.subscribe",
        "domain.suspend",
        "lockdown on",
        "lockdown off",
    ):
        assert action in log, action
    with closing(a.sign_in("nadia", "a long passphrase 1")):
        pass  # approved: she can sign in
