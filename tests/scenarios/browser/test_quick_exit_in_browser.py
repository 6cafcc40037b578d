"""The quick exit in a real Chromium at phone size, with JavaScript off and on: one tap
leaves for the node's neutral page (a tiny page on loopback here, never a site outside),
she is signed out, and however often she presses Back no Harbour page shows again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.rig.databases import SQLiteDatabases
from tests.rig.nodes import NodeProcess
from tests.scenarios.browser.conftest import one_node, phone_context
from tests.scenarios.browser.test_directory_in_browser import sign_in

HEADINGS = {"/weather": "Weather", "/before": "Somewhere else"}


class Elsewhere(BaseHTTPRequestHandler):
    """Two pages of other sites: the neutral one and one she read before Harbour."""

    def do_GET(self) -> None:
        body = f"<h1>{HEADINGS.get(self.path, 'Nothing')}</h1>".encode()
        self.send_response(200 if self.path in HEADINGS else 404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet: the test's output is the node's."""


@pytest.fixture
def elsewhere() -> Iterator[str]:
    """The base address of the loopback stand-in for other sites."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), Elsewhere)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def fleet(
    sqlite_databases: SQLiteDatabases, tmp_path: Path, elsewhere: str
) -> Iterator[list[NodeProcess]]:
    """One node, whose quick exit leaves for the loopback weather page."""
    with one_node(
        sqlite_databases, tmp_path, HARBOUR_QUICK_EXIT_URL=f"{elsewhere}/weather"
    ) as fleet:
        yield fleet


def leaves_no_harbour_page_behind(page: Page, elsewhere: str) -> None:
    """Back through all of the history (six times is more than it holds), Harbour's public
    pages read before signing in too: only the other sites' pages and the blank page a tab
    starts with, never a Harbour page."""
    for _ in range(6):
        page.go_back()
        assert page.url == "about:blank" or page.url.startswith(elsewhere), page.url
        expect(page.get_by_role("link", name="Quick exit")).to_have_count(0)


def session_cookie(page: Page) -> str:
    (cookie,) = [c for c in page.context.cookies() if c["name"] == "harbour_session"]
    return cookie["value"]


def still_signed_in(node: NodeProcess, cookie: str) -> bool:
    """Whether the session cookie she had (as someone might have copied it) still works."""
    with node.client() as http:
        home = http.get("/home", headers={"Cookie": f"harbour_session={cookie}"})
    return home.status_code == 200


@pytest.mark.parametrize("script", [False, True], ids=["without-script", "with-script"])
def test_the_quick_exit_signs_her_out_and_back_shows_no_harbour_page(
    fleet: list[NodeProcess], browser: Browser, elsewhere: str, script: bool
) -> None:
    node = fleet[0]
    password = node.create_member("maria")
    context = phone_context(browser, script=script)
    page = context.new_page()
    page.goto(f"{node.base_url}/directory")  # a public page, read before signing in
    sign_in(page, node, "maria", password)
    page.goto(f"{elsewhere}/before")
    page.goto(f"{node.base_url}/settings")
    expect(page.get_by_role("heading", name="Your account", exact=True)).to_be_visible()
    cookie = session_cookie(page)
    assert still_signed_in(node, cookie)

    page.get_by_role("link", name="Quick exit").click()
    page.wait_for_url(f"{elsewhere}/weather")
    expect(page.get_by_role("heading", name="Weather")).to_be_visible()
    assert not still_signed_in(node, cookie)
    page.go_back()
    # Without script the settings page is still in the history, but asking for it again
    # brings the weather; with script it was replaced, and Back goes to the page before.
    expected = "/before" if script else "/weather"
    page.wait_for_url(f"{elsewhere}{expected}")
    page.go_forward()
    leaves_no_harbour_page_behind(page, elsewhere)

    page.goto(f"{node.base_url}/home")  # even typed in, while the marker lasts
    page.wait_for_url(f"{elsewhere}/weather")
    context.clear_cookies(name="left")  # fifteen minutes later
    page.goto(f"{node.base_url}/home")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    context.close()


def test_escape_twice_leaves_and_signs_out_where_script_runs(
    fleet: list[NodeProcess], browser: Browser, elsewhere: str
) -> None:
    node = fleet[0]
    password = node.create_member("maria")
    context = phone_context(browser, script=True)
    page = context.new_page()
    page.goto(f"{elsewhere}/before")
    sign_in(page, node, "maria", password)
    cookie = session_cookie(page)
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url(f"{elsewhere}/weather")
    assert not still_signed_in(node, cookie)
    leaves_no_harbour_page_behind(page, elsewhere)
    context.close()


def test_quick_exit_is_the_first_thing_a_keyboard_reaches_and_leaves_at_once(
    fleet: list[NodeProcess], phone: Page, elsewhere: str
) -> None:
    phone.goto(f"{fleet[0].base_url}/directory")
    phone.keyboard.press("Tab")
    expect(phone.get_by_role("link", name="Quick exit")).to_be_focused()
    phone.keyboard.press("Enter")
    phone.wait_for_url(f"{elsewhere}/weather")
    expect(phone.get_by_role("heading", name="Weather")).to_be_visible()
