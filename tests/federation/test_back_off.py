"""A host that timed out is left alone for a minute, unless the timeout was this process's
own doing: it stood still (a paused VM, SIGSTOP, swapped out; here the event loop blocked)
while the request waited. Real loopback servers that never answer."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator

import pytest

from federation.back_off import LATE, BackOff
from federation.signature_styles import SigningKey
from federation.transport import BackedOff, TimedOut, Transport, TransportPolicy
from tests.federation.test_slow_hosts import loopback
from tests.rig.keys import keypair_for_tests

pytestmark = pytest.mark.anyio
DEADLINE = 1.0  # seconds a request may take, here
SIGNER = SigningKey("https://harbour.test/actor#main-key", keypair_for_tests(1).private_pem)


@pytest.fixture
async def transport() -> AsyncIterator[Transport]:
    """A transport that has sent a request already: a first one's lazy imports and set-up
    may hold the loop long enough on a loaded machine (or under tracemalloc) to read as a
    pause, which would excuse the timeout a test expects to count."""
    policy = TransportPolicy(allow_private_addresses=True, allow_http=True)
    made = Transport(policy, user_agent="test", deadline=DEADLINE)
    async with loopback("quick") as host:
        with contextlib.suppress(TimedOut):  # its set-up is done all the same
            await made.post_activity(f"http://{host}/inbox", b"{}", SIGNER)
    yield made
    await made.aclose()


async def post(transport: Transport, host: str) -> tuple[type[Exception], float]:
    """The error a delivery to `host` met, and the seconds it took."""
    started = time.monotonic()
    with pytest.raises(TimedOut) as error:
        await transport.post_activity(f"http://{host}/inbox", b"{}", SIGNER)
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


def test_a_loop_left_with_a_request_waiting_does_not_excuse_later_timeouts() -> None:
    """A request left waiting on an event loop no longer run (a test's, a command's) kept
    that loop's tick, which then read as a pause for good: no host was backed off again
    (attack10)."""
    back_off = BackOff()
    other = asyncio.new_event_loop()

    async def left_waiting() -> None:
        with back_off.waiting():
            await asyncio.Event().wait()

    left = other.create_task(left_waiting())
    other.run_until_complete(asyncio.sleep(0.01))
    time.sleep(LATE + 1.0)

    async def times_out() -> None:
        with back_off.waiting() as started:
            await asyncio.sleep(0.05)
            back_off.timed_out("slow.example", started)

    try:
        asyncio.run(times_out())
        assert back_off.refuses("slow.example")
    finally:
        left.cancel()
        other.run_until_complete(asyncio.gather(left, return_exceptions=True))
        other.close()
