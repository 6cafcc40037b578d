"""The interface speaks the reader's language: every template string is marked for translation,
every shipped catalogue translates every string (same placeholders, nothing fuzzy), pages read
with `Accept-Language` set to any shipped language show no English catalogue string, and
`?lang=` or Accept-Language choose the interface language."""

from __future__ import annotations

import functools
import html
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from babel.dates import format_date
from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po

from activitypub import ActorType
from content import accounts, users
from content.users import Role
from node import i18n
from node.state import Services
from node.web.rendering import TEMPLATES
from tests.i18n_locales import source_messages
from tests.node.conftest import BASE
from tests.rig import world

ROOT = Path(__file__).parents[2]
TRANSLATED = [tag for tag in i18n.SHIPPED if tag != i18n.SOURCE]
# Written the same in every language.
UNTRANSLATED = {"UTC", "bad.example", "DE", "RO"}
LITERAL_LABEL = re.compile(r'(?:aria-label|title|alt|placeholder)="([^"{]*[A-Za-z][^"]*)"')
PLACEHOLDER = re.compile(r"%\(\w+\)s|%s|%%")
VISITOR_PAGES = [
    "/countries/RO",
    "/",
    "/@sam",
    "/tags/harbour",
    "/login",
    "/register?invite=x",
    "/directory",
    "/countries",
    "/no/such/page",
]
STAFF_PAGES = [
    "/",
    "/home",
    "/@sam",
    "/countries",
    "/directory?country=Atlantis",
    "/discussions",
    "/notifications",
    "/follow-requests",
    "/settings",
    "/settings/security",
    "/settings/privacy",
    "/accounts/{alice}/safety",
    "/directory/new",
    "/discussions/new",
    "/countries/RO/edit",
]
ADMIN_PAGES = [
    "/admin",
    "/admin/reports",
    "/admin/reports?resolved=1",
    "/admin/audit",
    "/admin/domains",
]


def catalogue(language: str) -> Catalog:
    with (i18n.LOCALES / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_shipped_catalogue_translates_every_string(language: str) -> None:
    found = catalogue(language)
    problems = []
    for msgid, message in source_messages().items():
        entry = found.get(msgid)
        sources = [message] if isinstance(message, str) else list(message)
        if entry is None:
            problems.append(f"missing: {msgid!r}")
            continue
        strings = [entry.string] if isinstance(entry.string, str) else list(entry.string or ())
        if entry.fuzzy or not all(strings):
            problems.append(f"untranslated or fuzzy: {msgid!r}")
        wanted = {p for s in sources for p in PLACEHOLDER.findall(s)}
        if any(set(PLACEHOLDER.findall(s)) != wanted for s in strings):
            problems.append(f"placeholders differ: {msgid!r}")
    assert not problems, "\n".join(problems)


def test_every_template_string_is_marked_for_translation() -> None:
    unmarked = []
    for template in sorted(TEMPLATES.glob("*.html")):
        source = re.sub(r"{% trans.*?{% endtrans %}", "", template.read_text(), flags=re.S)
        attributes = re.findall(
            r'(?:aria-label|title|alt|placeholder)="([^"{]*[A-Za-z][^"]*)"', source
        )
        text = re.sub(r"{{.*?}}|{%.*?%}|{#.*?#}", " ", source, flags=re.S)
        text = re.sub(r"<[^>]*>|[\w-]+=\"[^\"]*\"", " ", text)  # tags, attributes in macros
        words = re.findall(r"[A-Za-z][A-Za-z'’]+(?: [A-Za-z'’]+)*", html.unescape(text))
        found = [text for text in attributes + words if text not in UNTRANSLATED]
        unmarked += [f"{template.name}: {text!r}" for text in found]
    assert not unmarked, "\n".join(unmarked)


# The refusals a member reads on a page (forms send them back with one).
REFUSALS = "|".join(
    ("ActionError", "GroupError", "ModerationError", "PasswordError", "PostError", "ResolveError")
    + ("TwoFactorError",)
)


def test_every_refusal_shown_on_a_page_is_marked_for_translation() -> None:
    unmarked = []
    for layer in ("content", "federation", "moderation", "node"):
        for module in sorted((ROOT / layer).rglob("*.py")):
            source = module.read_text()
            for found in re.finditer(rf"raise (?:{REFUSALS})\(\s*f?[\"']", source):
                line = source.count("\n", 0, found.start()) + 1
                unmarked.append(f"{module.relative_to(ROOT)}:{line}")
    assert not unmarked, "not marked with N_() or a Message:\n" + "\n".join(unmarked)


def shown_text(page: str) -> str:
    """What a reader sees or hears: text between tags and the labelling attributes."""
    labels = " ".join(re.findall(r'(?:aria-label|title|alt|placeholder)="([^"]*)"', page))
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]*>", " ", body) + " " + labels)


@functools.cache
def english_pieces(language: str) -> re.Pattern[str]:
    """One pattern matching every piece of the catalogue's English that must not appear on a
    page in `language`; a word the language's own translations also use (PrEP, French
    "Public") is left out, and so is one word beside a name or link (likely member content)."""
    entries = [entry for entry in catalogue(language) if entry.id]
    translated = " ".join(
        e.string if isinstance(e.string, str) else " ".join(e.string or ()) for e in entries
    )
    wanted = set()
    for entry in entries:
        msgid = entry.id if isinstance(entry.id, str) else entry.id[0]
        if entry.string == msgid:
            continue
        pieces = re.split(r"%\(\w+\)s|<[^>]*>", msgid)
        for piece in pieces:
            piece = " ".join(html.unescape(piece).split()).strip(" .:")
            if len(piece) <= 3 or (len(pieces) > 1 and " " not in piece):
                continue
            if " " not in piece and re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", translated):
                continue
            wanted.add(piece)
    longest_first = sorted(wanted, key=len, reverse=True)
    return re.compile(rf"(?<!\w)(?:{'|'.join(map(re.escape, longest_first))})(?!\w)")


def english_left(page: str, language: str) -> list[str]:
    """The catalogue's English strings shown untranslated on a page in `language`."""
    text = " ".join(shown_text(page).split())
    return sorted({found.group(0) for found in english_pieces(language).finditer(text)})


@pytest.mark.anyio
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)  # the words, not the storage
@pytest.mark.parametrize("language", TRANSLATED)
async def test_pages_read_in_a_shipped_language_show_no_english_interface_text(
    client: httpx.AsyncClient, services: Services, language: str
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "sam", role=Role.STAFF)
        await world.local_member(session, "ada", role=Role.ADMIN)
        alice = await world.local_member(session, "alice")
        await world.local_actor(session, "organisation", ActorType.ORGANIZATION)
    headers = {"Accept-Language": f"{language}, en;q=0.5", "Accept": "text/html"}
    for path in VISITOR_PAGES:
        page = await client.get(path, headers=headers)
        assert f'<html lang="{language}" dir="ltr">' in page.text, path
        assert english_left(page.text, language) == [], path
    signed = await client.post("/login", data={"username": "sam", "password": world.PASSWORD})
    assert signed.status_code == 303
    for path in STAFF_PAGES:
        page = await client.get(path.format(alice=alice.id), headers=headers)
        assert page.status_code == 200, path
        assert english_left(page.text, language) == [], path
    security = await client.get("/settings/security", headers=headers)
    today = datetime.now(UTC).date()
    started = catalogue(language)["Started"].string
    assert f"{started} {format_date(today, 'd MMM y', locale=language)}" in security.text
    await client.post("/logout")
    signed = await client.post("/login", data={"username": "ada", "password": world.PASSWORD})
    for path in ADMIN_PAGES:
        page = await client.get(path, headers=headers)
        assert page.status_code == 200, path
        assert english_left(page.text, language) == [], path


@pytest.mark.anyio
async def test_lang_parameter_and_accept_language_choose_the_interface_language(
    client: httpx.AsyncClient,
) -> None:
    chosen = await client.get("/login", headers={"Accept-Language": "pt-BR, de;q=0.5"})
    assert '<html lang="pt" dir="ltr">' in chosen.text
    assert "Entrar</h1>" in chosen.text
    assert "Accept-Language" in chosen.headers["vary"]
    overridden = await client.get("/login?lang=de", headers={"Accept-Language": "pt-BR"})
    assert '<html lang="de" dir="ltr">' in overridden.text
    assert "Anmelden</h1>" in overridden.text
    unknown = await client.get("/login?lang=xx", headers={"Accept-Language": "ja, zh;q=0.8"})
    assert '<html lang="en" dir="ltr">' in unknown.text
    assert "Sign in</h1>" in unknown.text


@pytest.mark.anyio
async def test_error_pages_and_python_messages_are_translated(client: httpx.AsyncClient) -> None:
    missing = await client.get("/no/such/page?lang=fr", headers={"Accept": "text/html"})
    assert missing.status_code == 404
    assert '<html lang="fr" dir="ltr">' in missing.text
    assert "Retour à la page d’accueil" in missing.text
    wrong = await client.post(
        "/login?lang=es", data={"username": "nobody", "password": "not the password"}
    )
    assert wrong.status_code == 401
    assert "Ese apodo y esa contraseña no corresponden a ninguna cuenta de aquí." in wrong.text


@pytest.mark.anyio
async def test_accept_language_q_values_and_regional_variants_choose_a_shipped_language(
    client: httpx.AsyncClient,
) -> None:
    wanted = {
        "fr;q=0.4, pt-BR;q=0.9, de;q=0": "pt",
        "de-AT": "de",
        "ja, ro-MD;q=0.3": "ro",
        "es;q=0, *;q=0.1": "en",
        "": "en",
    }
    for header, language in wanted.items():
        page = await client.get("/login", headers={"Accept-Language": header})
        assert f'<html lang="{language}" dir="ltr">' in page.text, header
        assert "Accept-Language" in page.headers["vary"] and "Cookie" in page.headers["vary"]


@pytest.mark.anyio
async def test_the_switcher_remembers_a_visitors_choice_in_a_cookie(
    client: httpx.AsyncClient,
) -> None:
    front = await client.get("/", headers={"Accept-Language": "de"})
    assert '<button type="submit" name="language" value="ro" lang="ro">Română</button>' in (
        front.text
    )
    assert 'value="de" lang="de" aria-current="true">Deutsch</button>' in front.text
    chosen = await client.post("/language", data={"language": "ro", "next": "/directory?q=x"})
    assert chosen.status_code == 303 and chosen.headers["location"] == "/directory?q=x"
    cookie = chosen.headers["set-cookie"].lower()
    assert cookie.startswith(f"{i18n.COOKIE}=ro;")
    assert "samesite=lax" in cookie and "secure" in cookie and "max-age=34560000" in cookie
    page = await client.get("/directory", headers={"Accept-Language": "de"})
    assert '<html lang="ro" dir="ltr">' in page.text and "Servicii" in page.text
    overridden = await client.get("/directory?lang=fr", headers={"Accept-Language": "de"})
    assert '<html lang="fr" dir="ltr">' in overridden.text
    elsewhere = await client.post("/language", data={"language": "xx", "next": "//evil.example"})
    assert elsewhere.headers["location"] == "/" and "set-cookie" not in elsewhere.headers


@pytest.mark.anyio
async def test_a_members_language_is_kept_in_the_account_and_stays_after_signing_in(
    app: object, client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice")
    await client.post("/language", data={"language": "ro", "next": "/login"})
    signed = await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    assert signed.status_code == 303
    home = await client.get("/home", headers={"Accept-Language": "de"})
    assert '<html lang="ro" dir="ltr">' in home.text
    async with services.sessions() as session:
        user = await session.get(users.User, alice.id)
        assert user is not None and user.language == "ro"
    # Another browser, never switched, reading German: the account's language wins.
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as phone:
        await phone.post("/login", data={"username": "alice", "password": world.PASSWORD})
        page = await phone.get("/settings", headers={"Accept-Language": "de"})
        assert '<html lang="ro" dir="ltr">' in page.text
        await phone.post("/language", data={"language": "fr", "next": "/settings"})
    # The first browser still holds a Romanian cookie; the account now says French.
    assert '<html lang="fr" dir="ltr">' in (await client.get("/home")).text


@pytest.mark.anyio
async def test_on_a_shared_phone_one_members_language_never_becomes_the_next_ones(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "alice")
        bea = await world.local_member(session, "bea")
    await client.post("/language", data={"language": "ro", "next": "/login"})
    await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    signed_out = await client.post("/logout")
    assert f'{i18n.COOKIE}=""' in signed_out.headers["set-cookie"]  # deleted
    client.cookies.set(i18n.COOKIE, "ro", domain="harbour.test")  # a browser that kept it
    await client.post("/login", data={"username": "bea", "password": world.PASSWORD})
    async with services.sessions() as session:
        user = await session.get(users.User, bea.id)
        assert user is not None and user.language in (None, "")
    # An app set her account to a language the interface does not offer: her browser's
    # choice still counts.
    async with services.sessions() as session, session.begin():
        user = await session.get(users.User, bea.id)
        assert user is not None
        user.language = "tlh"
    page = await client.get("/home", headers={"Accept-Language": "de"})
    assert '<html lang="ro" dir="ltr">' in page.text
    left = await client.get("/exit")
    assert f'{i18n.COOKIE}=""' in " ".join(left.headers.get_list("set-cookie"))


@pytest.mark.anyio
async def test_the_client_api_reads_and_sets_the_same_language(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "alice")
        alice = await accounts.get_local(session, "alice")
        assert alice is not None
        headers = await world.bearer(session, alice)
    me = await client.get("/api/v1/accounts/verify_credentials", headers=headers)
    assert me.json()["source"]["language"] is None
    changed = await client.patch(
        "/api/v1/accounts/update_credentials", headers=headers, data={"source[language]": "PT-br"}
    )
    assert changed.status_code == 200 and changed.json()["source"]["language"] == "pt-BR"
    preferences = await client.get("/api/v1/preferences", headers=headers)
    assert preferences.json()["posting:default:language"] == "pt-BR"
    wrong = await client.patch(
        "/api/v1/accounts/update_credentials", headers=headers, json={"source": {"language": "!"}}
    )
    assert wrong.status_code == 422
    await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    assert '<html lang="pt" dir="ltr">' in (await client.get("/home")).text


@pytest.mark.anyio
async def test_about_languages_says_how_each_catalogue_was_made(client: httpx.AsyncClient) -> None:
    page = await client.get("/about/languages?lang=ro")
    assert page.status_code == 200 and "Limbile interfeței" in page.text
    row = page.text.split('<th scope="row" lang="de">Deutsch</th>', 1)[1].split("</tr>", 1)[0]
    assert "Traducere automată, încă neverificată de o persoană" in row and "<td>Nu</td>" in row
    assert 'href="/about/languages"' in (await client.get("/")).text


def test_right_to_left_languages_get_dir_rtl() -> None:
    assert [i18n.direction(tag) for tag in ("ar", "he", "fa", "ro", "en", "bg")] == [
        "rtl",
        "rtl",
        "rtl",
        "ltr",
        "ltr",
        "ltr",
    ]


@pytest.mark.anyio
async def test_every_shipped_catalogue_is_compiled_before_the_node_serves(
    services: Services,
) -> None:
    assert services.interface.languages[: len(i18n.SHIPPED)] == i18n.SHIPPED
    romanian = services.interface.catalogues["ro"]
    assert romanian.gettext("Sign in") == "Conectare"


def test_the_stylesheet_uses_logical_properties_so_pages_mirror_right_to_left() -> None:
    css = (TEMPLATES.parent / "static" / "harbour.css").read_text()
    rules = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    physical = re.findall(r"[\w-]*(?:left|right)[\w-]*\s*:|text-align:\s*(?:left|right)", rules)
    assert physical == []
