"""The directory in a real browser on a phone-sized screen, without JavaScript: staff on node A
publish a listing through the form; a visitor on node B, whose member follows A's
organisation, searches B's directory and opens the listing mirrored from A."""

from __future__ import annotations

from contextlib import closing

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.rig.nodes import NodeProcess, wait_for

AP = {"Accept": "application/activity+json"}
pytestmark = [
    pytest.mark.fleet(size=2),
    pytest.mark.unsigned_fetches,  # the tests count follows by GETting them unsigned
]


@pytest.fixture
def fleet(shared_fleet: list[NodeProcess]) -> list[NodeProcess]:
    """The module's nodes: its tests change no policy and use distinct accounts."""
    return shared_fleet


def sign_in(page: Page, node: NodeProcess, username: str, password: str) -> None:
    page.goto(f"{node.base_url}/login")
    page.get_by_label("Nickname").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("link", name=f"@{username}")).to_be_visible()


def publish_listing(page: Page, node: NodeProcess) -> None:
    page.goto(node.base_url)
    page.get_by_role("link", name="Services").click()
    page.get_by_role("link", name="Add a listing").click()
    page.get_by_label("Name of the service").fill("Rosa night clinic")
    page.get_by_label("Organisation providing it").fill("Rosa Collective")
    page.get_by_label("Country", exact=True).select_option(label="Romania")
    page.get_by_label("City").fill("Cluj")
    page.get_by_label("What the service offers").fill("Anonymous HIV and STI tests at night.")
    page.get_by_label("Sexual health and HIV/STI testing").check()
    spoken = ["română", "magyar", "English"]
    page.get_by_label("Languages spoken").select_option(label=spoken)
    page.get_by_label("Can be used anonymously").check()
    page.get_by_label("Last verified on").fill("2026-10-01")
    page.get_by_label("Verified by (organisation)").fill("Rosa Collective")
    page.get_by_role("button", name="Publish listing").click()
    expect(page.get_by_role("heading", name="Rosa night clinic")).to_be_visible()


def following(node: NodeProcess, username: str) -> int:
    with node.client() as http:
        return int(http.get(f"/users/{username}/following", headers=AP).json()["totalItems"])


def test_search_the_directory_and_open_a_listing_mirrored_from_another_node(
    fleet: list[NodeProcess], browser: Browser, phone: Page
) -> None:
    a, b = fleet
    sam_password = a.create_member("sam")
    assert a.run("admin", "grant", "sam", "--role", "staff").returncode == 0
    with closing(b.sign_in("bob", b.create_member("bob"))) as bob:
        bob.post("/follow", data={"handle": f"organisation@{a.domain}"})
        wait_for(lambda: following(b, "bob") == 1, what="B's member follows A's organisation")

    staff_context = browser.new_context(java_script_enabled=False)
    staff = staff_context.new_page()
    sign_in(staff, a, "sam", sam_password)
    publish_listing(staff, a)
    staff_context.close()

    phone.goto(b.base_url)
    finder = phone.get_by_role("search", name="Find a service")
    finder.get_by_label("Country").fill("România")  # the country's own name finds it too
    finder.get_by_label("What you need").select_option(label="Sexual health and HIV/STI testing")
    finder.get_by_role("button", name="Find services").click()
    search = phone.get_by_role("search", name="Search the directory")
    expect(search.get_by_label("Country")).to_have_value("RO")
    search.get_by_label("Language spoken").fill("hu")
    for _ in range(60):  # the listing crosses from A to B through the worker
        search.get_by_role("button", name="Search").click()
        if phone.get_by_role("link", name="Rosa night clinic").count():
            break
        phone.wait_for_timeout(500)
    results = phone.get_by_role("region", name="Listings")
    expect(results).to_contain_text(f"Listed by Harbour ({a.domain})")

    results.get_by_role("link", name="Rosa night clinic").click()
    expect(phone.get_by_role("heading", name="Rosa night clinic")).to_be_visible()
    expect(phone.locator("main")).to_contain_text("Anonymous HIV and STI tests at night.")
    expect(phone.locator("main")).to_contain_text(a.domain)
    assert phone.url.startswith(f"{b.base_url}/directory/")
