"""Sessions and self-defence in a real Chromium at phone size: a password change signs out
the member's other browser and her app; from a profile she reports (to her moderators only),
mutes, unfollows and blocks without script. (The quick exit: test_quick_exit_in_browser.)"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, Route, expect

from tests.rig.databases import SQLiteDatabases
from tests.rig.nodes import NodeProcess
from tests.scenarios.browser.conftest import one_node, phone_context
from tests.scenarios.browser.test_directory_in_browser import sign_in

NEUTRAL = "https://www.yr.no/"
NEW_PASSWORD = "a long new passphrase"


@pytest.fixture
def fleet(sqlite_databases: SQLiteDatabases, tmp_path: Path) -> Iterator[list[NodeProcess]]:
    """One node is enough here."""
    with one_node(sqlite_databases, tmp_path) as fleet:
        yield fleet


def elsewhere(browser: Browser, *, script: bool) -> BrowserContext:
    """A phone whose requests to other sites get stand-in pages (the test machine has no
    way out)."""
    context = phone_context(browser, script=script)
    context.route(f"{NEUTRAL}*", page_saying("Weather"))
    return context


def page_saying(heading: str) -> Callable[[Route], None]:
    """A stand-in for a site elsewhere."""
    return lambda route: route.fulfill(body=f"<h1>{heading}</h1>", content_type="text/html")


def token_works(node: NodeProcess, token: str) -> bool:
    with node.client() as http:
        answer = http.get(
            "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
        )
    return answer.status_code == 200


def test_a_password_change_signs_out_her_other_browser_and_her_app(
    fleet: list[NodeProcess], browser: Browser, phone: Page
) -> None:
    node = fleet[0]
    password = node.create_member("maria")
    token = node.app_token("maria", password)
    laptop = elsewhere(browser, script=False).new_page()
    sign_in(laptop, node, "maria", password)
    sign_in(phone, node, "maria", password)
    assert token_works(node, token)

    phone.get_by_role("link", name="Account").click()
    phone.get_by_role("link", name="Password, profile, and where you are signed in").click()
    sessions = phone.get_by_role("region", name="Where you are signed in")
    expect(sessions.get_by_role("listitem")).to_have_count(2)
    expect(phone.get_by_role("region", name="Apps that can use your account")).to_contain_text(
        "tests"
    )
    phone.get_by_label("Your current password").fill(password)
    phone.get_by_label("A new password").fill(NEW_PASSWORD)
    phone.get_by_role("button", name="Change my password").click()
    expect(phone.get_by_role("status")).to_contain_text("Your password is changed")
    expect(sessions.get_by_role("listitem")).to_have_count(1)

    laptop.goto(f"{node.base_url}/home")
    expect(laptop.get_by_role("heading", name="Sign in")).to_be_visible()
    assert not token_works(node, token)
    phone.goto(f"{node.base_url}/home")
    expect(phone.get_by_role("link", name="@maria")).to_be_visible()
    laptop.context.close()


def test_from_a_profile_she_reports_mutes_unfollows_and_blocks_without_script(
    fleet: list[NodeProcess], phone: Page
) -> None:
    node = fleet[0]
    admin = node.app_token("admin", re.findall(r"password: (\S+)", node.output())[0], "admin:read")
    bob = node.app_token("bob", node.create_member("bob"), "read write follow")
    password = node.create_member("maria")
    maria = node.app_token("maria", password, "read write follow")
    with node.client() as http:
        http.post("/api/v1/statuses", data={"status": "Meet me tonight"}, headers=auth(bob))
        bob_id = http.get("/api/v1/accounts/lookup", params={"acct": "bob"}).json()["id"]
        http.post(f"/api/v1/accounts/{bob_id}/follow", headers=auth(maria))
    sign_in(phone, node, "maria", password)

    phone.goto(f"{node.base_url}/@bob")
    phone.get_by_role("link", name="Block, mute or report @bob").click()
    expect(phone.get_by_role("main")).to_contain_text("You follow this account.")
    phone.get_by_label("What is wrong").select_option(label="Breaks this node's rules")
    phone.get_by_label("Meet me tonight").check()
    phone.get_by_label("What happened").fill("He keeps asking where I work.")
    phone.get_by_role("button", name="Send the report to the moderators").click()
    expect(phone.get_by_role("status")).to_contain_text("went to this node's moderators")
    phone.get_by_label("For how long").select_option(label="a day")
    phone.get_by_role("button", name="Mute @bob").click()
    expect(phone.get_by_role("main")).to_contain_text("You mute this account until")
    phone.get_by_role("button", name="Unfollow").click()
    expect(phone.get_by_role("main")).to_contain_text("You do not follow this account.")
    phone.get_by_role("button", name="Block @bob").click()
    expect(phone.get_by_role("main")).to_contain_text("You block this account.")

    with node.client() as http:
        (report,) = http.get("/api/v1/admin/reports", headers=auth(admin)).json()
    assert (report["category"], report["comment"]) == ("violation", "He keeps asking where I work.")
    assert report["forwarded"] is False and len(report["statuses"]) == 1


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
