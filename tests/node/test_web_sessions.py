"""Sessions are records on the server: signing out, a password change, two-factor turned on or
off and a suspension end them (and app tokens), so a kept cookie or token is worth nothing."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

import httpx
import pyotp
import pytest
from sqlalchemy import select, update
from starlette.applications import Starlette

from content import accounts
from content.oauth import AccessToken
from content.users import Role
from content.web_sessions import WebSession, today
from node.state import Services
from tests.node.conftest import BASE
from tests.rig import world

pytestmark = pytest.mark.anyio
COOKIE = "harbour_session"
NEW_PASSWORD = "a brand new passphrase"


@asynccontextmanager
async def browser(app: Starlette, cookie: str | None = None) -> AsyncIterator[httpx.AsyncClient]:
    """Another browser on the same node, holding `cookie` if given (a kept or stolen one)."""
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
        if cookie is not None:
            http.cookies.set(COOKIE, cookie, domain="harbour.test")
        yield http


async def sign_in(client: httpx.AsyncClient, username: str = "alice", password: str = "") -> str:
    signed = await client.post(
        "/login", data={"username": username, "password": password or world.PASSWORD}
    )
    assert signed.status_code == 303, signed.text
    return str(client.cookies[COOKIE])


async def is_signed_in(app: Starlette, cookie: str) -> bool:
    async with browser(app, cookie) as http:
        page = await http.get("/settings")
    return page.status_code == 200


async def token_works(client: httpx.AsyncClient, token: str) -> bool:
    answer = await client.get(
        "/api/v1/accounts/verify_credentials", headers={"Authorization": f"Bearer {token}"}
    )
    return answer.status_code == 200


@pytest.fixture
async def alice(services: Services) -> str:
    """alice, a member, with an app token."""
    async with services.sessions() as session, session.begin():
        account = await world.local_member(session, "alice", base_url=BASE)
        return await world.bearer_token(session, account)


async def test_the_cookie_holds_only_a_random_id_the_server_keeps_hashed(
    client: httpx.AsyncClient, services: Services, alice: str
) -> None:
    cookie = await sign_in(client)
    payload = json.loads(base64.b64decode(cookie.split(".")[0] + "=="))
    assert list(payload) == ["sid"]
    async with services.sessions() as session:
        rows = list(await session.scalars(select(WebSession)))
    assert len(rows) == 1 and rows[0].token_sha256 == _digest_of(cookie)
    assert rows[0].label == ""  # the page names it by the day it started, in the reader's words


async def test_signing_out_ends_the_session_even_for_a_kept_cookie(
    app: Starlette, client: httpx.AsyncClient, alice: str
) -> None:
    cookie = await sign_in(client)
    assert await is_signed_in(app, cookie)
    await client.post("/logout")
    assert not await is_signed_in(app, cookie)
    assert await token_works(client, alice)


async def test_a_password_change_ends_every_other_session_and_app_token(
    app: Starlette, client: httpx.AsyncClient, alice: str
) -> None:
    async with browser(app) as phone:
        other = await sign_in(phone)
    mine = await sign_in(client)
    wrong = await client.post(
        "/settings/password",
        data={"current_password": "not my password", "new_password": NEW_PASSWORD},
    )
    assert wrong.status_code == 400 and "current password is not right" in wrong.text
    short = await client.post(
        "/settings/password", data={"current_password": world.PASSWORD, "new_password": "short"}
    )
    assert short.status_code == 400 and "at least 10 characters" in short.text
    assert await is_signed_in(app, other) and await token_works(client, alice)
    changed = await client.post(
        "/settings/password",
        data={"current_password": world.PASSWORD, "new_password": NEW_PASSWORD},
    )
    assert changed.headers["location"] == "/settings/security"
    assert await is_signed_in(app, mine)
    assert not await is_signed_in(app, other)
    assert not await token_works(client, alice)
    async with browser(app) as again:
        await sign_in(again, password=NEW_PASSWORD)


async def test_turning_two_factor_on_and_off_ends_the_other_sessions_and_tokens(
    app: Starlette, client: httpx.AsyncClient, services: Services, alice: str
) -> None:
    mine = await sign_in(client)
    async with browser(app) as phone:
        other = await sign_in(phone)
    await client.post("/settings/two-factor/start")
    page = (await client.get("/settings")).text
    secret = page.split('id="totp-secret">')[1].split("<")[0].replace(" ", "")
    on = await client.post(
        "/settings/two-factor/enable",
        data={"password": world.PASSWORD, "code": pyotp.TOTP(secret).now()},
    )
    assert on.status_code == 200 and "recovery" in on.text.lower()
    assert await is_signed_in(app, mine) and not await is_signed_in(app, other)
    assert not await token_works(client, alice)
    codes = on.text.split("<code>")[1:]
    recovery = codes[0].split("<")[0]
    async with services.sessions() as session, session.begin():
        account = await accounts.get_local(session, "alice")
        assert account is not None
        token = await world.bearer_token(session, account)
    async with browser(app) as laptop:
        await laptop.post("/login", data={"username": "alice", "password": world.PASSWORD})
        await laptop.post("/login/code", data={"code": recovery})
        third = str(laptop.cookies[COOKIE])
    assert await is_signed_in(app, third)
    off = await client.post(
        "/settings/two-factor/disable", data={"password": world.PASSWORD, "code": codes[1][:11]}
    )
    assert off.headers["location"].startswith("/settings#two-factor")
    assert await is_signed_in(app, mine) and not await is_signed_in(app, third)
    assert not await token_works(client, token)


async def test_a_suspension_ends_every_session_and_token_for_good(
    app: Starlette, client: httpx.AsyncClient, services: Services, alice: str
) -> None:
    async with services.sessions() as session, session.begin():
        mo = await world.local_member(session, "mo", role=Role.MODERATOR, base_url=BASE)
        staff = await world.bearer(session, mo, ["admin:read", "admin:write"])
        target = await accounts.get_local(session, "alice")
        assert target is not None
    cookie = await sign_in(client)
    path = f"/api/v1/admin/accounts/{target.id}"
    await client.post(f"{path}/action", headers=staff, data={"type": "suspend"})
    assert not await is_signed_in(app, cookie) and not await token_works(client, alice)
    await client.post(f"{path}/unsuspend", headers=staff)
    assert not await is_signed_in(app, cookie) and not await token_works(client, alice)


async def test_she_sees_renames_and_ends_her_sessions_and_apps(
    app: Starlette, client: httpx.AsyncClient, services: Services, alice: str
) -> None:
    async with browser(app) as phone:
        other = await sign_in(phone)
    mine = await sign_in(client)
    async with services.sessions() as session:
        phone_id = await session.scalar(
            select(WebSession.id).where(WebSession.token_sha256 == _digest_of(other))
        )
    page = await client.get("/settings/security")
    assert page.text.count("Browser session, started ") == 4  # two sessions, label and field
    assert "(this browser)" in page.text and "tests" in page.text
    renamed = await client.post(f"/settings/sessions/{phone_id}/rename", data={"label": "Phone"})
    assert renamed.status_code == 303
    assert "<strong>Phone</strong>" in (await client.get("/settings/security")).text
    elsewhere = await client.post(
        f"/settings/sessions/{phone_id}/end", headers={"Origin": "https://evil.example"}
    )
    assert elsewhere.status_code == 403 and await is_signed_in(app, other)
    await client.post(f"/settings/sessions/{phone_id}/end")
    assert not await is_signed_in(app, other) and await is_signed_in(app, mine)
    async with services.sessions() as session:
        (app_id,) = await session.scalars(select(AccessToken.app_id))
    await client.post(f"/settings/apps/{app_id}/revoke")
    assert not await token_works(client, alice)
    assert "No app can use your account." in (await client.get("/settings/security")).text
    everywhere = await client.post("/settings/sign-out-everywhere")
    assert everywhere.headers["location"] == "/login"
    assert not await is_signed_in(app, mine)


async def test_another_members_session_cannot_be_ended_or_renamed(
    app: Starlette, client: httpx.AsyncClient, services: Services, alice: str
) -> None:
    alices = await sign_in(client)
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "bob", base_url=BASE)
        (alices_id,) = await session.scalars(select(WebSession.id))
    async with browser(app) as bobs:
        await sign_in(bobs, "bob")
        await bobs.post(f"/settings/sessions/{alices_id}/rename", data={"label": "gotcha"})
        await bobs.post(f"/settings/sessions/{alices_id}/end")
    assert await is_signed_in(app, alices)
    assert "gotcha" not in (await client.get("/settings/security")).text


async def test_she_changes_her_profile_and_other_servers_hear_of_it(
    client: httpx.AsyncClient, services: Services, alice: str
) -> None:
    await sign_in(client)
    saved = await client.post(
        "/settings/profile", data={"display_name": "Alice R.", "note": "Peer support, Tuesdays"}
    )
    assert saved.headers["location"] == "/settings/security"
    profile = (await client.get("/@alice")).text
    assert "Alice R." in profile and "Peer support, Tuesdays" in profile
    too_long = await client.post("/settings/profile", data={"display_name": "x" * 31})
    assert too_long.status_code == 400 and "at most 30 characters" in too_long.text
    assert "Alice R." in (await client.get("/@alice")).text


def _digest_of(cookie: str) -> str:
    payload = json.loads(base64.b64decode(cookie.split(".")[0] + "=="))
    return hashlib.sha256(payload["sid"].encode()).hexdigest()


async def test_a_session_left_idle_for_two_weeks_is_over(
    app: Starlette, client: httpx.AsyncClient, services: Services, alice: str
) -> None:
    cookie = await sign_in(client)
    async with services.sessions() as session, session.begin():
        await session.execute(update(WebSession).values(last_used_on=today() - timedelta(days=13)))
    assert await is_signed_in(app, cookie)
    async with services.sessions() as session, session.begin():
        await session.execute(update(WebSession).values(last_used_on=today() - timedelta(days=15)))
    assert not await is_signed_in(app, cookie)
    async with services.sessions() as session:
        assert list(await session.scalars(select(WebSession))) == []


async def test_a_suspension_from_the_moderation_page_ends_her_sessions_too(
    app: Starlette, client: httpx.AsyncClient, services: Services, alice: str
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "mo", role=Role.MODERATOR, base_url=BASE)
        target = await accounts.get_local(session, "alice")
        assert target is not None
    cookie = await sign_in(client)
    async with browser(app) as moderator:
        await sign_in(moderator, "mo")
        done = await moderator.post(
            f"/admin/accounts/{target.id}/action", data={"type": "suspend", "reason": "spam"}
        )
        assert done.status_code == 303
        assert not await is_signed_in(app, cookie) and not await token_works(client, alice)
        await moderator.post(f"/admin/accounts/{target.id}/action", data={"type": "unsuspend"})
    assert not await is_signed_in(app, cookie) and not await token_works(client, alice)
    async with browser(app) as again:
        await sign_in(again)
