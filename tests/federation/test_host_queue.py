"""A host's senders (`host_queue.send`) when one of them fails otherwise than a send does."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from federation import delivery, host_queue
from federation.delivery import Claimed, Delivery
from federation.delivery_outcomes import Outcomes, Result
from federation.host_queue import PER_HOST
from federation.transport import PostResult
from tests.federation.test_delivery import federation_with, queue_for_busy_host

pytestmark = pytest.mark.anyio
QUEUED = 4 * PER_HOST


@pytest.mark.expect_failures(r"sending failed: RuntimeError")
async def test_a_sender_failing_unexpectedly_stops_the_host_and_loses_no_delivery(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    """A bug in one sender (not a failed send, which `_post` turns into an outcome): the
    host's other senders end their sends in flight and start no other, what was sent is
    recorded delivered, the one that raised waits as a failed attempt, and the rest is due
    again; `send` raises the bug once all that is done, never sooner."""
    fed = federation_with(sessions, httpx.MockTransport(lambda _: httpx.Response(202)), [])
    await queue_for_busy_host(sessions, QUEUED)
    async with sessions() as session:
        queue = await delivery.claim(session, QUEUED)
    took: list[int] = []
    buggy: list[int] = []
    returned = [False]
    after_return: list[int] = []

    async def post(job: Claimed) -> Result:
        if len(took) == PER_HOST + 1:  # the sixth send: all four senders have one out
            buggy.append(job.id)
            raise RuntimeError("a bug")
        took.append(job.id)
        await asyncio.sleep(0.02)
        if returned[0]:
            after_return.append(job.id)
        return PostResult(202)

    with pytest.raises(RuntimeError, match="a bug"):
        await host_queue.send("busy.test", queue, post, Outcomes(fed), set())
    returned[0] = True
    await asyncio.sleep(0.1)  # a sender left running would send again meanwhile
    async with sessions() as session:
        rows = (await session.execute(select(Delivery.id, Delivery.state, Delivery.claim))).all()
        again = await delivery.claim(session, QUEUED)
    states = {number: (state, claim) for number, state, claim in rows}
    assert after_return == [] and len(took) < QUEUED
    assert {states[number] for number in took} == {("delivered", None)}
    # The one whose send raised waits as a failed attempt does: met again at once, the bug
    # would repeat on every pass.
    assert [states[number] for number in buggy] == [("retry", None)]
    untried = {job.id for job in queue} - set(took) - set(buggy)
    assert {states[number] for number in untried} == {("queued", None)}
    assert {job.id for job in again} == untried
