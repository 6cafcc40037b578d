"""The quick exit leaves for the node's neutral page, and nothing a member saw stays cached:
signed-in pages and API answers are `Cache-Control: no-store`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from content import web_sessions
from node.app import create_app
from node.settings import Settings
from node.state import Services
from tests.node.conftest import BASE, DOMAIN
from tests.rig import world

pytestmark = pytest.mark.anyio
STATIC = Path(__file__).parents[2] / "node" / "web" / "static"


@pytest.fixture
async def bearer(services: Services) -> dict[str, str]:
    """alice, a member, and the header of an app token of hers."""
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        return await world.bearer(session, alice)


async def test_signed_in_pages_and_api_answers_are_never_stored(
    client: httpx.AsyncClient, bearer: dict[str, str]
) -> None:
    public = await client.get("/directory")
    assert public.status_code == 200 and "cache-control" not in public.headers
    signed = await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    assert signed.headers["cache-control"] == "no-store"  # it sets the cookie
    for path in ("/home", "/directory", "/@alice", "/settings/security"):
        page = await client.get(path)
        assert (page.status_code, page.headers["cache-control"]) == (200, "no-store"), path
    client.cookies.clear()
    for path, headers in (
        ("/api/v1/instance", {}),
        ("/api/v1/accounts/verify_credentials", bearer),
        ("/@alice", bearer),
    ):
        answer = await client.get(path, headers=headers)
        assert answer.headers["cache-control"] == "no-store", path


async def test_the_exit_leaves_for_the_nodes_own_neutral_page_with_a_same_origin_script(
    settings: Settings,
) -> None:
    exits = Settings.load(
        {"HARBOUR_DOMAIN": "x.test", "HARBOUR_QUICK_EXIT_URLS": "RO=https://vremea.example/?q=a"}
    ).quick_exit_urls
    assert exits == {"ro": "https://vremea.example/?q=a"}
    changed = replace(
        settings, quick_exit_url="https://weather.example/oslo", quick_exit_urls=exits
    )
    app: Starlette = create_app(changed)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as client:
        page = await client.get("/directory")
        romanian = await client.get("/exit", headers={"Accept-Language": "ro-RO,ro;q=0.9,en;q=0.5"})
        swiss = await client.get("/exit", headers={"Accept-Language": "de-CH, fr;q=0.5"})
    await app.state.services.engine.dispose()
    assert (romanian.status_code, romanian.headers["location"]) == (303, exits["ro"])
    assert "Accept-Language" in romanian.headers["vary"]
    assert swiss.headers["location"] == "https://weather.example/oslo"
    assert '<a id="quick-exit" href="/exit" rel="noreferrer">' in page.text
    assert '<script src="/static/exit.js" defer></script>' in page.text
    assert "<script>" not in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    script = (STATIC / "exit.js").read_text()
    assert "location.replace(link.href)" in script and '"Escape"' in script


async def test_the_exit_signs_out_and_leaves_a_marker_that_says_nothing(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
    await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    kept = client.cookies["harbour_session"]
    assert "@alice" in (await client.get("/home")).text

    left = await client.get("/exit")
    assert (left.status_code, left.headers["location"]) == (303, "https://www.yr.no/")
    assert left.headers["cache-control"] == "no-store"
    assert left.headers["referrer-policy"] == "no-referrer"
    marker = next(v for k, v in left.headers.multi_items() if k == "set-cookie" and "left=" in v)
    attributes = {part.strip().lower() for part in marker.split(";")}
    assert {"left=1", "max-age=900", "httponly", "samesite=lax", "secure", "path=/"} == attributes

    client.cookies.clear()
    client.cookies.set("harbour_session", kept, domain=DOMAIN)  # the cookie someone kept
    home = await client.get("/home")
    assert home.status_code == 303 and home.headers["location"].startswith("/login")
    async with services.sessions() as session:
        assert await web_sessions.of_account(session, alice.id) == []


async def test_while_the_marker_lasts_every_page_is_the_neutral_page(
    client: httpx.AsyncClient, bearer: dict[str, str]
) -> None:
    await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    await client.get("/exit")
    assert client.cookies["left"] == "1"
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    for path in ("/", "/home", "/login", "/@alice", "/users/alice", "/directory", "/settings"):
        answer = await client.get(path, headers=html)
        assert (answer.status_code, answer.headers["location"]) == (303, "https://www.yr.no/"), path
        assert answer.headers["cache-control"] == "no-store", path
    sign_in = await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    assert sign_in.headers["location"] == "https://www.yr.no/"
    assert "harbour_session" not in client.cookies  # nothing signed her back in

    activity = {"Accept": "application/activity+json"}
    for path, headers in (
        ("/api/v1/instance", {}),
        ("/api/v1/accounts/verify_credentials", bearer),
        ("/users/alice", activity),
        ("/.well-known/webfinger?resource=acct:alice@harbour.test", {}),
        ("/static/exit.js", {}),
    ):
        assert (await client.get(path, headers=headers)).status_code == 200, path
    client.cookies.delete("left")  # fifteen minutes later
    assert (await client.get("/directory", headers=html)).status_code == 200


async def test_a_discreet_member_sees_a_neutral_title_and_icon(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "alice", base_url=BASE)
    await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    assert "<title>Home · Harbour</title>" in (await client.get("/home")).text
    turned = await client.post("/settings/discreet", data={"discreet": "on"})
    assert turned.headers["location"] == "/settings/security#discreet"
    for path in ("/home", "/settings", "/directory"):
        page = (await client.get(path)).text
        assert "<title>Notes</title>" in page and "/static/notes.svg" in page, path
        assert "Harbour</title>" not in page
    await client.post("/settings/discreet", data={})
    assert "<title>Home · Harbour</title>" in (await client.get("/home")).text
    client.cookies.clear()
    assert "<title>Notes</title>" not in (await client.get("/directory")).text
