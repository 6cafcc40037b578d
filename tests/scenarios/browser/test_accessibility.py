"""Every kind of page passes axe-core's WCAG 2.2 A and AA checks (and its best practices) in
Chromium, on a phone and a desktop screen, in light and dark colours, for a visitor and for an
admin; and a keyboard reaches every control, with a focus outline that shows where it is.

To audit a new page, add its path to VISITOR_PAGES or ADMIN_PAGES (a form with its errors
shown to FORMS_WITH_ERRORS), making what it shows in `furnish` if it needs content."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing, contextmanager
from typing import Literal
from urllib.parse import urlsplit

import httpx
import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.rig.nodes import NodeProcess

pytestmark = pytest.mark.fleet(size=1)

SCREENS: dict[str, ViewportSize] = {
    "phone": {"width": 390, "height": 844},
    "desktop": {"width": 1280, "height": 900},
}
SCHEMES: tuple[Literal["light", "dark"], ...] = ("light", "dark")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]

MISSING = "/no/such/page"
# Paths with {names} that `furnish` fills in.
VISITOR_PAGES = [
    "/",
    "/login",
    "/register?invite={invite}",
    "/directory?country=RO&category=sexual-health",
    "/directory/{listing}",
    "/countries",
    "/countries/RO",
    "/events",
    "{event}",
    "/@admin",
    "{post}",
    "/tags/harbour",
    "/discussions",
    "/discussions/peer_support",
    "/discussions/closed",
    "{thread}",
    MISSING,
]
ADMIN_PAGES = [
    "/",
    "/home",
    "/@admin",
    "{post}",
    "/tags/harbour",
    "/settings",
    "/settings/security",
    "/settings/aliases",
    "/settings/move",
    "/settings/lists",
    "/notifications",
    "/accounts/{mo}/safety",
    "/follow-requests",
    "/directory?country=RO",
    "/directory/{listing}",
    "/countries",
    "/countries/RO",
    "/countries/RO/history",
    "/events",
    "/events/new",
    "{event}",
    "{event}/edit",
    "/discussions",
    "/discussions/new",
    "/discussions/peer_support",
    "/discussions/peer_support/new",
    "/discussions/closed",
    "{thread}",
    "/admin",
    "/admin/reports",
    "/admin/domains",
    "/admin/trust",
    "/admin/people",
    "/admin/audit",
    "/staff/to-verify",
    "/staff/corrections",
]
# Forms an admin sends empty, to see them come back with every error shown: path, button.
FORMS_WITH_ERRORS = [
    ("/directory/new", "Publish listing"),
    ("/countries/PT/edit", "Save"),
    ("/events/new", "Publish event"),
]
# Pages whose every control the keyboard must reach, showing a focus outline on each.
KEYBOARD_PAGES = ["/home", "/directory/new"]

AUDIT = """async (tags) => {
  const found = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                         resultTypes: ["violations"]});
  return found.violations.map(v => `${v.id} (${v.impact}): ${v.help}\\n` + v.nodes.map(
    n => `      ${n.target.join(" ")}: ${n.failureSummary.replaceAll("\\n", " ")}`).join("\\n"));
}"""

LISTING = {
    "name": "Rosa night clinic",
    "organisation": "Rosa Collective",
    "country": "RO",
    "city": "Cluj",
    "summary": "Anonymous HIV and STI tests at night.",
    "categories": "sexual-health",
    "languages": "ro, hu, en",
    "anonymous": "on",
    "last_verified": "2026-10-01",
    "verified_by": "Rosa Collective",
}
EVENT = {
    "title": "Know your rights workshop",
    "description": "Bring questions. https://example.org/rights",
    "language": "en",
    "starts": "2030-03-14T18:00",
    "ends": "2030-03-14T20:00",
    "time_zone": "Europe/Bucharest",
    "place_name": "Community centre",
    "audience": "Sex workers and their partners",
    "registration": "Send a Signal message, or just come.",
}
TRUST_LIST = "https://partner.example/api/v1/instance/domain_blocks"  # unreachable: an error
MO = {"username": "mo", "password": "a long passphrase 1"}
BLOCK = {"severity": "suspend", "public_comment": "Spam", "private_comment": "Seen in reports"}
COUNTRY_PAGE = {
    "language": "en",
    "title": "Working in Romania",
    "legal": "Selling sex is a **minor offence**; see [the law](https://example.org/law).",
    "health": "- Free HIV tests in Cluj\n- PrEP in Bucharest",
    "sources": "https://example.org/law",
    "last_reviewed": "2026-10-01",
    "note": "First version",
}

# The controls a keyboard must reach, numbered in the order of the page, and the focused one.
CONTROLS = """() => {
  const shown = [...document.querySelectorAll(
    "a[href], button, input:not([type=hidden]), select, textarea, summary")].filter(
    e => e.checkVisibility());
  shown.forEach((e, i) => e.dataset.control = i);
  return shown.map(e => e.outerHTML.slice(0, 100));
}"""
FOCUSED = """() => {
  const e = document.activeElement, style = getComputedStyle(e);
  return [e.dataset.control ?? e.outerHTML.slice(0, 100), e.matches(":focus-visible")
          && style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2];
}"""


def furnish(node: NodeProcess) -> dict[str, str]:
    """Give node A, through its forms as far as they go, a listing, a country page, posts by
    its first admin (one behind a content warning, one a reply), a domain block, and a member
    who asks to follow the admin, suggests a correction to the listing and reports a post.
    Return the admin's password (printed by the node's first start) and the values the page
    paths need."""
    password = re.findall(r"password: (\S+)", node.output())[0]
    with (
        ThreadPoolExecutor(1) as pool,  # the command takes seconds to start: meanwhile, write
        closing(node.sign_in("admin", password)) as admin,
        closing(node.client()) as mo,
    ):
        invited = pool.submit(node.run, "invite", "create", "--uses", "2")
        group = ("group", "create", "peer_support", "--title", "Peer support", "--moderator")
        grouped = pool.submit(node.run, *group, "admin")
        sent(admin.post("/directory/new", data=LISTING))
        sent(admin.post("/countries/RO/edit", data=COUNTRY_PAGE))
        event = urlsplit(admin.post("/events/new", data=EVENT).headers["location"]).path
        warned = {"text": "Clinic hours changed #harbour", "spoiler_text": "Health"}
        sent(admin.post("/compose", data={**warned, "visibility": "public"}))
        admin_id = admin.get("/api/v1/accounts/lookup", params={"acct": "admin"}).json()["id"]
        status = admin.get(f"/api/v1/accounts/{admin_id}/statuses").json()[0]
        reply = {"text": "Now also on Sundays.", "in_reply_to": status["id"]}
        sent(admin.post("/compose", data={**reply, "visibility": "public"}))
        sent(admin.post("/admin/domains/block", data={"domain": "bad.example", **BLOCK}))
        sent(admin.post("/admin/trust/subscribe", data={"url": TRUST_LIST, "name": "partner"}))
        listing = re.findall(r'href="/directory/(\d+)"', admin.get("/directory").text)[0]
        invite = invited.result().stdout.split("invite=")[1].split()[0]
        sent(mo.post("/register", data={"invite": invite, **MO}))
        mo_id = admin.get("/api/v1/accounts/lookup", params={"acct": "mo"}).json()["id"]
        sent(mo.post("/follow", data={"handle": f"admin@{node.domain}"}))
        sent(mo.post(f"{event}/going"))  # the admin, as staff, sees who is going
        correction = {"listing": listing, "kind": "hours", "text": "They open at 20:00 now."}
        sent(mo.post("/corrections", data=correction))  # waits in the staff's queue
        report = {"account_id": admin_id, "status_ids[]": status["id"], "comment": "Spam?"}
        assert mo.post("/api/v1/reports", data=report, headers=bearer(mo)).is_success
        assert grouped.result().returncode == 0
        opened = {"title": "Where to rent safely?", "text": "Landlords to avoid?"}
        thread = admin.post("/discussions/peer_support/new", data=opened)
        sent(thread)
        sent(mo.post("/discussions/peer_support/join"))
        closed = ("group", "create", "closed", "--visibility", "members", "--moderator", "admin")
        assert node.run(*closed, "--description", "Rules: be kind.").returncode == 0
        sent(mo.post("/discussions/closed/join"))  # waits for the admin, who moderates it
        thread_path = urlsplit(thread.headers["location"]).path
        reply = {"text": "Ask the housing desk.", "in_reply_to": thread_path.rsplit("/", 1)[1]}
        sent(mo.post(f"{thread_path}/reply", data=reply))
    return {
        "password": password,
        "invite": invite,
        "listing": listing,
        "post": urlsplit(status["url"]).path,
        "thread": thread_path,
        "mo": mo_id,
        "event": event,
    }


def sent(response: httpx.Response) -> None:
    """A form was accepted: it redirects to what it made."""
    assert response.status_code == 303, response.text


def bearer(member: httpx.Client) -> dict[str, str]:
    """An Authorization header for `member`, from an app that signed in with a password."""
    app = {"client_name": "app", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob", "scopes": "write"}
    client = member.post("/api/v1/apps", data=app).json()
    grant = {"grant_type": "password", **MO, "client_id": client["client_id"],
             "client_secret": client["client_secret"], "scope": "write"}  # fmt: skip
    return {
        "Authorization": f"Bearer {member.post('/oauth/token', data=grant).json()['access_token']}"
    }


@contextmanager
def audited(browser: Browser, node: NodeProcess, axe: str) -> Iterator[Page]:
    """A page with axe-core added to every document it opens. The checker needs JavaScript;
    the pages have none. Scripts added this way are outside the pages' policy, so the policy
    stays on (`bypass_csp` would also let through the inline styles it blocks, and the audit
    would see another page than people do)."""
    context = browser.new_context(base_url=node.base_url, locale="en-GB", java_script_enabled=True)
    context.add_init_script(script=axe)
    try:
        yield context.new_page()
    finally:
        context.close()


def visit(page: Page, path: str) -> None:
    """Open `path`, which must answer (all but the page that does not exist)."""
    response = page.goto(path)
    assert response is not None
    assert response.ok or path == MISSING, f"{path}: {response.status}"


def audit(page: Page, what: str) -> list[str]:
    """What axe-core finds wrong on the open page on each screen in each colour scheme (the
    style sheet differs by width and scheme only), one line per rule and screen."""
    failures: list[str] = []
    for screen, size in SCREENS.items():
        page.set_viewport_size(size)
        for scheme in SCHEMES:
            page.emulate_media(color_scheme=scheme)
            found: list[str] = page.evaluate(AUDIT, TAGS)
            failures += [f"{what}, {screen}, {scheme}: {violation}" for violation in found]
    return failures


def keyboard_check(page: Page, path: str) -> list[str]:
    """Tab through `path` on a phone: every visible control takes the focus in the order of
    the page, and shows a focus outline."""
    page.set_viewport_size(SCREENS["phone"])
    page.emulate_media(color_scheme="light")
    visit(page, path)
    controls: list[str] = page.evaluate(CONTROLS)
    failures: list[str] = []
    reached = ""
    for expected, control in enumerate(controls):
        for _ in range(4):  # a date field takes a Tab for each of its day, month and year
            page.keyboard.press("Tab")
            previous, (reached, outlined) = reached, page.evaluate(FOCUSED)
            if reached != previous:
                break
        if reached != str(expected):
            return [*failures, f"keyboard, {path}: Tab reached {reached}, not {control}"]
        if not outlined:
            failures.append(f"keyboard, {path}: no focus outline on {control}")
    return failures


@pytest.fixture
def fleet(shared_fleet: list[NodeProcess]) -> list[NodeProcess]:
    """The module's node, furnished once: the audits only read it."""
    return shared_fleet


@pytest.fixture(scope="module")
def furnished(shared_fleet: list[NodeProcess]) -> dict[str, str]:
    return furnish(shared_fleet[0])


@contextmanager
def audited_as(
    browser: Browser, node: NodeProcess, axe: str, values: dict[str, str], who: str
) -> Iterator[Page]:
    """An audited page of a visitor, or of the admin once signed in."""
    with audited(browser, node, axe) as page:
        if who == "admin":
            visit(page, "/login")
            page.get_by_label("Nickname").fill("admin")
            page.get_by_label("Password").fill(values["password"])
            page.get_by_role("button", name="Sign in").click()
            expect(page.get_by_role("link", name="@admin")).to_be_visible()
        yield page


# The pages in groups audited by tests of their own, which pytest-xdist spreads.
PAGE_GROUPS = {
    "visitor": ("visitor", VISITOR_PAGES),
    "admin-reading": ("admin", ADMIN_PAGES[: len(ADMIN_PAGES) // 2]),
    "admin-writing": ("admin", ADMIN_PAGES[len(ADMIN_PAGES) // 2 :]),
}


@pytest.mark.parametrize("group", PAGE_GROUPS)
def test_every_kind_of_page_passes_the_audit(
    fleet: list[NodeProcess], furnished: dict[str, str], browser: Browser, axe: str, group: str
) -> None:
    who, paths = PAGE_GROUPS[group]
    failures: list[str] = []
    with audited_as(browser, fleet[0], axe, furnished, who) as page:
        for path in [path.format(**furnished) for path in paths]:
            visit(page, path)
            failures += audit(page, f"{who}, {path}")
    assert not failures, "\n".join(failures)


def test_forms_sent_back_with_their_errors_pass_the_audit(
    fleet: list[NodeProcess], furnished: dict[str, str], browser: Browser, axe: str
) -> None:
    failures: list[str] = []
    with audited_as(browser, fleet[0], axe, furnished, "admin") as admin:
        for path, button in FORMS_WITH_ERRORS:
            visit(admin, path)
            admin.get_by_role("button", name=button).click()
            expect(admin.get_by_role("alert")).to_be_visible()
            failures += audit(admin, f"admin, {path} with errors")
    assert not failures, "\n".join(failures)


def test_a_keyboard_reaches_every_control_with_a_visible_outline(
    fleet: list[NodeProcess], furnished: dict[str, str], browser: Browser, axe: str
) -> None:
    failures: list[str] = []
    with audited_as(browser, fleet[0], axe, furnished, "admin") as admin:
        for path in KEYBOARD_PAGES:
            failures += keyboard_check(admin, path)
    assert not failures, "\n".join(failures)
