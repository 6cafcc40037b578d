"""Rate limits as people and servers meet them: 429, a clear message and Retry-After."""

from __future__ import annotations

import re

import httpx
import pytest

from moderation.rate_limits import LIMITS, Action, Limit, RateLimiter
from node.state import Services
from tests.node.conftest import BASE
from tests.node.test_inbox import deliver, note_to_alice
from tests.rig import world
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


async def test_guessing_a_members_password_is_slowed_down_for_that_nickname_only(
    client: httpx.AsyncClient, services: Services
) -> None:
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "alice", base_url=BASE)
        await world.local_member(session, "bob", base_url=BASE)
    for _ in range(LIMITS[Action.LOGIN].burst):
        wrong = await client.post("/login", data={"username": "Alice", "password": "guess"})
        assert wrong.status_code == 401
    blocked = await client.post(
        "/login",
        data={"username": "alice", "password": world.PASSWORD},
        headers={"Accept": "text/html"},
    )
    assert blocked.status_code == 429
    assert re.search(r"Too many attempts; please try again in \d\d? seconds\.", blocked.text)
    assert 0 < int(blocked.headers["retry-after"]) <= 60
    bob = await client.post("/login", data={"username": "bob", "password": world.PASSWORD})
    assert bob.status_code == 303


async def test_posting_faster_than_the_limit_is_refused_through_the_api(
    client: httpx.AsyncClient, services: Services
) -> None:
    services.federation.limits = RateLimiter({**LIMITS, Action.POST: Limit(burst=2, seconds=3600)})
    async with services.sessions() as session, session.begin():
        alice = await world.local_member(session, "alice", base_url=BASE)
        token = await world.bearer_token(session, alice)
    auth = {"Authorization": f"Bearer {token}"}
    for n in range(2):
        assert (
            await client.post("/api/v1/statuses", data={"status": f"{n}"}, headers=auth)
        ).is_success
    third = await client.post("/api/v1/statuses", data={"status": "third"}, headers=auth)
    assert third.status_code == 429
    assert third.json() == {"error": "Too many attempts; please try again in 30 minutes."}
    assert 1790 < int(third.headers["retry-after"]) <= 1800


async def test_a_flooding_server_is_told_to_wait(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    services.federation.limits = RateLimiter({**LIMITS, Action.INBOX: Limit(burst=1, seconds=60)})
    assert (await deliver(client, note_to_alice(1))).status_code == 202
    flood = await deliver(client, note_to_alice(2))
    assert flood.status_code == 429
    assert 50 < int(flood.headers["retry-after"]) <= 60
