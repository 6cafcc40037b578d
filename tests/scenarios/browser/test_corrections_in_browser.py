"""Corrections in a real browser on a phone-sized screen, without JavaScript: a member opens
"Suggest a correction" under a listing, says the opening hours are wrong and sends it; staff
accept it from their queue, which opens the edit form, and save; the member reads the
outcome. The form, opened, and the queue pass the axe-core audit."""

from __future__ import annotations

from contextlib import closing

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.rig.nodes import NodeProcess, settle
from tests.scenarios.browser.conftest import phone_context
from tests.scenarios.browser.test_accessibility import audit, audited
from tests.scenarios.browser.test_directory_in_browser import sign_in
from tests.scenarios.test_corrections_federation import listing_path, mirrored

pytestmark = pytest.mark.fleet(size=1)
LISTING = {
    "name": "Rosa night clinic",
    "organisation": "Rosa Collective",
    "country": "RO",
    "categories": "sexual-health",
    "languages": "ro",
    "opening_hours": "Mo-Fr 18:00-23:00",
    "last_verified": "2026-10-01",
    "verified_by": "Rosa Collective",
}


def suggest(page: Page, text: str) -> None:
    """Open the form under the listing (a <details>: no script needed) and fill it in."""
    page.get_by_text("Suggest a correction").click()
    form = page.locator("details.correction form")
    form.get_by_label("The opening hours are wrong").check()
    form.get_by_label("What should it say? (optional)").fill(text)


def test_a_correction_sent_accepted_and_answered_on_a_phone_passes_the_audit(
    fleet: list[NodeProcess], browser: Browser, axe: str
) -> None:
    node = fleet[0]
    sam_password = node.create_member("sam")
    assert node.run("admin", "grant", "sam", "--role", "staff").returncode == 0
    mo_password = node.create_member("mo")
    with closing(node.sign_in("sam", sam_password)) as sam:
        listing = sam.post("/directory/new", data=LISTING).headers["location"]

    member_context = phone_context(browser)
    member = member_context.new_page()
    sign_in(member, node, "mo", mo_password)
    member.goto(f"{node.base_url}{listing}")
    suggest(member, "They open at 20:00 now.")
    member.get_by_role("button", name="Send the correction").click()
    expect(member.get_by_role("status")).to_contain_text("your correction went to the staff")
    suggest(member, "And on Saturdays.")  # a second one, left waiting in the queue
    member.get_by_role("button", name="Send the correction").click()

    staff_context = phone_context(browser)
    staff = staff_context.new_page()
    sign_in(staff, node, "sam", sam_password)
    staff.goto(f"{node.base_url}/directory")
    staff.get_by_role("link", name="Suggested corrections").click()
    first = staff.get_by_role("article").filter(has_text="They open at 20:00 now.")
    expect(first).to_contain_text("The opening hours are wrong")
    first.get_by_role("button", name="Accept and edit").click()
    expect(staff.get_by_role("complementary")).to_contain_text("They open at 20:00 now.")
    staff.get_by_label("Opening hours").fill("Mo-Fr 20:00-23:00")
    staff.get_by_role("button", name="Save changes").click()
    expect(staff.locator("main")).to_contain_text("Mo-Fr 20:00-23:00")
    staff_context.close()

    member.goto(f"{node.base_url}/notifications")
    expect(member.locator("main")).to_contain_text(
        "Your correction to Rosa night clinic was accepted. Thank you!"
    )
    member_context.close()

    failures: list[str] = []
    with audited(browser, node, axe) as page:
        sign_in(page, node, "mo", mo_password)
        page.goto(listing)
        page.get_by_text("Suggest a correction").click()
        failures += audit(page, "the correction form, opened")
    with audited(browser, node, axe) as page:
        sign_in(page, node, "sam", sam_password)
        page.goto("/staff/corrections")
        expect(page.get_by_role("article")).to_contain_text("And on Saturdays.")
        failures += audit(page, "the staff's queue")
    assert not failures, "\n".join(failures)
    assert not node.new_failures()


@pytest.mark.fleet(size=2)
@pytest.mark.unsigned_fetches
def test_staff_say_their_organisation_checked_a_listing_too_on_a_phone(
    fleet: list[NodeProcess], browser: Browser, axe: str
) -> None:
    """On B, staff open A's listing, mirrored there, and say B's organisation checked it too;
    the page then shows it. The page with that button, and the experience form opened,
    pass the audit."""
    a, b = fleet
    tess_password = b.create_member("tess")
    assert b.run("admin", "grant", "tess", "--role", "staff").returncode == 0
    with mirrored(a, b):
        on_b = listing_path(b, "Rosa night clinic") or ""
        failures: list[str] = []
        with audited(browser, b, axe) as page:
            sign_in(page, b, "tess", tess_password)
            page.goto(on_b)
            page.get_by_text("Tell the organisation how this service treated you").click()
            failures += audit(page, "a mirrored listing, for staff, the experience form opened")
            page.get_by_role("button", name="We checked it too").click()
            expect(page.get_by_role("status")).to_contain_text("your organisation's check")
            expect(page.locator("main")).to_contain_text("Also checked by")
            expect(page.locator("main")).to_contain_text(f"({b.domain}), on")
        assert not failures, "\n".join(failures)
    settle(a, b)  # B's statement reaches A before the fleet stops (A first)
    for node in fleet:
        assert not node.new_failures(), node.name
