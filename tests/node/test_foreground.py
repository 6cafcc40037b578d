"""The worker makes way only for inbox POSTs being verified and stored, not for one whose
body is still arriving: anyone, unsigned, could keep a POST's body trickling and make every
one of the worker's transactions wait (`content.foreground`)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest

from content.foreground import background, make_way
from federation.transport import Transport, TransportPolicy
from node.state import Services
from tests.node.test_inbox import deliver, note_to_alice
from tests.rig.remote import FakeServer

pytestmark = pytest.mark.anyio


def worker_goes_on_at_once() -> bool:
    """Whether the worker's next transaction would start without waiting."""
    step = make_way()
    try:
        step.send(None)
    except StopIteration:
        return True
    step.close()
    return False


async def test_a_post_whose_body_trickles_does_not_hold_the_worker_back(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    started, finish = asyncio.Event(), asyncio.Event()

    async def trickle() -> AsyncIterator[bytes]:
        yield b'{"type": "Like", '
        started.set()
        await finish.wait()
        yield b'"id": "x"}'

    posting = asyncio.create_task(
        client.post("/inbox", content=trickle(), headers={"Content-Type": "application/json"})
    )
    await started.wait()
    await asyncio.sleep(0.01)  # the request is in the app, reading its body
    assert background().run(worker_goes_on_at_once)
    finish.set()
    assert (await posting).status_code in (400, 401)
    assert background().run(worker_goes_on_at_once)  # and nothing is left counted


async def test_the_worker_makes_way_while_a_post_is_verified(
    client: httpx.AsyncClient, services: Services, remote: FakeServer
) -> None:
    """What the give-way is for: a POST being verified (here its key being fetched, which
    the mock holds back) has the worker wait."""
    fetching, answer = asyncio.Event(), asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        fetching.set()
        await answer.wait()
        return remote.handle(request)

    fed = services.federation
    await fed.transport.aclose()
    fed.transport = Transport(
        TransportPolicy(static_hosts={"remote.example": "93.184.216.34"}),
        user_agent="test",
        transport=httpx.MockTransport(slow),
    )
    posting = asyncio.create_task(deliver(client, note_to_alice(1)))
    await fetching.wait()
    assert not background().run(worker_goes_on_at_once)
    answer.set()
    assert (await posting).status_code == 202
    assert background().run(worker_goes_on_at_once)
