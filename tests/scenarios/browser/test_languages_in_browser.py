"""A Romanian reader (a Bulgarian one too once her catalogue ships), in real Chromium on a
phone with JavaScript off, goes from the front page to a service in her new country (typed in
her own language), reads the country page, joins a discussion and lets an app use her account,
and never meets an English interface word; the language switcher's choice stays after signing
in; axe-core finds nothing wrong in each reader's language and a right-to-left test locale."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from babel import Locale
from playwright.sync_api import Browser, Page, Playwright, expect

from node import i18n
from tests.i18n_locales import RTL, write_test_locales
from tests.node.test_i18n import english_left
from tests.rig.databases import SQLiteDatabases
from tests.rig.nodes import NodeProcess
from tests.scenarios.browser.conftest import browser_for, one_node
from tests.scenarios.browser.test_accessibility import audit

# What each reader types for Germany, in her own language and script, not as the node spells it.
GERMANY = {"ro": "germania", "bg": "Германия"}
# Each reader has her own account, so one reader's joining a group leaves the next one's
# "Join group" button in place; the switcher test has its own too.
READER = {"ro": "mara", "bg": "vesela", "switcher": "lina"}
BROWSER_LOCALE = {"ro": "ro-RO", "bg": "bg-BG", RTL: RTL}
PHONE = {"width": 390, "height": 844}
LISTING = {
    "name": "Kassandra Beratung",
    "organisation": "Kassandra e.V.",
    "country": "DE",
    "city": "Nürnberg",
    "summary": "Beratung und Begleitung für Sexarbeiterinnen.",
    "categories": "peer-support",
    "languages": ["de", "ro", "bg"],
    "language": "de",
    "last_verified": "2026-10-01",
    "verified_by": "Kassandra e.V.",
}
COUNTRY_PAGE = {
    "language": "de",
    "title": "Arbeiten in Deutschland",
    "legal": "Sexarbeit ist legal; Anmeldung nach dem ProstSchG.",
    "health": "Anonyme Tests in Gesundheitsämtern.",
    "sources": "https://example.org/prostschg",
    "last_reviewed": "2026-10-01",
    "note": "Erste Fassung",
}
# The pages audited in each language.
AUDITED = ["/", "/directory?country=DE", "{listing}", "/countries/DE", "/discussions/peer_support"]


def words(language: str) -> i18n.NullTranslations:
    """The catalogue the node shows `language` from."""
    return i18n.compile_catalogue(i18n.catalogue_path(language), language)


@pytest.fixture(scope="module")
def test_locales(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_test_locales(tmp_path_factory.mktemp("locales"))


@pytest.fixture(scope="module")
def node(
    sqlite_databases: SQLiteDatabases, test_locales: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[NodeProcess]:
    """One node on SQLite that also offers the right-to-left test locale, furnished through
    its forms: a listing in Germany, Germany's country page, a discussion group, a member and
    an app."""
    with one_node(
        sqlite_databases, tmp_path_factory.mktemp("node"), HARBOUR_TEST_LOCALES=str(test_locales)
    ) as (started,):
        yield started


@pytest.fixture(scope="module")
def furnished(node: NodeProcess) -> dict[str, str]:
    password = re.findall(r"password: (\S+)", node.output())[0]
    with closing(node.sign_in("admin", password)) as admin:
        listed = admin.post("/directory/new", data=LISTING)
        assert listed.status_code == 303, listed.text
        country = admin.post("/countries/DE/edit", data=COUNTRY_PAGE)
        assert country.status_code == 303, country.text
        listing = listed.headers["location"]
    group = ("group", "create", "peer_support", "--title", "Kassandra Treff")
    group += ("--moderator", "admin")
    assert node.run(*group).returncode == 0
    passwords = {nickname: node.create_member(nickname) for nickname in READER.values()}
    with closing(node.client()) as http:
        app = http.post(
            "/api/v1/apps",
            data={"client_name": "Tusky", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                  "scopes": "read write"},
        ).json()  # fmt: skip
    return {"listing": listing, "client_id": app["client_id"], **passwords}


@pytest.fixture(scope="module")
def chromium(playwright: Playwright, node: NodeProcess) -> Iterator[Browser]:
    browser = browser_for(playwright, [node])
    yield browser
    browser.close()


def in_language(page: Page, language: str) -> None:
    """The open page is in `language` and shows none of the catalogue's English."""
    html = loaded_html(page)
    assert re.search(rf'<html lang="{language}"', html), html[:200]
    if language != i18n.SOURCE:
        assert english_left(html, language) == [], page.url


def loaded_html(page: Page) -> str:
    """The page's HTML once a navigation under way has brought its document: while a form's
    answer is on its way, `page.content()` can read an empty one."""
    for _ in range(100):
        page.wait_for_load_state()
        html = page.content()
        if "<html" in html:
            return html
        page.wait_for_timeout(100)
    return html


@pytest.mark.parametrize("language", [tag for tag in GERMANY if tag in i18n.SHIPPED])
def test_a_reader_finds_a_service_reads_her_country_joins_a_discussion_and_signs_in_an_app(
    node: NodeProcess, furnished: dict[str, str], chromium: Browser, language: str
) -> None:
    t = words(language).gettext
    germany = Locale.parse(language).territories["DE"]
    context = chromium.new_context(
        base_url=node.base_url, viewport=PHONE, is_mobile=True, has_touch=True,
        locale=BROWSER_LOCALE[language], java_script_enabled=False,
    )  # fmt: skip
    page = context.new_page()
    try:
        page.goto("/")
        in_language(page, language)
        page.get_by_role("navigation", name=t("Main")).get_by_role(
            "link", name=t("Services")
        ).click()
        in_language(page, language)
        page.get_by_label(t("Country"), exact=True).fill(GERMANY[language])
        page.get_by_role("button", name=t("Search")).click()
        in_language(page, language)
        page.get_by_role("link", name=LISTING["name"]).click()
        expect(page.get_by_role("heading", name=LISTING["name"])).to_be_visible()
        in_language(page, language)

        page.get_by_role("navigation", name=t("Main")).get_by_role(
            "link", name=t("Countries")
        ).click()
        in_language(page, language)
        page.get_by_role("link", name=germany, exact=True).first.click()
        expect(page.get_by_text(COUNTRY_PAGE["legal"])).to_be_visible()
        in_language(page, language)

        page.get_by_role("navigation", name=t("Main")).get_by_role(
            "link", name=t("Sign in")
        ).click()
        in_language(page, language)
        page.get_by_label(t("Nickname")).fill(READER[language])
        page.get_by_label(t("Password")).fill(furnished[READER[language]])
        with page.expect_navigation():
            page.get_by_role("button", name=t("Sign in")).click()
        in_language(page, language)
        page.goto("/discussions/peer_support")
        in_language(page, language)
        page.get_by_role("button", name=t("Join group")).click()
        expect(page.get_by_role("button", name=t("Leave group"))).to_be_visible()
        in_language(page, language)

        page.goto(
            f"/oauth/authorize?response_type=code&client_id={furnished['client_id']}"
            "&redirect_uri=urn:ietf:wg:oauth:2.0:oob&scope=read+write"
        )
        in_language(page, language)
        page.get_by_role("button", name=t("Authorise")).click()
        expect(page.locator("code#code")).to_have_text(re.compile(r"\S{20,}"))
        in_language(page, language)
    finally:
        context.close()


def test_the_language_switcher_choice_stays_after_signing_in(
    node: NodeProcess, furnished: dict[str, str], chromium: Browser
) -> None:
    context = chromium.new_context(
        base_url=node.base_url, viewport=PHONE, locale="en-GB", java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto("/login")
        in_language(page, "en")
        language_nav = page.get_by_role("navigation", name="Language")
        language_nav.get_by_role("button", name="Română").click()
        in_language(page, "ro")
        t = words("ro").gettext
        page.get_by_label(t("Nickname")).fill(READER["switcher"])
        page.get_by_label(t("Password")).fill(furnished[READER["switcher"]])
        page.get_by_role("button", name=t("Sign in")).click()
        in_language(page, "ro")
        page.goto("/settings")
        in_language(page, "ro")
    finally:
        context.close()
    # Her account remembers it: on another device that reads English, she signs in to Romanian.
    other = chromium.new_context(base_url=node.base_url, locale="en-GB", java_script_enabled=False)
    page = other.new_page()
    try:
        page.goto("/login")
        page.get_by_label("Nickname").fill(READER["switcher"])
        page.get_by_label("Password").fill(furnished[READER["switcher"]])
        page.get_by_role("button", name="Sign in").click()
        in_language(page, "ro")
    finally:
        other.close()


@pytest.mark.parametrize("language", [*(tag for tag in GERMANY if tag in i18n.SHIPPED), RTL])
def test_axe_finds_nothing_wrong_in_each_reader_language_and_right_to_left(
    node: NodeProcess, furnished: dict[str, str], chromium: Browser, axe: str, language: str
) -> None:
    context = chromium.new_context(
        base_url=node.base_url, locale=BROWSER_LOCALE[language], java_script_enabled=True
    )
    context.add_init_script(script=axe)
    page = context.new_page()
    failures: list[str] = []
    try:
        for path in [path.format(**furnished) for path in AUDITED]:
            response = page.goto(path)
            assert response is not None and response.ok, path
            html = page.content()
            assert f'lang="{language}"' in html[:200], path
            if language == RTL:
                assert 'dir="rtl"' in html[:200], path
            failures += audit(page, f"{language}, {path}")
    finally:
        context.close()
    assert not failures, "\n".join(failures)
