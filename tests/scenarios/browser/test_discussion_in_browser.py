"""Peer support in a real browser on a phone, without JavaScript: a member of node B joins
a discussion group on node A by its address and starts a thread there; a member of A reads
it on A's group page and answers, and the answer reaches B."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.rig.nodes import NodeProcess
from tests.scenarios.browser.test_directory_in_browser import sign_in

TITLE = "Safe places to rent a room in Lisbon?"


def open_until(page: Page, url: str, text: str, what: str) -> None:
    """Reload `url` until the page shows `text` (it crosses between nodes via the worker)."""
    for _ in range(60):
        page.goto(url)
        if page.get_by_text(text).count():
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"{what}: {text!r} never appeared at {url}")


@pytest.mark.fleet(size=2)
def test_a_member_of_another_node_posts_in_a_discussion_and_gets_an_answer(
    fleet: list[NodeProcess], browser: Browser, phone: Page
) -> None:
    a, b = fleet
    created = a.run("group", "create", "peer_support", "--title", "Peer support")
    assert created.returncode == 0, created.stderr
    bob_password = b.create_member("bob")
    maria_password = a.create_member("maria")

    sign_in(phone, b, "bob", bob_password)
    phone.get_by_role("link", name="Discussions").click()
    phone.get_by_label("Group address").fill(f"peer_support@{a.domain}")
    phone.get_by_role("button", name="Join", exact=True).click()
    group_on_b = f"{b.base_url}/discussions/peer_support@{a.domain}"
    open_until(phone, group_on_b, "You are a member.", "B's member joins A's group")
    phone.get_by_role("link", name="Start a new thread").click()
    phone.get_by_label("Title").fill(TITLE)
    phone.get_by_label("Your message").fill("I arrive next month. Any landlords to avoid?")
    phone.get_by_role("button", name="Post thread").click()
    expect(phone.get_by_role("heading", name=TITLE)).to_be_visible()

    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    maria = context.new_page()
    sign_in(maria, a, "maria", maria_password)
    maria.get_by_role("link", name="Discussions").click()
    maria.get_by_role("link", name="Peer support").click()
    maria.get_by_role("button", name="Join group").click()
    open_until(maria, f"{a.base_url}/discussions/peer_support", TITLE, "the thread on A")
    maria.get_by_role("link", name=TITLE).click()
    expect(maria.locator("main")).to_contain_text("Any landlords to avoid?")
    expect(maria.locator("main")).to_contain_text(f"bob@{b.domain}")
    maria.get_by_label("Your reply").fill("Ask the collective's housing desk first.")
    maria.get_by_role("button", name="Post reply").click()
    expect(maria.locator("main")).to_contain_text("Ask the collective's housing desk first.")
    context.close()

    phone.goto(group_on_b)
    phone.get_by_role("link", name=TITLE).click()
    thread_on_b = phone.url
    open_until(phone, thread_on_b, "housing desk", "the answer reaching B")
