"""Signing in, joining with an invite, and what every response carries."""

from __future__ import annotations

import logging
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import func, select

from content import interactions, invites, posts
from content.audience import Visibility
from content.interactions import Kind
from content.orm import Base
from content.posts import Post
from node.state import Services
from tests.rig import world

pytestmark = pytest.mark.anyio
BASE = "https://harbour.test"
CLIENT_IP = "203.0.113.77"  # the address the test client connects from (see conftest)


async def test_sign_in_and_out(client: httpx.AsyncClient, services: Services) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "alice", base_url=BASE)

    form = await client.get("/login")
    assert form.status_code == 200 and 'name="password"' in form.text
    wrong = await client.post("/login", data={"username": "alice", "password": "nope"})
    assert wrong.status_code == 401
    assert "do not match" in wrong.text
    right = await client.post("/login", data={"username": "Alice", "password": world.PASSWORD})
    assert right.status_code == 303
    cookie = right.headers["set-cookie"].lower()
    assert "httponly" in cookie and "secure" in cookie and "samesite=lax" in cookie
    assert "signed in as <strong>@alice</strong>" in (await client.get("/")).text
    await client.post("/logout")
    assert "signed in as" not in (await client.get("/")).text


async def test_join_with_an_invite_once(client: httpx.AsyncClient, services: Services) -> None:
    async with services.sessions() as session, session.begin():
        code = invites.create_invite(session, created_by=None)

    page = await client.get("/register", params={"invite": code})
    assert f'value="{code}"' in page.text
    short = await client.post(
        "/register", data={"invite": code, "username": "nova", "password": "short"}
    )
    assert short.status_code == 400 and "at least 10 characters" in short.text
    joined = await client.post(
        "/register", data={"invite": code, "username": "Nova", "password": "a long passphrase"}
    )
    assert joined.status_code == 303 and joined.headers["location"] == "/@nova"
    assert (await client.get("/api/v1/instance")).json()["approval_required"] is False
    assert (
        await client.get("/users/nova", headers={"Accept": "application/activity+json"})
    ).json()["preferredUsername"] == "nova"
    again = await client.post(
        "/register", data={"invite": code, "username": "other", "password": "a long passphrase"}
    )
    assert again.status_code == 400 and "used already" in again.text


async def test_expired_and_unknown_invites_are_refused(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        expired = invites.create_invite(session, created_by=None, lifetime=timedelta(seconds=-1))

    for code, message in ((expired, "expired"), ("made-up", "not known")):
        response = await client.post(
            "/register", data={"invite": code, "username": "nova", "password": "a long passphrase"}
        )
        assert response.status_code == 400 and message in response.text


async def test_every_response_carries_the_security_headers(client: httpx.AsyncClient) -> None:
    for path in ("/", "/login", "/.well-known/nodeinfo", "/no-such-page"):
        headers = (await client.get(path)).headers
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "same-origin"
        assert "frame-ancestors 'none'" in headers["content-security-policy"]


async def test_oversized_bodies_are_refused_with_a_clear_error(client: httpx.AsyncClient) -> None:
    response = await client.post("/login", content=b"x" * 1_100_000)
    assert response.status_code == 413
    assert response.json() == {"error": "the request body is larger than 1048576 bytes"}


async def test_unknown_paths_answer_json_for_machines_and_html_for_people(
    client: httpx.AsyncClient,
) -> None:
    machine = await client.get("/api/v9/nothing")
    assert machine.status_code == 404 and machine.json() == {"error": "Not Found"}
    person = await client.get("/nothing", headers={"Accept": "text/html"})
    assert person.status_code == 404 and "<h1>Not Found</h1>" in person.text


async def test_no_client_address_reaches_the_logs_or_the_database(
    client: httpx.AsyncClient, services: Services, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    async with services.sessions() as session, session.begin():
        code = invites.create_invite(session, created_by=None)
    await client.post(
        "/register", data={"invite": code, "username": "nova", "password": "a long passphrase"}
    )
    await client.post("/login", data={"username": "nova", "password": "a long passphrase"})
    await client.get("/users/nova")

    assert "POST /register 303" in caplog.text  # requests were logged ...
    assert CLIENT_IP not in caplog.text  # ... without the address they came from
    async with services.sessions() as session:
        for table in Base.metadata.sorted_tables:
            rows = (await session.execute(select(table))).all()
            assert CLIENT_IP not in repr(rows), table.name


async def test_members_cannot_act_on_posts_they_may_not_see(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        carol = await world.local_member(session, "carol", base_url=BASE)
        await world.local_member(session, "bob", base_url=BASE)
        secret = posts.create_local(
            session, alice, "for carol only", visibility=Visibility.DIRECT, mentioned=[carol]
        )
        await session.flush()
    await client.post("/login", data={"username": "bob", "password": world.PASSWORD})
    for verb in ("like", "boost"):
        refused = await client.post(f"/posts/{secret.id}/{verb}")
        assert refused.headers["location"] == "/home"
        assert "there is no such post" in (await client.get("/home")).text
    reply = await client.post("/compose", data={"text": "hi", "in_reply_to": str(secret.id)})
    assert reply.headers["location"] == "/home"
    assert "there is no such post" in (await client.get("/home")).text
    async with services.sessions() as session:
        assert await interactions.count(session, secret, Kind.LIKE) == 0
        assert (await session.scalar(select(func.count()).select_from(Post))) == 1
