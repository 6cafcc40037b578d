"""Attack: what the shared sign-in limits keep in the database.

On PostgreSQL the sign-in buckets are rows of `rate_buckets`, keyed by the nickname tried:
whatever someone typed into the form went into the table as it was (her e-mail address in
the nickname box, her real name) and at any length (a 100 KB "nickname" through the
password grant became a 100 KB key). Keys are now HMACs under the node's secret key."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import select

from moderation.shared_limits import RateBucket
from node.state import Services
from tests.node.test_two_factor import _client_app

pytestmark = pytest.mark.anyio
TYPED = "maria.lopez@example.com"


async def test_the_nicknames_tried_are_never_kept_readable_nor_long(
    client: httpx.AsyncClient, services: Services
) -> None:
    if services.federation.limits.shared is None:
        pytest.skip("on SQLite the buckets live in the process's memory, never on disk")
    wrong = await client.post("/login", data={"username": TYPED, "password": "guess"})
    assert wrong.status_code == 401
    app = await _client_app(client)
    grant = {"grant_type": "password", "client_id": app["client_id"], "scope": "read"}
    grant |= {"client_secret": app["client_secret"], "password": "guess"}
    huge = await client.post("/oauth/token", data={**grant, "username": "Z" * 100_000})
    assert huge.status_code == 400
    again = await client.post("/login", data={"username": TYPED, "password": "guess"})
    assert again.status_code == 401
    async with services.sessions() as session:
        rows = list(await session.execute(select(RateBucket.action, RateBucket.key)))
    login_keys = [key for action, key in rows if action == "login"]
    assert len(login_keys) == 2  # the two nicknames, each one bucket
    assert all(len(key) == 64 and "maria" not in key and "ZZZ" not in key for key in login_keys)
