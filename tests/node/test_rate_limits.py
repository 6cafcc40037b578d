"""Rate limits as people and servers meet them: 429, a clear message and Retry-After."""

from __future__ import annotations

import re

import httpx
import pytest

from federation.transport import Transport, TransportPolicy
from moderation import allowlist
from moderation.rate_limits import LIMITS, Action, Limit, RateLimited, RateLimiter
from node.state import Services
from tests.node.conftest import BASE
from tests.node.test_inbox import deliver, note_to_alice
from tests.node.test_media_api import tokens, upload
from tests.rig import world
from tests.rig.images import plain_png
from tests.rig.keys import keypair_for_tests
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
NEWS = "https://news.remote.example/users/news"


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
    # Its sub-domains cost it nothing, so they share its limit.
    policy = TransportPolicy(static_hosts={"news.remote.example": "93.184.216.36"})
    await services.federation.transport.aclose()
    services.federation.transport = Transport(
        policy, user_agent="test", transport=httpx.MockTransport(remote.handle)
    )
    remote.add_actor(NEWS, keypair_for_tests(5), "news")
    async with services.sessions() as session, session.begin():
        await allowlist.allow(session, "news.remote.example")
    other = {**note_to_alice(3), "id": f"{NEWS}/activities/3", "actor": NEWS}
    other["object"] = {**note_to_alice(3)["object"], "id": f"{NEWS}/3", "attributedTo": NEWS}  # type: ignore[dict-item]
    signed = await deliver(client, other, keypair=keypair_for_tests(5), key_id=f"{NEWS}#main-key")
    assert signed.status_code == 429, signed.text


async def test_a_flood_of_new_nicknames_does_not_reset_a_members_login_limit(
    client: httpx.AsyncClient, services: Services
) -> None:
    # A small store, so a flood a little larger than it would have reset every bucket.
    services.federation.limits = RateLimiter(
        {**LIMITS, Action.FAILED_LOGIN: Limit(burst=1000, seconds=60)}, size=8
    )
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "alice", base_url=BASE)
    for _ in range(LIMITS[Action.LOGIN].burst):
        await client.post("/login", data={"username": "alice", "password": "a guess"})
    for round_ in range(3):  # the attacker keeps guessing alice between floods of new names
        for n in range(7):  # with alice's, they fill the store
            flood = await client.post("/login", data={"username": f"x{round_}{n}", "password": "x"})
            assert flood.status_code == 401
        guess = await client.post("/login", data={"username": "alice", "password": world.PASSWORD})
        assert guess.status_code == 429


async def test_the_least_recently_used_bucket_is_the_one_forgotten() -> None:
    limits = RateLimiter({Action.LOGIN: Limit(burst=1, seconds=3600)}, size=3)
    await limits.take(Action.LOGIN, "victim")
    for name in ("a", "b", "c", "d", "e"):
        await limits.take(Action.LOGIN, name)
        with pytest.raises(RateLimited):
            await limits.take(Action.LOGIN, "victim")  # each refusal keeps the bucket recent
    await limits.take(Action.LOGIN, "a")  # "a" was forgotten, not the victim


async def test_a_flood_of_one_actions_keys_does_not_push_out_anothers_buckets() -> None:
    limits = RateLimiter({**LIMITS, Action.LOGIN: Limit(burst=1, seconds=3600)}, size=3)
    await limits.take(Action.LOGIN, "victim")
    for n in range(10):  # junk POSTs naming new keys
        await limits.take(Action.KEY_HOST, f"host{n}.example")
        await limits.take(Action.KEY, f"https://host{n}.example/key")
    with pytest.raises(RateLimited):
        await limits.take(Action.LOGIN, "victim")


async def test_wrong_passwords_under_any_nicknames_are_limited_for_the_whole_node(
    client: httpx.AsyncClient, services: Services
) -> None:
    services.federation.limits = RateLimiter(
        {**LIMITS, Action.FAILED_LOGIN: Limit(burst=3, seconds=60)}
    )
    async with services.sessions() as session, session.begin():
        await world.local_member(session, "bob", base_url=BASE)
    for _ in range(5):  # right passwords do not count
        right = await client.post("/login", data={"username": "bob", "password": world.PASSWORD})
        assert right.status_code == 303
    app = (
        await client.post(
            "/api/v1/apps",
            data={"client_name": "an app", "redirect_uris": world.OOB, "scopes": "read"},
        )
    ).json()
    grant = {"grant_type": "password", "client_id": app["client_id"]}
    grant |= {"client_secret": app["client_secret"], "scope": "read"}
    wrong_grant = await client.post(
        "/oauth/token", data={**grant, "username": "nobody1", "password": "wrong password"}
    )
    assert wrong_grant.status_code == 400
    for name in ("nobody2", "nobody3"):
        wrong = await client.post("/login", data={"username": name, "password": "wrong"})
        assert wrong.status_code == 401
    storm = await client.post("/login", data={"username": "nobody4", "password": "wrong"})
    assert storm.status_code == 429
    assert 10 < int(storm.headers["retry-after"]) <= 20
    granted = await client.post(
        "/oauth/token", data={**grant, "username": "bob", "password": world.PASSWORD}
    )
    assert granted.status_code == 429


async def test_uploads_are_limited_per_member(
    client: httpx.AsyncClient, services: Services
) -> None:
    """Each upload holds one of the node's two image workers: a member's flood waits."""
    limits = {**LIMITS, Action.UPLOAD: Limit(burst=2, seconds=1800)}
    services.federation.limits = RateLimiter(limits)
    uma, vic = await tokens(services, "uma", "vic")
    for _ in range(2):
        assert (await upload(client, uma, plain_png(64, 48))).status_code == 200
    flooded = await upload(client, uma, plain_png(64, 48))
    assert flooded.status_code == 429 and 800 < int(flooded.headers["retry-after"]) <= 900
    assert (await upload(client, vic, plain_png(64, 48))).status_code == 200
