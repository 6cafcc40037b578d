"""Every page a visitor, a member, staff and an admin can reach, forms with their errors,
the OAuth pages and the error pages (404, 403, 429) are read in the pseudo-locale and in the
right-to-left test locale (tests/i18n_locales.py): no English interface word may be left.
Member and organisation content is written in Greek and usernames, links and numbers are
set aside, so any ASCII letter left is interface text the catalogues did not translate. The
walk must reach every GET route that answers with a page, so a new page cannot be missed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest
from starlette.applications import Starlette
from starlette.routing import Match, Route

from activitypub import ActorType
from content import polls, timeline_lists
from content.accounts import Account
from content.users import Role
from moderation.rate_limits import Action
from node.lazy_routes import every_route
from node.settings import Settings
from node.state import Services
from tests.i18n_locales import PSEUDO, RTL, write_test_locales
from tests.rig import world

pytestmark = pytest.mark.anyio
ORGANISATION = "Λιμάνι της Αθήνας"  # the node's organisation name, its content
USERNAMES = ("sam", "ada", "alice", "organisation", "peers")
HTML = {"Accept": "text/html"}
# GET routes that answer with no page of their own (documents for machines, files, redirects).
NOT_PAGES = {
    "/actor": "the instance actor's ActivityPub document",
    "/actor/outbox": "ActivityPub collection",
    "/media/{name}": "uploaded images",
    "/media/proxy/{kind}/{id}/{digest}": "remote images, avatars and headers",
    "/favicon.ico": "the browser tab's icon",
    "/exit": "the quick exit leaves for another site",
    "/settings/export": "a JSON download",
    "/settings/lists/{name}": "a CSV download",
    "/countries/write": "a redirect to the country page editor",
    "/countries/{code}/{username}": "an ActivityPub document; people go to the country page",
    "/events.ics": "an iCalendar file",
    "/events/{event_id:id}.ics": "an iCalendar file",
}
EVENT = {
    "title": "Εργαστήριο δικαιωμάτων",
    "description": "Φέρτε ερωτήσεις.",
    "language": "el",
    "starts": "2030-03-14T18:00",
    "ends": "2030-03-14T20:00",
    "time_zone": "Europe/Athens",
    "place_name": "Κέντρο",
    "audience": "Εργαζόμενες",
    "registration": "Ελάτε απλώς.",
}
MACHINE_PREFIXES = ("/api/", "/.well-known/", "/nodeinfo/", "/users/")
LISTING = {
    "name": "Νυχτερινή κλινική",
    "organisation": "Ύδρα",
    "country": "de",
    "city": "Βερολίνο",
    "summary": "Ανώνυμα τεστ τη νύχτα.",
    "categories": ["sexual-health", "prep"],
    "languages": "de, el",
    "language": "el",
    "anonymous": "on",
    "street_address": "Οδός 1",
    "last_verified": "2026-11-01",
    "verified_by": "Ύδρα",
}
COUNTRY = {
    "language": "el",
    "title": "Η εργασία του σεξ στη Ρουμανία",
    "legal": "Νόμιμη.",
    "health": "Τεστ στο κέντρο υγείας.",
    "sources": "https://legislatie.example/lege",
    "last_reviewed": "2026-09-01",
    "note": "Πρώτη έκδοση",
}
GROUP = {
    "name": "peers",
    "title": "Αλληλοϋποστήριξη",
    "description": "Μιλάμε.",
    "visibility": "public",
    "language": "el",
    "topics": "ασφάλεια",
}


@pytest.fixture(scope="session")
def test_locales(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_test_locales(tmp_path_factory.mktemp("locales"))


@pytest.fixture
def settings(settings: Settings, test_locales: Path) -> Settings:
    return replace(settings, test_locales=test_locales, organisation_name=ORGANISATION)


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


class ShownText(HTMLParser):
    """What a reader sees or hears on a page in its language: text outside scripts and
    styles, and the labelling attributes (title, alt, aria-label, placeholder, a button
    input's value). Left out: what the page marks as another language (`lang`, such as the
    switcher's language names) or as not to be translated (`translate="no"`, codes)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.pieces: list[str] = []
        self.open: list[tuple[str, bool]] = []  # elements open, and whether they are left out
        self.html_attributes: dict[str, str | None] = {}

    @property
    def hidden(self) -> bool:
        return any(left_out for _, left_out in self.open)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "html":
            self.html_attributes = found
            return
        other_language = found.get("lang") not in (None, self.html_attributes.get("lang"))
        left_out = tag in ("script", "style") or other_language or found.get("translate") == "no"
        if not (self.hidden or left_out):
            for name in ("title", "alt", "aria-label", "placeholder"):
                if found.get(name):
                    self.pieces.append(str(found[name]))
            if tag == "input" and found.get("type") in ("submit", "button", "reset"):
                self.pieces.append(str(found.get("value") or ""))
        if tag not in VOID:
            self.open.append((tag, left_out))

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.open) - 1, -1, -1):
            if self.open[index][0] == tag:
                del self.open[index:]
                break

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.pieces.append(data)


def parse(page: str) -> ShownText:
    parser = ShownText()
    parser.feed(page)
    parser.close()
    return parser


def english_left(page: str) -> list[str]:
    """The ASCII words left once links, handles, host names, usernames and numbers are set
    aside: every interface word in the test locales has none."""
    text = " ".join(parse(page).pieces)
    text = re.sub(r"\w+://\S+|[@#][\w.@-]+|[\w-]+(?:\.[\w-]+)+", " ", text)
    text = re.sub(rf"\b(?:{'|'.join(USERNAMES)})\b", " ", text)
    return re.findall(r"[A-Za-z]+", text)


class Walk:
    """Pages fetched, by the URL asked for, and the routes they reached."""

    def __init__(self, app: Starlette, client: httpx.AsyncClient, language: str) -> None:
        self.app, self.client, self.language = app, client, language
        self.pages: dict[str, httpx.Response] = {}

    def _record(self, label: str, response: httpx.Response) -> httpx.Response:
        assert response.headers.get("content-type", "").startswith("text/html"), label
        self.pages[label] = response
        return response

    async def get(self, path: str, status: int = 200) -> httpx.Response:
        answer = await self.client.get(path, headers=HTML)
        assert answer.status_code == status, (path, answer.status_code)
        return self._record(f"GET {path}", answer)

    async def post(self, path: str, data: dict[str, object], status: int) -> httpx.Response:
        answer = await self.client.post(path, data=data, headers=HTML)
        assert answer.status_code == status, (path, answer.status_code, answer.text[:300])
        return self._record(f"POST {path}", answer)

    async def sign_in(self, username: str) -> None:
        await self.client.post("/logout")
        signed = await self.client.post(
            "/login", data={"username": username, "password": world.PASSWORD}
        )
        assert signed.status_code == 303

    def routes_reached(self) -> set[str]:
        reached = set()
        for label in self.pages:
            method, _, url = label.partition(" ")
            scope = {"type": "http", "method": method, "path": urlsplit(url).path}
            for route in every_route(self.app.routes):
                if isinstance(route, Route) and route.matches(scope)[0] == Match.FULL:
                    reached.add(route.path)
                    break
        return reached


async def walk_every_page(app: Starlette, client: httpx.AsyncClient, services: Services) -> Walk:
    """Read every page as a visitor, a member, staff and an admin, in the language the
    client's cookie chose."""
    walk = Walk(app, client, "")
    async with services.sessions() as session, session.begin():
        sam = await world.local_member(session, "sam", role=Role.STAFF)
        await world.local_member(session, "ada", role=Role.ADMIN)
        alice = await world.local_member(session, "alice")
        await world.local_actor(session, "organisation", ActorType.ORGANIZATION)
        night = await timeline_lists.create(session, alice, "Νυχτερινή βάρδια")
        asked = await world.post(session, sam, "Πότε;")
        polls.create(session, asked.id, polls.spec(["Τρίτη", "Πέμπτη"], 86_400))
    # Staff write the content the others read.
    await walk.sign_in("sam")
    listing = (await client.post("/directory/new", data=LISTING)).headers["location"]
    old = {**LISTING, "last_verified": "2024-01-01"}  # stale: on staff's list to verify
    assert (await client.post("/directory/new", data=old)).status_code == 303
    assert (await client.post("/countries/RO/edit", data=COUNTRY)).status_code == 303
    event = (await client.post("/events/new", data=EVENT)).headers["location"]
    await walk.get("/staff/to-verify")
    assert (await client.post("/discussions/new", data=GROUP)).status_code == 303
    thread = await client.post(
        "/discussions/peers/new", data={"title": "Νυχτερινά λεωφορεία", "text": "Ποιες γραμμές;"}
    )
    thread_path = thread.headers["location"]
    await client.post("/compose", data={"text": "Καλημέρα #λιμάνι", "visibility": "public"})
    # A visitor.
    await client.post("/logout")
    for path in (
        "/",
        "/about",
        "/about/languages",
        "/login",
        "/register?invite=x",
        "/directory",
        "/directory?country=Ατλαντίδα",
        listing,
        "/countries",
        "/countries/RO",
        "/countries/RO/history",
        "/events",
        event,
        "/discussions",
        "/discussions/peers",
        thread_path,
        "/@sam",
        "/tags/λιμάνι",
    ):
        await walk.get(path)
    await walk.get("/no/such/page", status=404)
    await walk.post("/login", {"username": "sam", "password": "not it"}, status=401)
    await walk.post("/register", {"invite": "nope", "username": "x", "password": "y"}, 400)
    app_answer = await client.post(
        "/api/v1/apps",
        json={"client_name": "Τηλέφωνο", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob"},
    )
    client_id = app_answer.json()["client_id"]
    consent = (
        f"/oauth/authorize?client_id={client_id}&redirect_uri=urn:ietf:wg:oauth:2.0:oob"
        "&response_type=code&scope=read"
    )
    await walk.get("/oauth/authorize?client_id=nobody&response_type=code", status=400)
    # A member.
    await walk.sign_in("alice")
    for path in ("/home", "/notifications", "/follow-requests", "/settings", "/settings/security"):
        await walk.get(path)
    for path in ("/home/lists", f"/home/lists/{night.id}", "/notifications?held=1"):
        await walk.get(path)
    await walk.get(f"/@sam/{asked.id}")  # the poll's form
    await client.post(f"{event}/going")
    await walk.get(f"{event}?going")  # she said she is going
    await client.post(f"/posts/{asked.id}/vote", data={"choice": "1"})
    await walk.get(f"/@sam/{asked.id}?voted")  # its results (a page of its own in the walk)
    for path in ("/settings/privacy", "/settings?error=wrong%20password", consent):
        await walk.get(path)
    for lines in ("λιμάνι.example\n", "όχι διακομιστής!\n"):  # queued, then refused
        await client.post(
            "/settings/lists/import",
            data={"kind": "blocked_domains", "mode": "merge"},
            files={"file": ("blocked_domains.csv", lines.encode(), "text/csv")},
        )
        await walk.get("/settings/lists")
    # Moving: an alias refused, then alice's account moved away (its profile says where).
    await client.post("/settings/aliases", data={"handle": "όχι"})
    await walk.get("/settings/aliases")
    await client.post("/settings/move", data={"handle": "όχι", "password": "όχι"})
    await walk.get("/settings/move?refused")
    async with services.sessions() as session, session.begin():
        moved = await session.get(Account, alice.id)
        assert moved is not None
        moved.moved_to_uri = "https://elsewhere.example/users/alice"
    await walk.get("/settings/move")
    await walk.get("/@alice")
    grant = {"client_id": client_id, "redirect_uri": "urn:ietf:wg:oauth:2.0:oob", "scope": "read"}
    await walk.post("/oauth/authorize", {**grant, "response_type": "code"}, status=200)
    await walk.get("/admin", status=403)
    await walk.post("/discussions/peers/new", {"title": "", "text": "Γεια"}, status=400)
    # She suggests corrections (one refused), to a listing and to a country-page section.
    country = (await client.get("/countries/RO")).text
    country_page = re.findall(r'name="page" value="(\d+)"', country)
    for kind, sent in [("hours", {"listing": listing.rsplit("/", 1)[1], "sign": "on"}),
                       ("unsafe", {"page": country_page[0], "section": "legal"}),
                       ("closed", {"listing": listing.rsplit("/", 1)[1]}),
                       ("", {"listing": listing.rsplit("/", 1)[1]})]:  # fmt: skip
        await client.post("/corrections", data={"kind": kind, "text": "Όχι πια.", **sent})
        await walk.get(listing)  # her thanks, or why it was refused
    # Staff.
    await walk.sign_in("sam")
    for path in (
        "/directory/new",
        f"{listing}/edit",
        "/countries/RO/edit",
        "/events/new",
        f"{event}/edit",
        f"{event}?staff",  # who is going
        "/discussions/new",
        "/discussions/peers/new",
        f"/accounts/{alice.id}/safety",
        "/@sam",
    ):
        await walk.get(path)
    profile = (await client.get("/@sam")).text
    post_id = profile.split("/@sam/", 1)[1].split('"', 1)[0]
    await client.post(f"/posts/{post_id}/edit", data={"text": "Καλησπέρα #λιμάνι"})
    await walk.get(f"/@sam/{post_id}")  # "Edited" and the date, linking its history
    await walk.get(f"/posts/{post_id}/history")
    await walk.post("/directory/new", {"name": ""}, status=400)
    await walk.post("/countries/RO/edit", {**COUNTRY, "last_reviewed": "soon"}, status=400)
    await walk.post("/events/new", {**EVENT, "ends": "2030-01-01T00:00"}, status=400)
    await walk.post("/discussions/new", {**GROUP, "name": "Not A Name!"}, status=400)
    # Staff answer the corrections: a call, a rejection with its reason, an acceptance.
    queue = (await client.get("/staff/corrections")).text
    first, second, third = re.findall(r'action="/staff/corrections/(\d+)/accept"', queue)
    await client.post(f"/staff/corrections/{third}/call")
    await walk.get("/staff/corrections")
    await client.post(f"/staff/corrections/{second}/reject", data={"reason": ""})  # refused
    await walk.get("/staff/corrections")
    await client.post(f"/staff/corrections/{second}/reject", data={"reason": "Ισχύει ακόμη."})
    edit = (await client.post(f"/staff/corrections/{first}/accept")).headers["location"]
    await walk.get(edit)
    await walk.sign_in("alice")
    await walk.get("/notifications")  # the three answers
    # An admin.
    await walk.sign_in("ada")
    for path in ("/admin", "/admin/reports", "/admin/reports?resolved=1", "/admin/audit"):
        await walk.get(path)
    await walk.get("/admin/domains")
    await client.post("/admin/people/invites", data={"uses": "2", "days": "3"})
    await walk.get("/admin/people")  # the new link, an invite, and the roles
    url = "https://partner.example/api/v1/instance/domain_blocks"
    await client.post("/admin/trust/subscribe", data={"url": url})
    await walk.get("/admin/trust")
    # Too many: the register limit spent, as a flood of sign-ups would.
    await client.post("/logout")
    for _ in range(30):
        try:
            await services.federation.limits.take(Action.REGISTER)
        except Exception:
            break
    await walk.post("/register", {"invite": "nope", "username": "x", "password": "y"}, 429)
    return walk


def html_routes(app: Starlette) -> set[str]:
    return {
        route.path
        for route in every_route(app.routes)
        if isinstance(route, Route)
        and "GET" in (route.methods or ())
        and not route.path.startswith(MACHINE_PREFIXES)
        and route.path not in NOT_PAGES
    }


@pytest.fixture
async def pseudo_client(app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://harbour.test") as http:
        yield http


@pytest.mark.parametrize("language", [PSEUDO, RTL])
async def test_every_page_in_a_test_locale_has_no_english_interface_word(
    app: Starlette, pseudo_client: httpx.AsyncClient, services: Services, language: str
) -> None:
    # The browser asks for the test locale (a cookie would go at each sign-out).
    pseudo_client.headers["Accept-Language"] = language
    walk = await walk_every_page(app, pseudo_client, services)
    missed = html_routes(app) - walk.routes_reached()
    assert not missed, f"pages the walk does not read: {sorted(missed)}"
    left = {}
    for label, response in walk.pages.items():
        shown = parse(response.text)
        assert shown.html_attributes.get("lang") == language, label
        wanted = "rtl" if language == RTL else "ltr"
        assert shown.html_attributes.get("dir") == wanted, label
        if words := english_left(response.text):
            left[label] = words
    assert not left, "\n".join(f"{label}: {' '.join(words)}" for label, words in left.items())
