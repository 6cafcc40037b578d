"""The quick exit leaves for the node's neutral page, and nothing a member saw stays cached:
signed-in pages and API answers are `Cache-Control: no-store`."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette

from node.app import create_app
from node.settings import Settings
from node.state import Services
from tests.node.conftest import BASE
from tests.rig import world

pytestmark = pytest.mark.anyio
STATIC = Path(__file__).parents[2] / "node" / "web" / "static"


async def test_signed_in_pages_and_api_answers_are_never_stored(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        bearer = await world.bearer(session, alice)
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
        romanian = await client.get(
            "/login", headers={"Accept-Language": "ro-RO,ro;q=0.9,en;q=0.5"}
        )
        swiss = await client.get("/", headers={"Accept-Language": "de-CH, fr;q=0.5"})
    await app.state.services.engine.dispose()
    assert 'href="https://vremea.example/?q=a"' in romanian.text
    assert "Accept-Language" in romanian.headers["vary"]
    assert 'href="https://weather.example/oslo"' in swiss.text
    assert '<a id="quick-exit" href="https://weather.example/oslo" rel="noreferrer">' in page.text
    assert '<script src="/static/exit.js" defer></script>' in page.text
    assert "<script>" not in page.text
    policy = page.headers["content-security-policy"]
    assert "script-src 'self';" in policy and "unsafe-inline" not in policy
    script = (STATIC / "exit.js").read_text()
    assert "location.replace(link.href)" in script and '"Escape"' in script


async def test_a_discreet_member_sees_a_neutral_title_and_icon(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "alice", base_url=BASE)
    await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
    assert "<title>Home · Harbour</title>" in (await client.get("/home")).text
    turned = await client.post("/settings/discreet", data={"discreet": "on"})
    assert turned.headers["location"] == "/settings/security?notice=discreet#discreet"
    for path in ("/home", "/settings", "/directory"):
        page = (await client.get(path)).text
        assert "<title>Notes</title>" in page and "/static/notes.svg" in page, path
        assert "Harbour</title>" not in page
    await client.post("/settings/discreet", data={})
    assert "<title>Home · Harbour</title>" in (await client.get("/home")).text
    client.cookies.clear()
    assert "<title>Notes</title>" not in (await client.get("/directory")).text
