"""Signing keys from the inbox's side: which RSA keys are accepted, how often keys are
fetched for requests that may be junk, and what the error says (never what a fetch got)."""

from __future__ import annotations

import httpx
import pytest

from content import accounts
from federation.authenticity import UNUSABLE_KEY
from moderation.rate_limits import LIMITS, Action, Limit, RateLimiter
from node.state import Services
from tests.node.test_inbox import deliver, note_to_alice, stored_posts
from tests.rig.keys import refused_keypair
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio
MALLORY = "https://remote.example/users/mallory"


@pytest.mark.parametrize(
    ("bits", "exponent"), [(1024, 65537), (2048, 3), (9216, 65537)], ids=["small", "e3", "huge"]
)
async def test_an_actor_with_a_refused_rsa_key_is_answered_401_and_not_stored(
    client: httpx.AsyncClient, services: Services, remote: FakeServer, bits: int, exponent: int
) -> None:
    keypair = refused_keypair(bits, exponent)
    remote.add_actor(MALLORY, keypair, "mallory")
    refused = await deliver(
        client,
        note_to_alice(actor=MALLORY, id=f"{MALLORY}/activities/1"),
        keypair=keypair,
        key_id=f"{MALLORY}#main-key",
    )
    assert (refused.status_code, refused.json()) == (401, {"error": UNUSABLE_KEY})
    async with services.sessions() as session:
        assert await accounts.get_by_uri(session, MALLORY) is None
    assert await stored_posts(services) == 0


async def test_junk_requests_fetch_keys_a_few_times_a_minute_per_host_and_learn_nothing(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    services.federation.limits = RateLimiter({**LIMITS, Action.KEY_HOST: Limit(3, 60)})
    answers = [
        await deliver(client, note_to_alice(n), key_id=f"https://remote.example/ghost/{n}#key")
        for n in range(6)
    ]
    # Three fetches (each answered 404), then the sender is told to wait; the answers say
    # nothing of what the fetches got.
    assert [a.status_code for a in answers] == [401, 401, 401, 429, 429, 429]
    assert {a.json()["error"] for a in answers[:3]} == {UNUSABLE_KEY}
    assert 10 < int(answers[3].headers["retry-after"]) <= 20
    assert len([r for r in remote.requests if r.method == "GET"]) == 3
    # Eve's key was never fetched before: her first post still gets through later on.
    services.federation.limits = RateLimiter()
    assert (await deliver(client, note_to_alice(7))).status_code == 202


async def test_a_key_that_could_not_be_fetched_is_not_fetched_again_for_a_minute(
    client: httpx.AsyncClient, remote: FakeServer
) -> None:
    ghost = "https://remote.example/ghost/1#key"
    for n in range(3):
        answer = await deliver(client, note_to_alice(n), key_id=ghost)
        assert (answer.status_code, answer.json()) == (401, {"error": UNUSABLE_KEY})
    assert len([r for r in remote.requests if r.method == "GET"]) == 1
