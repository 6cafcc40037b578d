"""A host that timed out is left alone for a minute, unless the timeout was this process's
own doing: it stood still (a paused VM, SIGSTOP, swapped out; here the event loop blocked)
while the request waited. Real loopback servers that never answer."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest

from federation.back_off import LATE
from federation.signature_styles import SigningKey
from federation.transport import BackedOff, TimedOut, Transport, TransportPolicy
from tests.federation.test_slow_hosts import loopback
from tests.rig.keys import keypair_for_tests

pytestmark = pytest.mark.anyio
DEADLINE = 1.0  # seconds a request may take, here


@pytest.fixture
async def transport() -> AsyncIterator[Transport]:
    policy = TransportPolicy(allow_private_addresses=True, allow_http=True)
    made = Transport(policy, user_agent="test", deadline=DEADLINE)
    yield made
    await made.aclose()


async def post(transport: Transport, host: str) -> tuple[type[Exception], float]:
    """The error a delivery to `host` met, and the seconds it took."""
    started = time.monotonic()
    key = keypair_for_tests(1)
    signer = SigningKey("https://harbour.test/actor#main-key", key.private_pem)
    with pytest.raises(TimedOut) as error:
        await transport.post_activity(f"http://{host}/inbox", b"{}", signer)
    return error.type, time.monotonic() - started


async def test_a_host_that_timed_out_is_left_alone(transport: Transport) -> None:
    async with loopback("silent") as host:
        assert (await post(transport, host))[0] is TimedOut
        kind, took = await post(transport, host)
    assert kind is BackedOff and took < DEADLINE / 2  # failed at once


async def test_a_host_is_not_blamed_for_a_timeout_while_the_process_stood_still(
    transport: Transport,
) -> None:
    async with loopback("silent") as host:
        waiting = asyncio.create_task(post(transport, host))
        await asyncio.sleep(DEADLINE / 4)  # the request waits for its answer
        time.sleep(DEADLINE + LATE)  # the loop stands still past the deadline
        assert (await waiting)[0] is TimedOut
        kind, took = await post(transport, host)
    assert kind is TimedOut and took >= DEADLINE  # asked again, and waited for
